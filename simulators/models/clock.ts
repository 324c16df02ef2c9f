import { TAIPEI_OFFSET_MS } from '../../domain/index.ts';

/** Calendar helpers in Asia/Taipei local time (UTC+8, no DST), for diurnal and weekly shapes. */

const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;
export const MINUTE_MS = 60_000;

/** Local hour of day as a fraction, 0 ≤ h < 24. */
export function localHours(t: number): number {
  const ms = (((t + TAIPEI_OFFSET_MS) % DAY_MS) + DAY_MS) % DAY_MS;
  return ms / HOUR_MS;
}

/** Local day of week, 0 = Sunday … 6 = Saturday (1970-01-01 was a Thursday). */
export function localWeekday(t: number): number {
  const day = Math.floor((t + TAIPEI_OFFSET_MS) / DAY_MS);
  return (((day + 4) % 7) + 7) % 7;
}

export function isWeekend(t: number): boolean {
  const d = localWeekday(t);
  return d === 0 || d === 6;
}

/** Day of year 0–365 (fractional), local time; good enough for seasonal cosines. */
export function dayOfYear(t: number): number {
  const local = new Date(t + TAIPEI_OFFSET_MS);
  const start = Date.UTC(local.getUTCFullYear(), 0, 1);
  return (local.getTime() - start) / DAY_MS;
}

/** Seasonal cosine in [-1, 1] peaking on day `peakDay`. */
export function seasonal(t: number, peakDay: number): number {
  return Math.cos((2 * Math.PI * (dayOfYear(t) - peakDay)) / 365.25);
}

/** A bell of height 1 centred on hour `mu` (wrapping midnight) with width `sigma` hours. */
export function bell(h: number, mu: number, sigma: number): number {
  let d = Math.abs(h - mu);
  if (d > 12) d = 24 - d;
  return Math.exp(-(d * d) / (2 * sigma * sigma));
}

/** "HH:MM" → minutes since midnight. */
export function parseHhmm(s: string): number {
  const [hh, mm] = s.split(':');
  return Number(hh) * 60 + Number(mm);
}

/** Whether minute-of-day `m` lies in the window [on, off), which may cross midnight. */
export function inWindow(m: number, on: number, off: number): boolean {
  return on <= off ? m >= on && m < off : m >= on || m < off;
}

export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

export function round(v: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(v * f) / f;
}
