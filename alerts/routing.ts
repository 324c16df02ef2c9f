import { readFile } from 'node:fs/promises';
import { Type, type Static } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import type { Severity } from '../domain/index.ts';
import type { EngineAlert } from './types.ts';
import { severityRank } from './value-ref.ts';

/**
 * Contacts and subscriptions (config/contacts.example.yaml).
 * RT1 A subscription matches an alert when every given criterion matches: kinds,
 *     districts, rule ids, agency scope, and severity ≥ minSeverity.
 * RT2 Each subscription names its channels (email, webhook) and, optionally, quiet
 *     hours (advisories only, ES4) and an escalation policy with a second contact list.
 */
const Text = Type.Object({ 'zh-TW': Type.String(), en: Type.String() });
const Sev = Type.Union([Type.Literal('advisory'), Type.Literal('warning'), Type.Literal('critical')]);
const HHMM = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' });
const Contact = Type.Object(
  {
    id: Type.String({ minLength: 1 }),
    name: Text,
    agency: Type.String({ minLength: 1 }),
    email: Type.Optional(Type.String({ minLength: 3 })),
    webhook: Type.Optional(Type.Object({ url: Type.String({ minLength: 1 }), secret: Type.String({ minLength: 16 }) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);
const Subscription = Type.Object(
  {
    id: Type.String({ minLength: 1 }),
    contacts: Type.Array(Type.String(), { minItems: 1 }),
    match: Type.Object(
      {
        kinds: Type.Optional(Type.Array(Type.String())),
        districts: Type.Optional(Type.Array(Type.String())),
        rules: Type.Optional(Type.Array(Type.String())),
        minSeverity: Type.Optional(Sev),
      },
      { additionalProperties: false },
    ),
    channels: Type.Array(Type.Union([Type.Literal('email'), Type.Literal('webhook')]), { minItems: 1 }),
    quietHours: Type.Optional(Type.Object({ start: HHMM, end: HHMM }, { additionalProperties: false })),
    escalation: Type.Optional(
      Type.Object({ renotifyMinutes: Type.Number({ exclusiveMinimum: 0 }), escalateAfterMinutes: Type.Number({ exclusiveMinimum: 0 }), to: Type.Array(Type.String(), { minItems: 1 }) }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);
export const ContactsSchema = Type.Object({ contacts: Type.Array(Contact), subscriptions: Type.Array(Subscription) }, { additionalProperties: false });
export type ContactsDoc = Static<typeof ContactsSchema>;
export type ContactT = Static<typeof Contact>;
export type SubscriptionT = Static<typeof Subscription>;

const check = new Ajv({ allErrors: true, strict: false }).compile<ContactsDoc>(ContactsSchema);

export function parseContacts(text: string, file: string): ContactsDoc {
  const doc: unknown = parse(text);
  if (!check(doc)) throw new Error(`${file}: ${(check.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`).join('; ')}`);
  const ids = new Set(doc.contacts.map((c) => c.id));
  for (const s of doc.subscriptions) {
    for (const c of [...s.contacts, ...(s.escalation?.to ?? [])]) if (!ids.has(c)) throw new Error(`${file}: subscription "${s.id}": unknown contact "${c}"`);
  }
  return doc;
}

export async function loadContacts(file: string): Promise<ContactsDoc> {
  return parseContacts(await readFile(file, 'utf8'), file);
}

export class Router {
  private readonly contacts: Map<string, ContactT>;
  constructor(readonly doc: ContactsDoc) {
    this.contacts = new Map(doc.contacts.map((c) => [c.id, c]));
  }

  contact(id: string): ContactT | undefined {
    return this.contacts.get(id);
  }

  /** RT1 */
  route(a: EngineAlert): SubscriptionT[] {
    return this.doc.subscriptions.filter((s) => candidate(s, a) && inView(s, a));
  }

  /**
   * RT3 The subscriptions that may ever see this alert: kinds, districts and rules match
   * (they never change during an alert's life); whether it is in the view now is
   * `inView` (severity ≥ minSeverity), decided per change by the escalator (AL1).
   */
  candidates(a: EngineAlert): SubscriptionT[] {
    return this.doc.subscriptions.filter((s) => candidate(s, a));
  }
}

function candidate(s: SubscriptionT, a: EngineAlert): boolean {
  const m = s.match;
  if (m.kinds && !m.kinds.includes(a.kind)) return false;
  if (m.districts && !m.districts.includes(a.district)) return false;
  if (m.rules && !m.rules.includes(a.ruleId)) return false;
  return true;
}

/** AL1 The alert is inside the subscription's view: not resolved and severity ≥ minSeverity. */
export function inView(s: SubscriptionT, a: EngineAlert): boolean {
  if (a.state === 'resolved') return false;
  const min = s.match.minSeverity;
  return min === undefined || severityRank(a.severity) >= severityRank(min as Severity);
}
