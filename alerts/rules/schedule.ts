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

/**
 * Minutes of "HH:MM", parsed once per distinct string: a scheduled rule asks for every reading
 * of every streetlight, and splitting the same two strings each time was two arrays per reading
 * (bench max-throughput profile). Bounded: past the cap a string is parsed each time.
 */
const parsed = new Map<string, number>();
const MAX_PARSED = 4096;

function minutes(hhmm: string): number {
  let n = parsed.get(hhmm);
  if (n === undefined) {
    const [h, m] = hhmm.split(':');
    n = Number(h) * 60 + Number(m);
    if (parsed.size < MAX_PARSED) parsed.set(hhmm, n);
  }
  return n;
}
