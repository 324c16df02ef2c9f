import { kindOf, KIND_NAMES, toTaipeiIso, type SensorKind } from '../../domain/index.ts';
import { LICENSE } from '../schemas.ts';
import type { OdContext } from './context.ts';
import type { Reliability } from './reliability.ts';

export const ALERTS_DATASET = 'civicstream-alerts';
export const QUALITY_DATASET = 'civicstream-quality';
export const datasetId = (kind: SensorKind): string => `civicstream-${kind}`;

/** How often each feed changes, as data.gov.tw 更新頻率 and the DCAT/Dublin Core frequency vocabulary. */
const CONTINUOUS = { 'zh-TW': '即時（每 1–10 分鐘）', en: 'continuous (every 1–10 minutes)', dcat: 'http://purl.org/cld/freq/continuous' };

export interface BulkFile {
  readonly dataset: string;
  readonly date: string;
  readonly format: 'csv.gz' | 'parquet';
  readonly file: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly rows: number;
}

export interface Distribution {
  readonly title: string;
  readonly format: string;
  readonly mediaType: string;
  readonly accessURL: string;
  readonly bytes?: number;
  readonly sha256?: string;
  readonly issued?: string;
}

export interface DatasetMeta {
  readonly id: string;
  readonly title: { 'zh-TW': string; en: string };
  readonly description: { 'zh-TW': string; en: string };
  readonly publisher: { 'zh-TW': string; en: string };
  readonly contact: { name: string; email: string; phone?: string };
  readonly fields: readonly { name: string; type: string; unit?: string; description: { 'zh-TW': string; en: string } }[];
  readonly updateFrequency: { 'zh-TW': string; en: string };
  /** Dublin Core frequency IRI for dct:accrualPeriodicity (OD-C2). */
  readonly frequencyIri: string;
  /** data.gov.tw 服務分類. */
  readonly category: string;
  /** data.gov.tw 上架日期: the first published day (earliest daily dump), null before any. */
  readonly issued: string | null;
  /** data.gov.tw 資料量: records in the latest daily dump, null before any. */
  readonly volume: number | null;
  /** data.gov.tw 資料提供屬性. */
  readonly provision: string;
  /** data.gov.tw 相關網址. */
  readonly relatedUrls: readonly string[];
  readonly license: { name: { 'zh-TW': string; en: string }; url: string };
  readonly fee: string;
  readonly encoding: 'UTF-8';
  readonly formats: readonly string[];
  readonly keywords: readonly string[];
  readonly lastModified: string | null;
  readonly distributions: readonly Distribution[];
  readonly reliability?: Reliability | undefined;
  /** The sensor kind of a per-kind dataset: its name, label, list order (KD3) and primary fields, so clients (the console) list kinds without a copy of them. */
  readonly kind?: { readonly name: SensorKind; readonly label: { 'zh-TW': string; en: string }; readonly order: number; readonly primaryFields: readonly string[] };
  /** The same metadata under data.gov.tw's own field names (資料集詮釋資料欄位). */
  readonly dataGovTw: Record<string, unknown>;
}

/**
 * OD-C1: every field of data.gov.tw's dataset metadata list (資料集詮釋資料欄位), under its own
 * name. Fields we cannot know (上架日期, 資料量 before the first dump) are null, never invented.
 */
function dataGovTw(m: Omit<DatasetMeta, 'dataGovTw'>): Record<string, unknown> {
  return {
    資料集識別碼: m.id,
    資料集名稱: m.title['zh-TW'],
    服務分類: m.category,
    資料集描述: m.description['zh-TW'],
    主要欄位說明: m.fields.map((f) => `${f.name}(${f.description['zh-TW']}${f.unit ? `，單位 ${f.unit}` : ''})`).join('；'),
    提供機關: m.publisher['zh-TW'],
    提供機關聯絡人姓名: m.contact.name,
    提供機關聯絡人電話: m.contact.phone ?? null,
    提供機關聯絡人電子郵件: m.contact.email,
    更新頻率: m.updateFrequency['zh-TW'],
    授權方式: m.license.name['zh-TW'],
    授權說明網址: m.license.url,
    計費方式: m.fee,
    編碼格式: m.encoding,
    檔案格式: m.formats.join(';'),
    資料資源下載網址: m.distributions.map((d) => d.accessURL),
    詮釋資料更新時間: m.lastModified,
    上架日期: m.issued,
    資料量: m.volume,
    資料提供屬性: m.provision,
    相關網址: m.relatedUrls,
    語系: 'zh-TW;en',
  };
}

const FLAG_FIELD = { name: 'flags', type: 'string[]', description: { 'zh-TW': '品質旗標（空值為正常）', en: 'quality flags (empty = ok)' } };
const TIME_FIELD = { name: 'time', type: 'date-time', description: { 'zh-TW': '量測時間（ISO 8601，+08:00）', en: 'observation time (ISO 8601, +08:00)' } };


const related = (ctx: OdContext) => [`${ctx.baseUrl}/sta/v1.1`, `${ctx.baseUrl}/docs`, `${ctx.baseUrl}/open-data/v1/catalog.jsonld`];

export function kindDataset(ctx: OdContext, kind: SensorKind, lastModified: number | undefined, reliability: Reliability | undefined, bulk: readonly BulkFile[]): DatasetMeta {
  const d = kindOf(kind);
  const mine = bulk.filter((f) => f.dataset === datasetId(kind));
  const days = [...new Set(mine.map((f) => f.date))].sort();
  const latestDay = days[days.length - 1];
  const b = `${ctx.baseUrl}/open-data/v1/feeds/${kind}`;
  const m = {
    id: datasetId(kind),
    title: { 'zh-TW': `${d.label['zh-TW']}感測資料`, en: `${d.label.en} sensor data` },
    description: {
      'zh-TW': `本市${d.label['zh-TW']}感測器的即時與歷史量測值、每分鐘／每小時／每日統計。欄位依 FIWARE ${d.fiwareType} 命名，每筆資料附品質旗標。`,
      en: `Live and historical readings of the city's ${d.label.en.toLowerCase()} sensors, with 1-minute, 1-hour and 1-day aggregates. Fields follow FIWARE ${d.fiwareType}; every value carries quality flags.`,
    },
    ...publisherOf(ctx),
    fields: [
      { name: 'sensor_id', type: 'string', description: { 'zh-TW': '感測器代碼', en: 'sensor id' } },
      TIME_FIELD,
      ...d.fields.map((f) => ({ name: f.name, type: f.type, ...(f.unit ? { unit: f.unit } : {}), description: f.label })),
      FLAG_FIELD,
    ],
    updateFrequency: { 'zh-TW': CONTINUOUS['zh-TW'], en: CONTINUOUS.en },
    frequencyIri: CONTINUOUS.dcat,
    category: d.openDataCategory,
    issued: days[0] ?? null,
    volume: latestDay ? (mine.find((f) => f.date === latestDay && f.format === 'csv.gz')?.rows ?? null) : null,
    provision: '原始資料',
    relatedUrls: related(ctx),
    license: { name: LICENSE.name, url: LICENSE.url },
    fee: '免費',
    encoding: 'UTF-8' as const,
    // OD-C3: only formats that exist now; Parquet appears with the first daily dump.
    formats: ['JSON', 'CSV', 'GeoJSON', ...(bulk.some((f) => f.format === 'parquet') ? ['Parquet'] : [])],
    keywords: [d.label['zh-TW'], d.label.en, d.fiwareType, 'IoT', 'SensorThings'],
    lastModified: lastModified === undefined ? null : toTaipeiIso(lastModified),
    distributions: [
      { title: 'latest (JSON)', format: 'JSON', mediaType: 'application/json', accessURL: `${b}/latest` },
      { title: 'latest (CSV)', format: 'CSV', mediaType: 'text/csv', accessURL: `${b}/latest?format=csv` },
      { title: 'latest (GeoJSON)', format: 'GeoJSON', mediaType: 'application/geo+json', accessURL: `${b}/latest?format=geojson` },
      { title: 'aggregates 1m/1h/1d', format: 'JSON', mediaType: 'application/json', accessURL: `${b}/aggregates?period=1h` },
      { title: 'live (Server-Sent Events)', format: 'SSE', mediaType: 'text/event-stream', accessURL: `${b}/live` },
      { title: 'OGC SensorThings API v1.1', format: 'JSON', mediaType: 'application/json', accessURL: `${ctx.baseUrl}/sta/v1.1` },
      ...bulk.map((f) => ({
        title: `daily dump ${f.date} (${f.format})`, format: f.format === 'parquet' ? 'Parquet' : 'CSV',
        mediaType: f.format === 'parquet' ? 'application/vnd.apache.parquet' : 'application/gzip',
        accessURL: `${ctx.baseUrl}/open-data/v1/bulk/${f.file}`, bytes: f.bytes, sha256: f.sha256, issued: f.date,
      })),
    ],
    reliability,
    kind: { name: kind, label: d.label, order: d.order, primaryFields: d.requireAnyOf },
  };
  return { ...m, dataGovTw: dataGovTw(m) };
}

/** The publishing agency and its contact, the same on every dataset. */
function publisherOf(ctx: OdContext) {
  const p = ctx.publisher;
  return { publisher: p.agency, contact: { name: p.contactName, email: p.contactEmail, ...(p.contactPhone ? { phone: p.contactPhone } : {}) } };
}

export function alertsDataset(ctx: OdContext, lastModified: number | undefined): DatasetMeta {
  const m = {
    id: ALERTS_DATASET,
    title: { 'zh-TW': '公開示警（CAP 1.2）', en: 'Public alerts (CAP 1.2)' },
    description: {
      'zh-TW': '感測器觸發之公開示警，採 OASIS CAP 1.2 格式，含中英文內容與影響範圍；僅發布正式（Actual）示警。',
      en: 'Public alerts raised from sensor data, as OASIS CAP 1.2 with zh-TW and English info blocks and an area; only Actual alerts are published.',
    },
    ...publisherOf(ctx),
    fields: [
      { name: 'identifier', type: 'string', description: { 'zh-TW': '示警代碼', en: 'CAP identifier' } },
      { name: 'sent', type: 'date-time', description: { 'zh-TW': '發布時間', en: 'sent time' } },
      { name: 'severity', type: 'string', description: { 'zh-TW': '嚴重程度（CAP）', en: 'CAP severity' } },
      { name: 'area', type: 'polygon|circle', description: { 'zh-TW': '影響範圍（行政區界，無界線時為感測器周邊圓形）', en: 'affected area (district polygon; a circle around the sensor without a boundary)' } },
    ],
    updateFrequency: { 'zh-TW': '不定期（事件發生時）', en: 'as events occur' },
    frequencyIri: 'http://purl.org/cld/freq/irregular',
    category: '生活安全及品質',
    issued: null,
    volume: null,
    provision: '原始資料',
    relatedUrls: related(ctx),
    license: { name: LICENSE.name, url: LICENSE.url },
    fee: '免費',
    encoding: 'UTF-8' as const,
    formats: ['XML (CAP 1.2)', 'Atom'],
    keywords: ['示警', 'CAP', 'alerts', '災害'],
    lastModified: lastModified === undefined ? null : toTaipeiIso(lastModified),
    distributions: [{ title: 'Atom feed of current alerts', format: 'Atom', mediaType: 'application/atom+xml', accessURL: `${ctx.baseUrl}/open-data/v1/alerts/atom.xml` }],
  };
  return { ...m, dataGovTw: dataGovTw(m) };
}

/**
 * OD-C4: the quality figures (DQ1, DQ2: completeness, uptime, latency per sensor and per
 * feed, `/open-data/v1/quality`) are a dataset of their own, with the same data.gov.tw
 * fields as the others. They are derived from the stored readings at request time
 * (cached 60 s), so 資料提供屬性 is 加值衍生資料 and 詮釋資料更新時間 follows the newest reading.
 */
export function qualityDataset(ctx: OdContext, lastModified: number | undefined): DatasetMeta {
  const q = `${ctx.baseUrl}/open-data/v1/quality`;
  const f = (name: string, type: string, zh: string, en: string, unit?: string) => ({ name, type, ...(unit ? { unit } : {}), description: { 'zh-TW': zh, en } });
  const m = {
    id: QUALITY_DATASET,
    title: { 'zh-TW': '感測資料品質統計', en: 'Sensor data quality figures' },
    description: {
      'zh-TW': '每個感測器與每類資料（feed）的完整率、上線率與延遲，由已儲存之資料（含遲到資料）計算：完整率 = 已儲存筆數 ÷ 依回報間隔應收筆數；上線率 = 有資料的小時數 ÷ 區間小時數；延遲 = 裝置時間至接收時間。區間以 hours 參數指定（1–720 小時，預設 24），kind 參數可只取一類。',
      en: 'Completeness, uptime and latency per sensor and per feed (kind), computed from the stored readings, late ones included: completeness = stored ÷ expected from the sensor\'s interval; uptime = hours with data ÷ hours; latency = device time → receive time. The range is the `hours` parameter (1–720, default 24); `kind` selects one feed.',
    },
    ...publisherOf(ctx),
    fields: [
      f('sensorId', 'string', '感測器代碼（feeds 中為 kind）', 'sensor id (kind in feeds)'),
      f('kind', 'string', '感測器類別', 'sensor kind'),
      f('district', 'string', '行政區代碼（內政部 8 碼）', 'district code (MOI, 8 digits)'),
      f('expected', 'integer', '依回報間隔應收筆數', 'readings expected from the interval'),
      f('stored', 'integer', '已儲存筆數（含遲到）', 'readings stored (late included)'),
      f('late', 'integer', '遲到筆數', 'readings stored late'),
      f('completeness', 'number', '完整率（0–1）', 'completeness (0–1)'),
      f('uptime', 'number', '上線率（0–1）', 'uptime (0–1)'),
      f('latencyP50Ms', 'number', '延遲中位數', 'latency p50', 'ms'),
      f('latencyP95Ms', 'number', '延遲第 95 百分位', 'latency p95', 'ms'),
    ],
    updateFrequency: { 'zh-TW': '即時計算（快取 60 秒）', en: 'computed on request (cached 60 s)' },
    frequencyIri: CONTINUOUS.dcat,
    category: '公共資訊',
    issued: null,
    volume: null,
    provision: '加值衍生資料',
    relatedUrls: related(ctx),
    license: { name: LICENSE.name, url: LICENSE.url },
    fee: '免費',
    encoding: 'UTF-8' as const,
    formats: ['JSON'],
    keywords: ['資料品質', '完整率', 'data quality', 'completeness', 'uptime', 'latency'],
    lastModified: lastModified === undefined ? null : toTaipeiIso(lastModified),
    distributions: [
      { title: 'quality figures, last 24 h (JSON)', format: 'JSON', mediaType: 'application/json', accessURL: `${q}?hours=24` },
      { title: 'quality figures, last 30 days (JSON)', format: 'JSON', mediaType: 'application/json', accessURL: `${q}?hours=720` },
    ],
  };
  return { ...m, dataGovTw: dataGovTw(m) };
}

export { KIND_NAMES };
