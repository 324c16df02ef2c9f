import { KINDS, type FieldValue, type LocalizedText, type Sensor, type ThresholdSpec } from '../domain/index.ts';

/**
 * Bilingual alert texts, zh-TW first (MISSION: "Language: zh-TW first, English second").
 * Unit codes are the canonical SenML/UCUM-style codes of domain/kinds; people read symbols.
 */
const UNIT_DISPLAY: Readonly<Record<string, LocalizedText>> = {
  'ug/m3': { 'zh-TW': 'µg/m³', en: 'µg/m³' },
  Cel: { 'zh-TW': '°C', en: '°C' },
  '%RH': { 'zh-TW': '%', en: '%' },
  '{spaces}': { 'zh-TW': '格', en: 'spaces' },
  '/': { 'zh-TW': '', en: '' },
};

function unitOf(sensor: Sensor, field: string): LocalizedText {
  const code = KINDS[sensor.kind].fields.find((f) => f.name === field)?.unit ?? '';
  return UNIT_DISPLAY[code] ?? { 'zh-TW': code, en: code };
}

function fieldLabel(sensor: Sensor, field: string): LocalizedText {
  return KINDS[sensor.kind].fields.find((f) => f.name === field)?.label ?? { 'zh-TW': field, en: field };
}

/** Two decimals at most, no trailing zeros: sensor values are shown, not re-computed. */
function num(v: number): string {
  return String(Math.round(v * 100) / 100);
}

function quantity(v: FieldValue, unit: string): string {
  if (typeof v === 'string') return v;
  return unit ? `${num(v)} ${unit}` : num(v);
}

function condition(rule: ThresholdSpec, lang: 'zh-TW' | 'en', unit: string): string {
  if (rule.op === 'equals') return lang === 'zh-TW' ? `條件 = ${rule.match ?? num(rule.threshold)}` : `condition = ${rule.match ?? num(rule.threshold)}`;
  const sign = rule.op === 'above' ? '≥' : '≤';
  return lang === 'zh-TW' ? `門檻 ${sign} ${quantity(rule.threshold, unit)}` : `threshold ${sign} ${quantity(rule.threshold, unit)}`;
}

/** "南崁溪橋：河川水位達二級警戒（水位 12.3 m，門檻 ≥ 12 m）" / "Nankan Bridge: River at warning level 2 (Water stage 12.3 m, threshold ≥ 12 m)" */
export function activeMessage(sensor: Sensor, rule: ThresholdSpec, value: FieldValue): LocalizedText {
  const unit = unitOf(sensor, rule.field);
  const label = fieldLabel(sensor, rule.field);
  return {
    'zh-TW': `${sensor.name['zh-TW']}：${rule.label['zh-TW']}（${label['zh-TW']} ${quantity(value, unit['zh-TW'])}，${condition(rule, 'zh-TW', unit['zh-TW'])}）`,
    en: `${sensor.name.en}: ${rule.label.en} (${label.en} ${quantity(value, unit.en)}, ${condition(rule, 'en', unit.en)})`,
  };
}

/** "南崁溪橋：河川水位達三級警戒 已解除（水位 9.1 m）" / "Nankan Bridge: River at warning level 3 cleared (Water stage 9.1 m)" */
export function resolvedMessage(sensor: Sensor, rule: ThresholdSpec, value: FieldValue): LocalizedText {
  const unit = unitOf(sensor, rule.field);
  const label = fieldLabel(sensor, rule.field);
  return {
    'zh-TW': `${sensor.name['zh-TW']}：${rule.label['zh-TW']} 已解除（${label['zh-TW']} ${quantity(value, unit['zh-TW'])}）`,
    en: `${sensor.name.en}: ${rule.label.en} cleared (${label.en} ${quantity(value, unit.en)})`,
  };
}
