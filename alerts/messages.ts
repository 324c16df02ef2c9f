import { toTaipeiIso, type LocalizedText } from '../domain/index.ts';
import type { EngineAlert, Verdict } from './types.ts';

/**
 * Bilingual alert texts, zh-TW first then English (MISSION: "Language: zh-TW first").
 * MS1 The alert's own `message` names the subject, the condition, value and threshold,
 *     and the trend / time-to-threshold when the rule knows them.
 * MS2 A notification (e-mail, webhook) adds location, time (+08:00) and the API link.
 */
function num(v: number): string {
  return Number.isFinite(v) ? String(Math.round(v * 100) / 100) : '—';
}

export function verdictMessage(subject: LocalizedText, v: Verdict, cleared: boolean): LocalizedText {
  if (cleared) {
    return { 'zh-TW': `${subject['zh-TW']}：${v.label['zh-TW']} 已解除（${v.field} ${num(v.value)}）`, en: `${subject.en}: ${v.label.en} cleared (${v.field} ${num(v.value)})` };
  }
  let zh = `${subject['zh-TW']}：${v.label['zh-TW']}（${v.field} ${num(v.value)}，門檻 ${num(v.threshold)}`;
  let en = `${subject.en}: ${v.label.en} (${v.field} ${num(v.value)}, threshold ${num(v.threshold)}`;
  if (v.trendPerHour !== undefined) {
    zh += `，趨勢 ${v.trendPerHour >= 0 ? '+' : ''}${num(v.trendPerHour)}/小時`;
    en += `, trend ${v.trendPerHour >= 0 ? '+' : ''}${num(v.trendPerHour)}/h`;
  }
  zh += '）';
  en += ')';
  if (v.etaMinutes !== undefined) {
    const target = v.etaLabel ?? { 'zh-TW': '門檻', en: 'the threshold' };
    // RC4: the next level first when it is not the highest: 約 12 分鐘後達二級警戒、約 40 分鐘後達一級警戒
    const next = v.etaNext;
    zh += `；依目前上升速率${next ? `約 ${next.minutes} 分鐘後達${next.label['zh-TW']}、` : ''}約 ${v.etaMinutes} 分鐘後達${target['zh-TW']}`;
    en += `; ${next ? `${next.label.en} in about ${next.minutes} minutes, ` : ''}${target.en} in about ${v.etaMinutes} minutes at the current rate`;
  }
  return { 'zh-TW': zh, en };
}

export interface NotificationContext {
  /** e.g. 桃園市中壢區 / Zhongli District */
  readonly location?: LocalizedText;
  /** Absolute base URL of the staff API (link to the alert). */
  readonly baseUrl: string;
  /** 'escalation' and 'reminder' say why an alert is sent again. */
  readonly reason: 'opened' | 'updated' | 'resolved' | 'left' | 'reminder' | 'escalation';
}

const SEVERITY: Readonly<Record<string, LocalizedText>> = {
  advisory: { 'zh-TW': '注意', en: 'Advisory' },
  warning: { 'zh-TW': '警戒', en: 'Warning' },
  critical: { 'zh-TW': '緊急', en: 'Critical' },
};
const REASON: Readonly<Record<NotificationContext['reason'], LocalizedText>> = {
  opened: { 'zh-TW': '新警報', en: 'New alert' },
  updated: { 'zh-TW': '警報更新', en: 'Alert updated' },
  resolved: { 'zh-TW': '警報解除', en: 'Alert resolved' },
  left: { 'zh-TW': '警報降級，已低於您的訂閱等級', en: 'Alert lowered below your subscription level' },
  reminder: { 'zh-TW': '未確認提醒', en: 'Unacknowledged reminder' },
  escalation: { 'zh-TW': '升級通報', en: 'Escalated' },
};

export function alertLink(baseUrl: string, id: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/api/v1/staff/alerts/${encodeURIComponent(id)}`;
}

/** Subject line and plain-text body, both languages, zh-TW first (MS2). */
export function renderNotification(a: EngineAlert, ctx: NotificationContext): { subject: string; text: string } {
  const sev = SEVERITY[a.severity]!;
  const why = REASON[ctx.reason];
  const subject = `[${sev['zh-TW']} ${sev.en}] ${why['zh-TW']} ${why.en}: ${a.message['zh-TW']}`;
  const loc = ctx.location;
  const lines = [
    `${why['zh-TW']}（${sev['zh-TW']}）`,
    a.message['zh-TW'],
    ...(loc ? [`地點：${loc['zh-TW']}`] : []),
    `數值：${num(a.value)}；門檻：${num(a.threshold)}${a.trendPerHour !== undefined ? `；趨勢：${num(a.trendPerHour)}/小時` : ''}`,
    `開始時間：${toTaipeiIso(a.openedAt)}；更新時間：${toTaipeiIso(a.updatedAt)}`,
    `狀態：${a.state}${a.flapping ? '（頻繁變動）' : ''}`,
    '',
    `${why.en} (${sev.en})`,
    a.message.en,
    ...(loc ? [`Location: ${loc.en}`] : []),
    `Value: ${num(a.value)}; threshold: ${num(a.threshold)}${a.trendPerHour !== undefined ? `; trend: ${num(a.trendPerHour)}/h` : ''}`,
    `Opened: ${toTaipeiIso(a.openedAt)}; updated: ${toTaipeiIso(a.updatedAt)}`,
    `State: ${a.state}${a.flapping ? ' (flapping)' : ''}`,
    '',
    alertLink(ctx.baseUrl, a.id),
  ];
  return { subject, text: lines.join('\n') };
}
