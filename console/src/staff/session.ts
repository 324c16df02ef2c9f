import { reactive } from 'vue';
import { api, setCsrf } from '../http.ts';

export const session = reactive({ name: '', role: '' as '' | 'viewer' | 'operator' | 'admin', checked: false });
const RANK = { '': 0, viewer: 1, operator: 2, admin: 3 } as const;
export const can = (role: 'viewer' | 'operator' | 'admin') => RANK[session.role] >= RANK[role];

export async function refresh(): Promise<void> {
  try {
    const s = await api<{ name: string; role: 'viewer' | 'operator' | 'admin'; csrf: string }>('/console/api/session');
    Object.assign(session, { name: s.name, role: s.role });
    setCsrf(s.csrf);
  } catch {
    Object.assign(session, { name: '', role: '' });
  }
  session.checked = true;
}

export async function signIn(name: string, password: string): Promise<void> {
  const s = await api<{ name: string; role: 'viewer' | 'operator' | 'admin'; csrf: string }>('/console/api/session', { method: 'POST', body: { name, password } });
  setCsrf(s.csrf);
  Object.assign(session, { name: s.name, role: s.role, checked: true });
}

export async function signOut(): Promise<void> {
  await api('/console/api/session', { method: 'DELETE' }).catch(() => undefined);
  Object.assign(session, { name: '', role: '' });
}
