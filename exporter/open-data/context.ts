import type { Logger } from 'pino';
import type { Registry as MetricsRegistry } from 'prom-client';
import type { Alert, LocalizedText, Reading } from '../../domain/index.ts';
import type { Registry } from '../../registry/index.ts';
import type { Store } from '../../storage/index.ts';
import { Privacy, type PrivacyOptions } from './privacy.ts';

/** CAP 1.2 <status> values (CAP 1.2 §3.2.1). Only 'Actual' may ever reach a public feed (MISSION: the 2025 test-message incident). */
export type CapStatus = 'Actual' | 'Exercise' | 'System' | 'Test' | 'Draft';

/**
 * Which alerts are public, and with which CAP status. The domain Alert carries neither
 * (the alert engine's rules will); until then the composition root supplies this policy.
 */
export interface AlertPolicy {
  isPublic(alert: Alert): boolean;
  status(alert: Alert): CapStatus;
  /** The rule's optional CAP fields (expiry, instruction, event codes, contact); CAP content only, not the gate. */
  profile?(alert: Alert): RuleCapProfile | undefined;
}

/** Optional per-rule CAP fields (the `cap:` block of a rule file, OD-A2). */
export interface RuleCapProfile {
  readonly expiresMinutes?: number;
  readonly instruction?: LocalizedText;
  readonly eventCodes?: readonly { readonly valueName: string; readonly value: string }[];
  readonly contact?: string;
}

/** Deployment-wide CAP defaults (config `openData.cap*`), used where a rule gives none (OD-A2). */
export interface CapDefaults {
  /** <expires> = <effective> + this, unless the rule says otherwise. */
  readonly expiresMinutes: number;
  /** <contact>; default: the publisher's contact name, phone and e-mail. */
  readonly contact?: string;
  /** <eventCode> per sensor kind; a kind not named here gets `civicstream:event` = its description's `cap.event`. */
  readonly eventCodes: Readonly<Record<string, readonly { readonly valueName: string; readonly value: string }[]>>;
}

export const DEFAULT_CAP: CapDefaults = Object.freeze({
  expiresMinutes: 360,
  eventCodes: {},
});

/** Default: rules whose id starts with test./exercise./system./draft. get that status; advisories stay internal. */
export const DEFAULT_ALERT_POLICY: AlertPolicy = Object.freeze({
  isPublic: (a: Alert) => a.severity !== 'advisory',
  status: (a: Alert): CapStatus => {
    const m = /^(test|exercise|system|draft)[.:]/i.exec(a.ruleId);
    if (!m) return 'Actual';
    const s = (m[1] as string).toLowerCase();
    return (s[0]!.toUpperCase() + s.slice(1)) as CapStatus;
  },
});

/** The publishing agency shown in the catalogue (data.gov.tw 提供機關 / 聯絡人) and as CAP <sender>. */
export interface Publisher {
  readonly agency: LocalizedText;
  /** The city, shown as STA Thing.properties.city (Civil IoT Taiwan uses the same property). */
  readonly city: LocalizedText;
  readonly contactName: string;
  readonly contactEmail: string;
  /** data.gov.tw 聯絡人電話. */
  readonly contactPhone?: string;
  /** Home page of the agency or the open-data portal. */
  readonly url: string;
  /** CAP <sender>: an unambiguous id of the originator, e.g. a domain or mail address (CAP 1.2 §3.2.1). */
  readonly capSender: string;
}

export const DEFAULT_PUBLISHER: Publisher = Object.freeze({
  agency: { 'zh-TW': '市政府資訊局', en: 'City Department of Information Technology' },
  city: { 'zh-TW': '桃園市', en: 'Taoyuan City' },
  contactName: 'Open Data Desk',
  contactEmail: 'opendata@city.example.gov.tw',
  url: 'https://data.city.example.gov.tw',
  capSender: 'opendata@city.example.gov.tw',
});

export interface OpenDataLimits {
  /** Longest from..to a feed or STA query may span. */
  readonly maxRangeDays: number;
  readonly defaultRangeHours: number;
  readonly pageDefault: number;
  readonly pageMax: number;
  /** A sensor whose latest reading is older than this many intervals counts as silent. */
  readonly silentAfterIntervals: number;
  /** Seconds the reliability figures are cached: they scan 30 days of hourly aggregates. */
  readonly reliabilityTtlSeconds: number;
  /** Milliseconds one built latest-per-sensor answer is reused (micro-cache.ts); 0 disables. */
  readonly latestCacheMs: number;
}

export const DEFAULT_OPEN_DATA_LIMITS: OpenDataLimits = Object.freeze({
  maxRangeDays: 31,
  defaultRangeHours: 24,
  pageDefault: 100,
  pageMax: 10_000,
  silentAfterIntervals: 3,
  reliabilityTtlSeconds: 300,
  latestCacheMs: 1000,
});

export type ReadingListener = (r: Reading) => void;
/** Subscribes to accepted readings; returns the unsubscribe function. */
export type SubscribeReadings = (listener: ReadingListener) => () => void;

export interface OpenDataOptions {
  readonly store: Store;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly metrics: MetricsRegistry;
  readonly now?: () => number;
  /** Absolute public URL (https://data.city.gov.tw); STA selfLinks and DCAT ids are absolute when set. */
  readonly baseUrl?: string;
  readonly publisher?: Partial<Publisher>;
  readonly privacy?: PrivacyOptions;
  readonly alertPolicy?: AlertPolicy;
  readonly cap?: Partial<CapDefaults>;
  /** Live readings for the SSE feeds; without it the SSE routes answer 503. */
  readonly subscribe?: SubscribeReadings;
  /** Where daily dumps are written and served from; without it the bulk routes list nothing. */
  readonly bulkDir?: string;
  /** OD-S10: where the STA MQTT extension is served (createStaMqtt wired to the broker); listed in serverSettings only when given. */
  readonly staMqtt?: { readonly endpoints: readonly string[] };
  readonly limits?: Partial<OpenDataLimits>;
  /** HTTP behaviour inside the open-data scope; set a part to false when the root app already provides it. */
  readonly http?: Partial<HttpOptions>;
}

export interface HttpOptions {
  /** Allowed CORS origins; '*' for every origin (open data is public). */
  readonly cors: false | '*' | readonly string[];
  /** Requests per client per window. */
  readonly rateLimit: false | { readonly max: number; readonly windowMs: number };
  readonly compress: boolean;
  readonly etag: boolean;
}

export const DEFAULT_HTTP: HttpOptions = Object.freeze({
  cors: '*',
  rateLimit: { max: 600, windowMs: 60_000 },
  compress: true,
  etag: true,
});

/** What every open-data plugin receives. Frozen once in createOpenDataPlugin. */
export interface OdContext {
  readonly store: Store;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly metrics: MetricsRegistry;
  readonly now: () => number;
  readonly baseUrl: string;
  readonly publisher: Publisher;
  readonly privacy: Privacy;
  readonly alerts: AlertPolicy;
  readonly cap: CapDefaults;
  readonly limits: OpenDataLimits;
  readonly subscribe?: SubscribeReadings;
  readonly bulkDir?: string;
  readonly staMqtt?: { readonly endpoints: readonly string[] };
}

export function buildContext(o: OpenDataOptions): OdContext {
  return Object.freeze({
    store: o.store,
    registry: o.registry,
    logger: o.logger,
    metrics: o.metrics,
    now: o.now ?? Date.now,
    baseUrl: (o.baseUrl ?? '').replace(/\/+$/, ''),
    publisher: Object.freeze({ ...DEFAULT_PUBLISHER, ...o.publisher }),
    privacy: new Privacy(o.privacy ?? {}),
    alerts: o.alertPolicy ?? DEFAULT_ALERT_POLICY,
    cap: Object.freeze({ ...DEFAULT_CAP, ...o.cap }),
    limits: Object.freeze({ ...DEFAULT_OPEN_DATA_LIMITS, ...o.limits }),
    ...(o.subscribe ? { subscribe: o.subscribe } : {}),
    ...(o.bulkDir ? { bulkDir: o.bulkDir } : {}),
    ...(o.staMqtt && o.staMqtt.endpoints.length ? { staMqtt: o.staMqtt } : {}),
  });
}
