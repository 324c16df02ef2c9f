import type { AlertStateStore, StaffRole } from './state-store.ts';
import { verifyToken } from './staff-tokens.ts';

/**
 * Staff MQTT principals (MQ1–MQ3), for the broker's hooks (broker/ is owned elsewhere;
 * see the integration notes in alerts/index.ts):
 * MQ1 A staff member connects with username = staff name, password = their API token.
 * MQ2 Staff may subscribe only to filters inside `alerts/` (`alerts/#`, `alerts/water-level/#`, …),
 *     never to sensor topics or `$SYS`.
 * MQ3 Staff may never publish (alerts/ is written only by the pipeline, T4).
 */
export interface StaffPrincipal {
  readonly type: 'staff';
  readonly id: string;
  readonly role: StaffRole;
}

export function authenticateStaff(store: AlertStateStore, username: string | undefined, password: Buffer | string | undefined): StaffPrincipal | undefined {
  if (!username || password === undefined) return undefined;
  const rec = verifyToken(store, typeof password === 'string' ? password : password.toString('utf8'));
  return rec && rec.name === username ? { type: 'staff', id: rec.name, role: rec.role } : undefined;
}

export function staffMaySubscribe(filter: string): boolean {
  const parts = filter.split('/');
  if (parts[0] !== 'alerts') return false;
  // '#' only as the last level and '+' only as a whole level (MQTT 3.1.1 §4.7.1); no '$'.
  return parts.every((p, i) => (p === '#' ? i === parts.length - 1 : !p.includes('#') && (p === '+' || !p.includes('+')) && !p.includes('$')));
}

export const staffMayPublish = (_topic: string): boolean => false;
