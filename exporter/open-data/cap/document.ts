import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';
import type { CapAlert } from './map.ts';

export const CAP_NS = 'urn:oasis:names:tc:emergency:cap:1.2';

/**
 * OD-A4: CAP and Atom are written by xmlbuilder2, which escapes every text and attribute. A
 * character XML 1.0 forbids (a control character in a sensor name) is replaced by U+FFFD
 * instead of producing a document no parser accepts.
 */
export function newDocument(): XMLBuilder {
  return create({ version: '1.0', encoding: 'UTF-8', invalidCharReplacement: '\ufffd' });
}

/** Adds `<name>text</name>` to `parent`, or nothing when text is undefined (optional CAP elements are omitted, not empty). */
export function text(parent: XMLBuilder, name: string, value: string | number | undefined): void {
  if (value !== undefined) parent.ele(name).txt(String(value));
}

/** A `<name><valueName/><value/></name>` pair (eventCode, parameter, geocode). */
function valuePair(parent: XMLBuilder, name: string, v: { readonly valueName: string; readonly value: string }): void {
  const el = parent.ele(name);
  text(el, 'valueName', v.valueName);
  text(el, 'value', v.value);
}

/** Serialises in the element order the CAP 1.2 XML schema's sequences require. */
export function capXml(c: CapAlert): string {
  const doc = newDocument();
  const alert = doc.ele(CAP_NS, 'alert');
  text(alert, 'identifier', c.identifier);
  text(alert, 'sender', c.sender);
  text(alert, 'sent', c.sent);
  text(alert, 'status', c.status);
  text(alert, 'msgType', c.msgType);
  text(alert, 'scope', c.scope);
  text(alert, 'references', c.references);
  for (const f of c.info) {
    const info = alert.ele('info');
    text(info, 'language', f.language);
    text(info, 'category', f.category);
    text(info, 'event', f.event);
    text(info, 'urgency', f.urgency);
    text(info, 'severity', f.severity);
    text(info, 'certainty', f.certainty);
    for (const e of f.eventCode) valuePair(info, 'eventCode', e);
    text(info, 'effective', f.effective);
    text(info, 'expires', f.expires);
    text(info, 'senderName', f.senderName);
    text(info, 'headline', f.headline);
    text(info, 'description', f.description);
    text(info, 'instruction', f.instruction);
    text(info, 'web', f.web);
    text(info, 'contact', f.contact);
    for (const p of f.parameters) valuePair(info, 'parameter', p);
    const area = info.ele('area');
    text(area, 'areaDesc', f.area.areaDesc);
    for (const p of f.area.polygon) text(area, 'polygon', p);
    text(area, 'circle', f.area.circle);
    for (const g of f.area.geocode) valuePair(area, 'geocode', g);
  }
  return doc.end({ prettyPrint: true }) + '\n';
}
