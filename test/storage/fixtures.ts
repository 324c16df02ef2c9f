import { kindOf, QualityFlag } from '../../domain/index.ts';
import type { Aggregate, Alert, AlertChange, DeadLetter, FieldValue, Reading, RejectReason, SensorKind } from '../../domain/index.ts';

/** 2026-11-22T11:00:00.000+08:00 — a whole hour, so minute and hour windows align. */
export const T0 = Date.UTC(2026, 10, 22, 3, 0, 0);
export const MIN = 60_000;

/** Taoyuan district codes (registry convention): 中壢區, 桃園區. */
export const ZHONGLI = '6800200';
export const TAOYUAN = '6800100';

let nextSeq = 1;

/**
 * A reading as ingest would produce it. Field names and types are checked against the kind
 * description, so the fixtures cannot drift from domain/kinds.
 */
export function reading(
  kind: SensorKind,
  sensorId: string,
  ts: number,
  values: Record<string, FieldValue>,
  extra: { district?: string; flags?: number; seq?: number } = {},
): Reading {
  const fields = new Map(kindOf(kind).fields.map((f) => [f.name, f.type]));
  for (const [name, v] of Object.entries(values)) {
    const type = fields.get(name);
    if (!type) throw new Error(`fixture: ${kind} has no field ${name}`);
    if (typeof v !== type) throw new Error(`fixture: ${kind}.${name} must be a ${type}`);
  }
  return {
    seq: extra.seq ?? nextSeq++,
    sensorId,
    kind,
    district: extra.district ?? ZHONGLI,
    ts,
    receivedAt: ts + 350,
    flags: extra.flags ?? 0,
    values,
  };
}

/** One typical reading per kind; air quality leaves co and so2 out on purpose. */
export function oneOfEachKind(ts: number): Reading[] {
  return [
    reading('air-quality', 'aq-zl-001', ts, { pm25: 12.5, pm10: 30, no2: 15.2, o3: 41, temperature: 26.5, relativeHumidity: 72 }),
    reading('water-level', 'wl-river-007', ts, { currentLevel: 3.42 }, { district: TAOYUAN }),
    reading('water-level', 'wl-road-012', ts, { floodDepth: 7 }, { flags: QualityFlag.NO_DEVICE_TIME }),
    reading('streetlight', 'sl-zl-0420', ts, { powerState: 'on', status: 'ok', powerConsumption: 118.5, illuminanceLevel: 0.8 }),
    reading('parking', 'pk-zl-03', ts, { totalSpotNumber: 200, occupiedSpotNumber: 150, availableSpotNumber: 50 }, { flags: QualityFlag.ESTIMATED, district: TAOYUAN }),
  ];
}

/** A run of air-quality readings one minute apart. */
export function series(sensorId: string, n: number, start = T0): Reading[] {
  return Array.from({ length: n }, (_, i) => reading('air-quality', sensorId, start + i * MIN, { pm25: 10 + i, pm10: 20 + i }));
}

export function aggregate(over: Partial<Aggregate> & Pick<Aggregate, 'key' | 'start'>): Aggregate {
  return {
    scope: 'sensor',
    kind: 'air-quality',
    district: ZHONGLI,
    period: '1m',
    field: 'pm25',
    count: 6,
    mean: 14.5,
    min: 11,
    max: 19,
    last: 17,
    ...over,
  };
}

export function alert(over: Partial<Alert> & Pick<Alert, 'id'>): Alert {
  return {
    ruleId: 'basic.water.level1',
    subject: 'wl-river-007',
    kind: 'water-level',
    district: TAOYUAN,
    severity: 'critical',
    state: 'open',
    openedAt: T0,
    updatedAt: T0,
    field: 'currentLevel',
    value: 5.1,
    threshold: 5,
    message: { 'zh-TW': '河川水位達一級警戒（南崁溪）', en: 'River at warning level 1 (Nankan River)' },
    ...over,
  };
}

export function change(type: AlertChange['type'], a: Alert): AlertChange {
  return { type, alert: a };
}

export function deadLetter(reason: RejectReason, at: number, over: Partial<DeadLetter> = {}): DeadLetter {
  const payload = over.payload ?? '{"pm25":"高"}';
  return {
    at,
    reason,
    message: `${reason}: 欄位 pm25 必須是數字 / pm25 must be a number`,
    topic: 'sensors/air-quality/aq-zl-001/telemetry',
    clientId: 'aq-zl-001',
    payload,
    payloadBytes: Buffer.byteLength(payload),
    ...over,
  };
}
