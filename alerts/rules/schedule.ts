import { taipeiMinuteOfDay, type Sensor } from '../../domain/index.ts';

/**
 * Is the streetlight scheduled on at `ts`? The schedule is local (+08:00) "HH:MM"
 * on/off times (domain/kinds/streetlight.ts); an on time later than the off time spans
 * midnight (18:00 → 06:00), which is the usual case for street lighting.
 */
export function scheduledOn(sensor: Sensor, ts: number): boolean {
  const s = sensor.params.schedule as { on?: string; off?: string } | undefined;
  if (!s?.on || !s.off) return false;
  const on = minutes(s.on);
  const off = minutes(s.off);
  const m = taipeiMinuteOfDay(ts);
  return on <= off ? m >= on && m < off : m >= on || m < off;
}

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}
