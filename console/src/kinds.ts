import { ref } from 'vue';
import { api } from './http.ts';

/**
 * The sensor kinds as the server describes them (KD1–KD3): the per-kind datasets of the
 * open-data catalogue carry each kind's name, bilingual label, list order and primary fields,
 * so a kind added on the server appears here without a console change. The four built-in
 * names are known before the catalogue answers, so the first requests need not wait for it.
 */
export interface KindInfo { name: string; label?: { 'zh-TW': string; en: string }; order: number; primaryFields: string[] }

const BUILT_IN = ['water-level', 'air-quality', 'parking', 'streetlight'];
export const kinds = ref<KindInfo[]>(BUILT_IN.map((name, order) => ({ name, order, primaryFields: [] })));
export const kindInfo = (name: string): KindInfo | undefined => kinds.value.find((k) => k.name === name);

let loading: Promise<{ datasets: unknown[] }> | undefined;
/**
 * Fetches the catalogue once (later calls share the answer) and learns the kinds from it:
 * built-ins keep their console order, others follow in the server's order. Resolves to the
 * catalogue body (no datasets when it failed).
 */
export function loadCatalogue<D = unknown>(): Promise<{ datasets: D[] }> {
  loading ??= api<{ datasets: { kind?: KindInfo }[] }>('/open-data/v1/datasets')
    .then((d) => {
      const served = d.datasets.flatMap((x) => (x.kind ? [x.kind] : []));
      const rank = (k: KindInfo) => (BUILT_IN.includes(k.name) ? BUILT_IN.indexOf(k.name) : BUILT_IN.length + k.order);
      if (served.length > 0) kinds.value = served.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
      return d;
    })
    .catch(() => ({ datasets: [] }));
  return loading as Promise<{ datasets: D[] }>;
}
export const loadKinds = (): Promise<KindInfo[]> => loadCatalogue().then(() => kinds.value);
