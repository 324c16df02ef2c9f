import type { CapAlert } from './map.ts';
import { block, el } from './xml.ts';

export const CAP_NS = 'urn:oasis:names:tc:emergency:cap:1.2';

/** Serialises in the element order the CAP 1.2 XML schema's sequences require. */
export function capXml(c: CapAlert): string {
  const i1 = '  ';
  const i2 = '    ';
  const i3 = '      ';
  const infos = c.info.map((f) => block('info',
    el('language', f.language, i2) + el('category', f.category, i2) + el('event', f.event, i2) + el('urgency', f.urgency, i2) +
    el('severity', f.severity, i2) + el('certainty', f.certainty, i2) + el('effective', f.effective, i2) + el('senderName', f.senderName, i2) +
    el('headline', f.headline, i2) + el('description', f.description, i2) + el('web', f.web, i2) +
    f.parameters.map((p) => block('parameter', el('valueName', p.valueName, i3) + el('value', p.value, i3), i2)).join('') +
    block('area', el('areaDesc', f.area.areaDesc, i3) + el('circle', f.area.circle, i3) +
      block('geocode', el('valueName', f.area.geocode.valueName, `${i3}  `) + el('value', f.area.geocode.value, `${i3}  `), i3), i2),
    i1)).join('');
  return '<?xml version="1.0" encoding="UTF-8"?>\n' + block('alert',
    el('identifier', c.identifier, i1) + el('sender', c.sender, i1) + el('sent', c.sent, i1) + el('status', c.status, i1) +
    el('msgType', c.msgType, i1) + el('scope', c.scope, i1) + el('references', c.references, i1) + infos,
    '', ` xmlns="${CAP_NS}"`);
}
