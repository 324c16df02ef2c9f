/** Asia/Taipei is UTC+8 all year (no DST), so a fixed offset is exact. */
export const TAIPEI_OFFSET_MS = 8 * 3_600_000;

/** Last second formatted by toTaipeiIso ("2026-11-22T11:05:00"): live readings mostly share it. */
let cachedSecond = Number.NaN;
let cachedHead = '';
/** Epoch ms whose local time is past year 9999 (toISOString then writes an expanded year). */
const FOUR_DIGIT_YEARS_END = 253_402_300_800_000 - TAIPEI_OFFSET_MS;

/** ISO 8601 with +08:00, millisecond precision: 2026-11-22T11:05:00.000+08:00 */
export function toTaipeiIso(epochMs: number): string {
  // Called per reading by the public feeds: the date part is formatted once per second.
  if (Number.isInteger(epochMs) && epochMs >= 0 && epochMs < FOUR_DIGIT_YEARS_END) {
    const ms = epochMs % 1000;
    const second = epochMs - ms;
    if (second !== cachedSecond) {
      cachedHead = new Date(second + TAIPEI_OFFSET_MS).toISOString().slice(0, 19);
      cachedSecond = second;
    }
    return `${cachedHead}.${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}+08:00`;
  }
  const d = new Date(epochMs + TAIPEI_OFFSET_MS);
  return d.toISOString().slice(0, 23) + '+08:00';
}

/** Parses an ISO 8601 date-time (any offset) or epoch milliseconds; NaN when invalid. */
export function parseTime(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? value : Number.NaN;
  if (typeof value !== 'string') return Number.NaN;
  // Require a full date-time with an explicit offset: a bare local time is ambiguous.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return Number.NaN;
  return Date.parse(value);
}

/** Minutes since local (+08:00) midnight. */
export function taipeiMinuteOfDay(epochMs: number): number {
  return Math.floor(((epochMs + TAIPEI_OFFSET_MS) % 86_400_000) / 60_000);
}
