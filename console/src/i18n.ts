import { ref, watch } from 'vue';
import { kindInfo } from './kinds.ts';

export type Lang = 'zh-TW' | 'en';
const KEY = 'civicstream.lang';
const stored = (() => { try { return localStorage.getItem(KEY); } catch { return null; } })();
/** zh-TW by default; the switch persists in localStorage (CO7). */
export const lang = ref<Lang>(stored === 'en' ? 'en' : 'zh-TW');
watch(lang, (l) => {
  try { localStorage.setItem(KEY, l); } catch { /* private mode: the switch lasts for the page */ }
  document.documentElement.lang = l;
}, { immediate: true });

export const L = (v: { 'zh-TW'?: string; en?: string } | undefined): string => (v ? (lang.value === 'en' ? v.en ?? v['zh-TW'] : v['zh-TW'] ?? v.en) ?? '' : '');

const parts = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Taipei', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
/** Every time on screen is Asia/Taipei with its offset: 2026-12-02 14:05:09 +08:00. */
export function fmtTime(t: number | string | undefined): string {
  if (t === undefined || t === '') return '—';
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return String(t);
  const p = Object.fromEntries(parts.formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second} +08:00`;
}

export function fmtAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const en = lang.value === 'en';
  if (s < 60) return en ? `${s} s ago` : `${s} 秒前`;
  if (s < 3600) return en ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 60)} 分鐘前`;
  if (s < 86400) return en ? `${Math.round(s / 3600)} h ago` : `${Math.round(s / 3600)} 小時前`;
  return en ? `${Math.round(s / 86400)} d ago` : `${Math.round(s / 86400)} 天前`;
}

const UNIT: Record<string, string> = { 'ug/m3': 'µg/m³', Cel: '°C', '%RH': '%', '{spaces}': '', '/': '' };
/** A share 0…1 as a percentage: 33 % / 1.4 % (one decimal below 10 %). */
export const fmtPct = (v: number | null | undefined): string => (typeof v !== 'number' ? '—' : `${(v * 100).toFixed(v < 0.1 && v > 0 ? 1 : 0)} %`);

export const fmtNum = (v: unknown, unit?: string): string => {
  if (typeof v !== 'number') return v === undefined || v === null ? '—' : String(v);
  const n = Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
  const u = unit !== undefined ? UNIT[unit] ?? unit : '';
  return u ? `${n} ${u}` : n;
};

const DICT = {
  'zh-TW': {
    appPublic: '城市感測資料', appConsole: '值勤主控台', lang: 'English', langLabel: '切換語言', map: '地圖', list: '感測器列表', alerts: '公開示警',
    noAlerts: '目前沒有公開示警', sensors: '感測器', latest: '最新值', updated: '更新', stale: '非即時', live: '即時', openData: '開放資料', apiDocs: 'API 文件',
    licence: '授權', search: '搜尋', kind: '類型', district: '行政區', all: '全部', name: '名稱', value: '數值', freshness: '資料新鮮度', download: '下載',
    signIn: '登入', signOut: '登出', staffName: '帳號', password: '密碼', board: '示警看板', sensorPages: '感測器', health: '系統健康', admin: '系統管理', domains: '專題',
    severity: '嚴重度', state: '狀態', age: '持續時間', assignee: '負責人', actions: '操作', acknowledge: '確認', assign: '指派', note: '備註', resolve: '解除', reason: '原因',
    open: '未處理', acknowledged: '已確認', resolved: '已解除', critical: '嚴重', warning: '警告', advisory: '注意', sound: '聲音提示', history: '歷程', deliveries: '通知紀錄',
    notes: '備註', chart: '讀值圖', back: '返回', online: '連線', offline: '離線', lastSeen: '最後回報', battery: '電量', firmware: '韌體', deadLetters: '近期拒收訊息',
    raw: '原始', range: '範圍', hours: '小時', noData: '沒有資料', loading: '載入中…', save: '儲存', add: '新增', disable: '停用', enable: '啟用', delete: '刪除', rotate: '更換密鑰',
    secretOnce: '密鑰只顯示這一次，請立即複製：', import: '批次匯入', dryRun: '試算（不套用）', apply: '套用', staff: '人員', gateways: '閘道器', integrations: '整合帳號', audit: '稽核紀錄',
    role: '角色', token: '權杖', wrongPassword: '帳號或密碼錯誤', throttled: '錯誤次數過多，請稍後再試', notAvailable: '此功能尚未提供（管理 API 未啟用）', rows: '列',
    ingestRate: '接收速率', rejections: '拒收（依原因）', journalLag: '日誌落後', store: '儲存', deliveryFailures: '通知失敗', components: '元件', perSecond: '筆/秒',
    rivers: '河川水位', air: '空氣品質', parking: '停車', streetlights: '路燈', level: '警戒', eta: '預估到達一級警戒', filters: '篩選', none: '無', newAlert: '新示警',
    noBasemap: '未設定底圖（離線模式）', ok: '正常', fault: '故障', available: '剩餘', signedInAs: '登入身分', catalogue: '資料集目錄', mobileMenu: '選單',
    completeness: '完整率（24 小時）', completenessRange: '近 24 小時已收 ÷ 應收筆數', storedOfExpected: '已收／應收', noQuality: '此儲存後端不提供品質統計',
    ruleThreshold: '規則門檻', readings: '筆讀值', time: '時間', change: '變更', by: '操作人員', channel: '管道', target: '對象', addNote: '新增備註',
    chOpened: '開啟', chUpdated: '更新', chResolved: '解除', rsOpened: '新警報', rsUpdated: '警報更新', rsResolved: '警報解除', rsLeft: '低於訂閱等級',
    rsReminder: '未確認提醒', rsEscalation: '升級通報', stSent: '已送達', stFailed: '失敗（重試中）', stDead: '放棄', stHeld: '暫緩（靜音時段）',
  },
  en: {
    appPublic: 'City sensors', appConsole: 'Staff console', lang: '中文', langLabel: 'Switch language', map: 'Map', list: 'Sensor list', alerts: 'Public alerts',
    noAlerts: 'No public alerts right now', sensors: 'Sensors', latest: 'Latest', updated: 'Updated', stale: 'Not live', live: 'Live', openData: 'Open data', apiDocs: 'API documentation',
    licence: 'Licence', search: 'Search', kind: 'Kind', district: 'District', all: 'All', name: 'Name', value: 'Value', freshness: 'Freshness', download: 'Download',
    signIn: 'Sign in', signOut: 'Sign out', staffName: 'Name', password: 'Password', board: 'Alert board', sensorPages: 'Sensors', health: 'Pipeline health', admin: 'Administration', domains: 'Domains',
    severity: 'Severity', state: 'State', age: 'Age', assignee: 'Assignee', actions: 'Actions', acknowledge: 'Acknowledge', assign: 'Assign', note: 'Note', resolve: 'Resolve', reason: 'Reason',
    open: 'Open', acknowledged: 'Acknowledged', resolved: 'Resolved', critical: 'Critical', warning: 'Warning', advisory: 'Advisory', sound: 'Sound cue', history: 'History', deliveries: 'Deliveries',
    notes: 'Notes', chart: 'Readings', back: 'Back', online: 'Online', offline: 'Offline', lastSeen: 'Last seen', battery: 'Battery', firmware: 'Firmware', deadLetters: 'Recent dead letters',
    raw: 'Raw', range: 'Range', hours: 'hours', noData: 'No data', loading: 'Loading…', save: 'Save', add: 'Add', disable: 'Disable', enable: 'Enable', delete: 'Delete', rotate: 'Rotate secret',
    secretOnce: 'The secret is shown only once; copy it now:', import: 'Bulk import', dryRun: 'Dry run', apply: 'Apply', staff: 'Staff', gateways: 'Gateways', integrations: 'Integrations', audit: 'Audit log',
    role: 'Role', token: 'Token', wrongPassword: 'Wrong name or password', throttled: 'Too many wrong passwords; wait and try again', notAvailable: 'Not available (the admin API is not enabled)', rows: 'rows',
    ingestRate: 'Ingest rate', rejections: 'Rejections by reason', journalLag: 'Journal lag', store: 'Store', deliveryFailures: 'Delivery failures', components: 'Components', perSecond: 'readings/s',
    rivers: 'Rivers', air: 'Air quality', parking: 'Parking', streetlights: 'Streetlights', level: 'Level', eta: 'ETA to level 1', filters: 'Filters', none: 'None', newAlert: 'New alert',
    noBasemap: 'No basemap configured (offline mode)', ok: 'OK', fault: 'Fault', available: 'available', signedInAs: 'Signed in as', catalogue: 'Dataset catalogue', mobileMenu: 'Menu',
    completeness: 'Completeness (24 h)', completenessRange: 'readings stored ÷ expected over the last 24 h', storedOfExpected: 'stored / expected', noQuality: 'this store keeps no quality figures',
    ruleThreshold: 'rule threshold', readings: 'readings', time: 'Time', change: 'Change', by: 'By', channel: 'Channel', target: 'Target', addNote: 'Add a note',
    chOpened: 'opened', chUpdated: 'updated', chResolved: 'resolved', rsOpened: 'new alert', rsUpdated: 'alert updated', rsResolved: 'alert resolved', rsLeft: 'below the subscription level',
    rsReminder: 'unacknowledged reminder', rsEscalation: 'escalated', stSent: 'sent', stFailed: 'failed (retrying)', stDead: 'given up', stHeld: 'held (quiet hours)',
  },
} as const;
export type Key = keyof (typeof DICT)['en'];
export const t = (k: Key): string => DICT[lang.value][k];
export const KIND_LABEL: Record<string, { 'zh-TW': string; en: string }> = {
  'air-quality': { 'zh-TW': '空氣品質', en: 'Air quality' },
  'water-level': { 'zh-TW': '水位', en: 'Water level' },
  streetlight: { 'zh-TW': '路燈', en: 'Streetlight' },
  parking: { 'zh-TW': '停車場', en: 'Parking' },
};
/** The console's own short labels for the built-in kinds, else the label the server describes (console/src/kinds.ts), else the name. */
export const kindLabel = (k: string) => L(KIND_LABEL[k] ?? kindInfo(k)?.label) || k;
