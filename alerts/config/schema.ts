import { Type, type Static } from '@sinclair/typebox';

/**
 * The rule file format (config/rules.default.yaml is the reference example). Durations
 * are written in minutes/seconds for people and become milliseconds at load.
 */
const Text = Type.Object({ 'zh-TW': Type.String({ minLength: 1 }), en: Type.String({ minLength: 1 }) }, { additionalProperties: false });
const Severity = Type.Union([Type.Literal('advisory'), Type.Literal('warning'), Type.Literal('critical')]);
const Ref = Type.Union([
  Type.Number(),
  Type.Object({ param: Type.String({ minLength: 1 }), factor: Type.Optional(Type.Number()), factorParam: Type.Optional(Type.String({ minLength: 1 })), offset: Type.Optional(Type.Number()) }, { additionalProperties: false }),
]);
const Duration = Type.Object(
  { minutes: Type.Optional(Type.Number({ minimum: 0 })), seconds: Type.Optional(Type.Number({ minimum: 0 })), count: Type.Optional(Type.Integer({ minimum: 1 })) },
  { additionalProperties: false },
);
/** A kind name; RL5 checks it names a registered kind (domain/kinds), so no list of kinds lives here. */
const Kind = Type.String({ minLength: 1 });
const Target = Type.Object(
  {
    kinds: Type.Optional(Type.Array(Kind, { minItems: 1 })),
    districts: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
    ids: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
    tags: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
    params: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]))),
  },
  { additionalProperties: false },
);
const common = {
  id: Type.String({ pattern: '^[A-Za-z0-9._-]{1,80}$' }),
  name: Text,
  enabled: Type.Optional(Type.Boolean()),
  target: Type.Optional(Target),
  /** Publish this rule's alerts to the public (open-data CAP feed). Opt-in: staff alerts stay internal by default. */
  public: Type.Optional(Type.Boolean()),
  /** CAP <status> of this rule's alerts; only Actual ever reaches a public feed (a Test must never look real). */
  capStatus: Type.Optional(Type.Union([Type.Literal('Actual'), Type.Literal('Exercise'), Type.Literal('System'), Type.Literal('Test'), Type.Literal('Draft')])),
  /** Optional CAP content of this rule's public alerts (open data, issue 14): expiry, bilingual instruction, event codes, contact. */
  cap: Type.Optional(
    Type.Object(
      {
        expiresMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_080 })),
        instruction: Type.Optional(Text),
        eventCodes: Type.Optional(Type.Array(Type.Object({ valueName: Type.String({ minLength: 1, maxLength: 100 }), value: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false }), { maxItems: 10 })),
        contact: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
      },
      { additionalProperties: false },
    ),
  ),
};
const Level = Type.Object(
  { severity: Severity, above: Type.Optional(Ref), below: Type.Optional(Ref), equals: Type.Optional(Type.String()), clear: Type.Optional(Ref), label: Text },
  { additionalProperties: false },
);

export const RuleSchemas = {
  threshold: Type.Object({ ...common, type: Type.Literal('threshold'), field: Type.String(), levels: Type.Array(Level, { minItems: 1 }), for: Type.Optional(Duration), clearFor: Type.Optional(Duration), schedule: Type.Optional(Type.Union([Type.Literal('on'), Type.Literal('off')])) }, { additionalProperties: false }),
  'rate-of-change': Type.Object({ ...common, type: Type.Literal('rate-of-change'), field: Type.String(), windowMinutes: Type.Number({ exclusiveMinimum: 0 }), rise: Ref, severity: Severity, etaTo: Type.Optional(Ref), etaLabel: Type.Optional(Text), etaLevels: Type.Optional(Type.Array(Type.Object({ at: Ref, label: Text }, { additionalProperties: false }), { minItems: 1, maxItems: 8 })), label: Text }, { additionalProperties: false }),
  'out-of-range': Type.Object({ ...common, type: Type.Literal('out-of-range'), field: Type.String(), min: Type.Optional(Ref), max: Type.Optional(Ref), severity: Severity, for: Type.Optional(Duration), label: Text }, { additionalProperties: false }),
  stuck: Type.Object({ ...common, type: Type.Literal('stuck'), field: Type.String(), count: Type.Optional(Type.Integer({ minimum: 2 })), minutes: Type.Optional(Type.Number({ exclusiveMinimum: 0 })), severity: Severity, label: Text }, { additionalProperties: false }),
  freshness: Type.Object({ ...common, type: Type.Literal('freshness'), factor: Type.Number({ minimum: 1 }), severity: Severity, label: Text }, { additionalProperties: false }),
  offline: Type.Object({ ...common, type: Type.Literal('offline'), graceMinutes: Type.Number({ minimum: 0 }), severity: Severity, label: Text }, { additionalProperties: false }),
  composite: Type.Object({ ...common, type: Type.Literal('composite'), op: Type.Union([Type.Literal('any'), Type.Literal('all'), Type.Literal('count')]), rules: Type.Array(Type.String(), { minItems: 1 }), min: Type.Optional(Type.Integer({ minimum: 1 })), minSeverity: Type.Optional(Severity), severity: Severity, label: Text }, { additionalProperties: false }),
  aqi: Type.Object({ ...common, type: Type.Literal('aqi'), minAqi: Type.Integer({ minimum: 1, maximum: 500 }), label: Text }, { additionalProperties: false }),
} as const;

export const RuleFileSchema = Type.Object(
  {
    version: Type.Literal(1),
    flap: Type.Optional(Type.Object({ maxTransitions: Type.Integer({ minimum: 1 }), windowMinutes: Type.Number({ exclusiveMinimum: 0 }) }, { additionalProperties: false })),
    rules: Type.Array(Type.Object({ id: Type.String(), type: Type.String() }), { minItems: 0 }),
  },
  { additionalProperties: false },
);
export type RuleFileT = Static<typeof RuleFileSchema>;
export type DurationT = Static<typeof Duration>;
