export interface Alert {
  id: string; ruleId: string; subject: string; kind: string; district: string; severity: 'critical' | 'warning' | 'advisory';
  state: 'open' | 'acknowledged' | 'resolved'; openedAt: number; updatedAt: number; resolvedAt?: number; field?: string; value?: number; threshold?: number;
  message: { 'zh-TW': string; en: string }; assignee?: string; capStatus?: string; public?: boolean; flapping?: boolean;
}
export const SEV_RANK: Record<string, number> = { critical: 3, warning: 2, advisory: 1 };
