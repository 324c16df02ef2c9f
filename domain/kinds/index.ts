import { readdirSync } from 'node:fs';
import type { KindDescription } from '../kind.ts';
import type { SensorKind } from '../types.ts';

/**
 * The kind registry (KD1–KD3, ARCHITECTURE.md "Adding a sensor kind").
 * KD1 Every `*.ts` file in this folder other than index.ts is a kind description: it exports
 *    one `KindDescription` and imports nothing from `domain/index.ts` (a cycle with this
 *    module's top-level await). It is found here at load; no list names it.
 * KD2 `registerKind` adds a description kept outside this folder (a deployment's own kind, a
 *    test fixture). Every stage derives its per-kind tables when its module loads, so a kind
 *    is registered before the stages are imported: from a module imported first, or with
 *    `node --import ./my-kind.ts`. A kind name is registered once.
 * KD3 Lists (catalogue, dashboards, feeds) follow `order`, then the name.
 */
const registered: Record<string, KindDescription> = {};
const names: SensorKind[] = [];

/** The registered kinds by name; index with `kindOf` for a checked lookup. */
export const KINDS: Readonly<Record<SensorKind, KindDescription>> = registered;
/** The registered kind names in list order (KD3); updated in place by `registerKind`. */
export const KIND_NAMES: readonly SensorKind[] = names;

const KIND_NAME = /^[a-z][a-z0-9-]{0,39}$/;

/** KD2: registers one more kind; throws on a malformed name or one already registered. */
export function registerKind(desc: KindDescription): void {
  if (!KIND_NAME.test(desc.kind)) throw new Error(`kind name "${desc.kind}" must match ${KIND_NAME}`);
  if (isSensorKind(desc.kind)) throw new Error(`kind "${desc.kind}" is already registered`);
  registered[desc.kind] = desc;
  names.push(desc.kind);
  names.sort((a, b) => registered[a]!.order - registered[b]!.order || a.localeCompare(b));
}

export function isSensorKind(s: string): s is SensorKind {
  return Object.prototype.hasOwnProperty.call(registered, s);
}

/** The description of a registered kind; throws for a name nothing registered. */
export function kindOf(kind: SensorKind): KindDescription {
  const d = registered[kind];
  if (d === undefined) throw new Error(`unknown sensor kind "${kind}" (registered: ${names.join(', ')})`);
  return d;
}

const isDescription = (v: unknown): v is KindDescription =>
  typeof v === 'object' && v !== null && typeof (v as KindDescription).kind === 'string' && Array.isArray((v as KindDescription).fields);

// KD1: the built-in kinds are the description files beside this one.
const here = new URL('./', import.meta.url);
for (const file of readdirSync(here).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && f !== 'index.ts').sort()) {
  const found = Object.values(await import(new URL(file, here).href)).filter(isDescription);
  if (found.length !== 1) throw new Error(`domain/kinds/${file} must export exactly one KindDescription (found ${found.length})`);
  registerKind(found[0]!);
}

/**
 * A per-kind table computed from the description the first time a kind is asked for, then
 * kept: a stage's compiled validator or layout per kind without a literal per kind. Throws
 * for an unregistered kind, like `kindOf`.
 */
export function perKind<T>(make: (desc: KindDescription) => T): (kind: SensorKind) => T {
  const made = new Map<SensorKind, T>();
  return (kind) => {
    let v = made.get(kind);
    if (v === undefined && !made.has(kind)) {
      v = make(kindOf(kind));
      made.set(kind, v);
    }
    return v as T;
  };
}
