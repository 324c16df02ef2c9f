import { RejectError, type FieldValue, type KindDescription } from '../domain/index.ts';

/**
 * Step 4 of ingest: copy the kind's declared fields, converting units to canonical.
 * Unknown fields are ignored (P4) so a firmware that adds a field keeps reporting.
 * An unknown unit is a rejection (UNIT), never a silent mis-scaling.
 */
export function normaliseUnits(desc: KindDescription, raw: Readonly<Record<string, unknown>>, units: Readonly<Record<string, string>> | undefined): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {};
  for (const f of desc.fields) {
    const v = raw[f.name];
    if (v === undefined) continue;
    const unit = units?.[f.name];
    if (unit === undefined || unit === f.unit || typeof v !== 'number') {
      out[f.name] = v as FieldValue; // type errors are reported by the schema step
      continue;
    }
    const conv = f.accepts?.[unit];
    if (!conv) throw new RejectError('UNIT', `${f.name}: unit "${unit}" not accepted (canonical ${f.unit ?? 'none'}${f.accepts ? `, also ${Object.keys(f.accepts).join(', ')}` : ''})`);
    out[f.name] = v * conv.factor + (conv.offset ?? 0);
  }
  return out;
}
