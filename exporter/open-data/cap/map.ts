import { kindOf, TAIPEI_OFFSET_MS, type Alert, type DistrictBoundary, type LocalizedText } from '../../../domain/index.ts';
import type { OdContext } from '../context.ts';
import { unitOf } from '../present.ts';

/**
 * Our alert → CAP 1.2 (OASIS, 2010). Pure: the same alert state always yields the same
 * document. Only the allow-listed fields below are read from an Alert: anything the alert
 * engine may add later (staff notes, assignees, escalation) cannot reach a public document.
 */

/** CAP dateTime: no fractional seconds, explicit offset, never "Z" (CAP 1.2 §3.3.2). */
export function capTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000 + TAIPEI_OFFSET_MS).toISOString().slice(0, 19) + '+08:00';
}

/** CAP identifiers must not contain spaces, commas or restricted characters (< and &) (CAP 1.2 §3.2.1). */
function ident(s: string): string {
  return s.replace(/[^A-Za-z0-9._:@-]/g, '-');
}

/** Our three levels → CAP severity / urgency. A sensor measured it, so certainty is Observed. */
const SEVERITY = { critical: 'Severe', warning: 'Moderate', advisory: 'Minor' } as const;
const URGENCY = { critical: 'Immediate', warning: 'Expected', advisory: 'Future' } as const;

const CLEARED: LocalizedText = { 'zh-TW': '警戒已解除，請持續留意市府最新資訊。', en: 'The alert has been cleared; keep following the city\'s updates.' };

/** Taiwan's CAP platform names district codes by the code table they come from (NCDR: Taiwan_Geocode_103). */
export const TW_GEOCODE = 'Taiwan_Geocode_103';

/**
 * CAP <polygon>: "lat,lon" pairs separated by spaces, first = last, at least 4 (CAP 1.2 §3.2.4).
 * GeoJSON is [lon, lat]; CAP has no holes, so only outer rings are written (a MultiPolygon gives
 * one <polygon> per part).
 */
export function capPolygons(b: DistrictBoundary): string[] {
  const outers = b.type === 'Polygon' ? [b.coordinates[0]!] : b.coordinates.map((p) => p[0]!);
  return outers.map((ring) => ring.map(([lon, lat]) => `${lat},${lon}`).join(' '));
}

export interface CapInfo {
  language: 'zh-TW' | 'en-US';
  category: string;
  event: string;
  urgency: string;
  severity: string;
  certainty: 'Observed';
  eventCode: { valueName: string; value: string }[];
  effective: string;
  expires: string;
  senderName: string;
  headline: string;
  description: string;
  instruction: string;
  web: string;
  contact: string;
  parameters: { valueName: string; value: string }[];
  area: { areaDesc: string; polygon: string[]; circle?: string; geocode: { valueName: string; value: string }[] };
}

export interface CapAlert {
  identifier: string;
  sender: string;
  sent: string;
  status: 'Actual';
  msgType: 'Alert' | 'Update' | 'Cancel';
  scope: 'Public';
  references?: string;
  info: CapInfo[];
}

/** The identifier of the first message about an alert, which updates and the cancellation reference. */
export function originalId(ctx: OdContext, a: Alert): { identifier: string; sent: string } {
  return { identifier: ident(`${ctx.publisher.capSender}.${a.id}.${a.openedAt}`), sent: capTime(a.openedAt) };
}

export function capOf(ctx: OdContext, a: Alert, docUrl: string): CapAlert {
  const s = ctx.registry.sensor(a.subject);
  const district = ctx.registry.district(a.district);
  const orig = originalId(ctx, a);
  const msgType = a.state === 'resolved' ? 'Cancel' : a.updatedAt > a.openedAt ? 'Update' : 'Alert';
  const when = a.state === 'resolved' ? (a.resolvedAt ?? a.updatedAt) : a.updatedAt;
  const unit = unitOf(a.kind, a.field) ?? '';
  const profile = ctx.alerts.profile?.(a);
  // OD-A3: the district outline when the registry has one; otherwise a circle around the
  // sensor (a 0.5 km reach is what a single fixed sensor can speak for).
  const polygon = district?.boundary ? capPolygons(district.boundary) : [];
  let circle: string | undefined;
  if (s && polygon.length === 0) {
    const p = ctx.privacy.location(s);
    // 0.5 km around a fixed sensor; a coarsened location widens the circle to cover its grid cell.
    const km = Math.max(0.5, ctx.privacy.uncertaintyMetres(s) / 1000);
    circle = `${p.lat},${p.lon} ${km}`;
  }
  const kind = kindOf(a.kind);
  const label = kind.label;
  const areaName = (lang: 'zh-TW' | 'en') => [district ? district.name[lang] : a.district, s ? s.name[lang] : undefined].filter(Boolean).join(' ');
  const info = (lang: 'zh-TW' | 'en'): CapInfo => ({
    language: lang === 'en' ? 'en-US' : 'zh-TW',
    category: kind.cap.category,
    event: lang === 'en' ? `${label.en} alert` : `${label['zh-TW']}示警`,
    urgency: msgType === 'Cancel' ? 'Past' : URGENCY[a.severity],
    severity: msgType === 'Cancel' ? 'Minor' : SEVERITY[a.severity],
    certainty: 'Observed',
    eventCode: [...(profile?.eventCodes ?? ctx.cap.eventCodes[a.kind] ?? [{ valueName: 'civicstream:event', value: kind.cap.event }])],
    effective: capTime(when),
    // OD-A1: every message says when it stops being in force; the rule may set its own span.
    expires: capTime(when + (profile?.expiresMinutes ?? ctx.cap.expiresMinutes) * 60_000),
    senderName: ctx.publisher.agency[lang],
    headline: msgType === 'Cancel' ? (lang === 'en' ? `Cleared: ${a.message.en}` : `解除：${a.message['zh-TW']}`) : a.message[lang],
    description: lang === 'en'
      ? `${a.field} = ${a.value} ${unit} (threshold ${a.threshold} ${unit}) at ${areaName('en')}.`
      : `${areaName('zh-TW')}：${a.field} 量測值 ${a.value} ${unit}（門檻 ${a.threshold} ${unit}）。`,
    instruction: (msgType === 'Cancel' ? CLEARED : (profile?.instruction ?? kind.cap.instruction))[lang],
    web: docUrl,
    contact: profile?.contact ?? ctx.cap.contact ?? [ctx.publisher.contactName, ctx.publisher.contactPhone, ctx.publisher.contactEmail].filter(Boolean).join(' '),
    parameters: [
      { valueName: 'field', value: a.field },
      { valueName: 'value', value: String(a.value) },
      { valueName: 'threshold', value: String(a.threshold) },
      ...(unit ? [{ valueName: 'unit', value: unit }] : []),
    ],
    area: { areaDesc: areaName(lang) || a.district, polygon, ...(circle ? { circle } : {}), geocode: [{ valueName: TW_GEOCODE, value: a.district }] },
  });
  return {
    identifier: ident(`${ctx.publisher.capSender}.${a.id}.${when}`),
    sender: ctx.publisher.capSender,
    sent: capTime(when),
    status: 'Actual',
    msgType,
    scope: 'Public',
    ...(msgType !== 'Alert' ? { references: `${ctx.publisher.capSender},${orig.identifier},${orig.sent}` } : {}),
    info: [info('zh-TW'), info('en')],
  };
}
