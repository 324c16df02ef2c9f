import { readFile } from 'node:fs/promises';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { isSensorKind, KIND_NAMES, kindOf } from '../../domain/index.ts';
import type { Persistence, RuleConfig, RuleSet, ValueRef } from '../types.ts';
import { RuleFileSchema, RuleSchemas, type DurationT, type RuleFileT } from './schema.ts';

/**
 * Loads and validates rule files (RL1–RL5).
 * RL1 Errors name the file, the rule id (or index) and the field path, all of them at
 *     once, so an operator fixes a file in one pass: `rules.yaml: rule "x" /levels/0/above: must be number`.
 * RL2 Rule ids are unique across all files; composites may only name known rule ids.
 * RL3 A threshold level has exactly one of above / below / equals.
 * RL4 Loading is all-or-nothing: a reload that fails keeps the previous rule set.
 * RL5 A target's kinds are registered kinds (domain/kinds). A kind description's own `rules`
 *     load after the files, under the source `kind:{name}`; a file's rule of the same id
 *     replaces the kind's.
 */
export class RuleConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid alert rules:\n  ${problems.join('\n  ')}`);
    this.name = 'RuleConfigError';
  }
}

const ajv = new Ajv({ allErrors: true, strict: false });
const fileCheck = ajv.compile<RuleFileT>(RuleFileSchema);
const ruleChecks = Object.fromEntries(Object.entries(RuleSchemas).map(([t, s]) => [t, ajv.compile(s)])) as Record<string, ValidateFunction>;

const fmt = (e: ErrorObject): string => `${e.instancePath || '/'}: ${e.message ?? 'invalid'}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`;

function duration(d: DurationT | undefined): Persistence | undefined {
  if (d === undefined) return undefined;
  const ms = d.minutes !== undefined || d.seconds !== undefined ? (d.minutes ?? 0) * 60_000 + (d.seconds ?? 0) * 1000 : undefined;
  return { ...(ms !== undefined ? { ms } : {}), ...(d.count !== undefined ? { count: d.count } : {}) };
}

/** Validates one parsed document; returns rules or pushes problems. */
export function parseRuleDocument(doc: unknown, file: string, problems: string[]): { rules: RuleConfig[]; flap?: { maxTransitions: number; windowMs: number } } {
  if (!fileCheck(doc)) {
    for (const e of fileCheck.errors ?? []) problems.push(`${file}: ${fmt(e)}`);
    return { rules: [] };
  }
  const rules: RuleConfig[] = [];
  doc.rules.forEach((raw, i) => {
    const who = `${file}: rule ${JSON.stringify(raw.id ?? `#${i}`)}`;
    const check = ruleChecks[raw.type];
    if (check === undefined) return void problems.push(`${who} /type: unknown rule type "${raw.type}" (one of ${Object.keys(RuleSchemas).join(', ')})`);
    if (!check(raw)) {
      for (const e of check.errors ?? []) problems.push(`${who} ${fmt(e)}`);
      return;
    }
    const r = raw as Record<string, unknown> & { id: string; type: string };
    const base = { ...r, enabled: r.enabled !== false, target: (r.target as object | undefined) ?? {}, source: file };
    if (r.type === 'threshold') {
      (r.levels as { above?: ValueRef; below?: ValueRef; equals?: string }[]).forEach((l, j) => {
        const n = [l.above, l.below, l.equals].filter((x) => x !== undefined).length;
        if (n !== 1) problems.push(`${who} /levels/${j}: exactly one of above, below, equals is required`);
      });
      const { for: f, clearFor, ...rest } = base as typeof base & { for?: DurationT; clearFor?: DurationT };
      rules.push({ ...rest, ...(f ? { for: duration(f) } : {}), ...(clearFor ? { clearFor: duration(clearFor) } : {}) } as unknown as RuleConfig);
    } else if (r.type === 'out-of-range') {
      const { for: f, ...rest } = base as typeof base & { for?: DurationT };
      rules.push({ ...rest, ...(f ? { for: duration(f) } : {}) } as unknown as RuleConfig);
    } else if (r.type === 'rate-of-change') {
      const { windowMinutes, ...rest } = base as typeof base & { windowMinutes: number };
      rules.push({ ...rest, windowMs: windowMinutes * 60_000 } as unknown as RuleConfig);
    } else if (r.type === 'stuck') {
      const { minutes, ...rest } = base as typeof base & { minutes?: number };
      if (minutes === undefined && r.count === undefined) problems.push(`${who}: one of count, minutes is required`);
      rules.push({ ...rest, ...(minutes !== undefined ? { ms: minutes * 60_000 } : {}) } as unknown as RuleConfig);
    } else if (r.type === 'offline') {
      const { graceMinutes, ...rest } = base as typeof base & { graceMinutes: number };
      rules.push({ ...rest, graceMs: graceMinutes * 60_000 } as unknown as RuleConfig);
    } else rules.push(base as unknown as RuleConfig);
  });
  return { rules, ...(doc.flap ? { flap: { maxTransitions: doc.flap.maxTransitions, windowMs: doc.flap.windowMinutes * 60_000 } } : {}) };
}

/** RL2 across the whole set; RL5 the kinds it targets. */
function crossCheck(rules: readonly RuleConfig[], problems: string[]): void {
  for (const r of rules) {
    (r.target.kinds ?? []).forEach((k, j) => {
      if (!isSensorKind(k)) problems.push(`${r.source}: rule "${r.id}" /target/kinds/${j}: unknown kind "${k}" (one of ${KIND_NAMES.join(', ')})`);
    });
  }
  const seen = new Map<string, string>();
  for (const r of rules) {
    const prev = seen.get(r.id);
    if (prev !== undefined) problems.push(`${r.source}: rule "${r.id}" /id: duplicate (also in ${prev})`);
    seen.set(r.id, r.source);
  }
  for (const r of rules) {
    if (r.type !== 'composite') continue;
    r.rules.forEach((id, j) => {
      if (!seen.has(id)) problems.push(`${r.source}: rule "${r.id}" /rules/${j}: unknown rule id "${id}"`);
      if (id === r.id) problems.push(`${r.source}: rule "${r.id}" /rules/${j}: a composite cannot name itself`);
    });
  }
}

export const DEFAULT_FLAP = Object.freeze({ maxTransitions: 4, windowMs: 30 * 60_000 });

export function parseRules(texts: readonly { file: string; text: string }[], version = 1): RuleSet {
  const problems: string[] = [];
  const rules: RuleConfig[] = [];
  let flap: RuleSet['flap'] = DEFAULT_FLAP;
  for (const { file, text } of texts) {
    let doc: unknown;
    try {
      doc = parse(text);
    } catch (err) {
      problems.push(`${file}: YAML: ${(err as Error).message.split('\n')[0]}`);
      continue;
    }
    const got = parseRuleDocument(doc, file, problems);
    rules.push(...got.rules);
    if (got.flap) flap = got.flap;
  }
  // RL5: the kinds' own default rules, unless a file already defines the id.
  const fromFiles = new Set(rules.map((r) => r.id));
  for (const kind of KIND_NAMES) {
    const own = (kindOf(kind).rules ?? []).filter((r) => !fromFiles.has(String(r.id)));
    if (own.length > 0) rules.push(...parseRuleDocument({ version: 1, rules: own }, `kind:${kind}`, problems).rules);
  }
  crossCheck(rules, problems);
  if (problems.length > 0) throw new RuleConfigError(problems);
  return { version, rules, flap, files: texts.map((t) => t.file) };
}

/** RL4: reads every file first; throws RuleConfigError without side effects. */
export async function loadRules(files: readonly string[], version = 1): Promise<RuleSet> {
  const texts = await Promise.all(files.map(async (file) => ({ file, text: await readFile(file, 'utf8') })));
  return parseRules(texts, version);
}
