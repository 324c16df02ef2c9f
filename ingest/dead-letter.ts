import { REJECT_CATALOGUE, type DeadLetter, type RejectReason } from '../domain/index.ts';

/** Builds a dead letter with the raw payload cut to `maxBytes` (the count of the full size is kept). */
export function deadLetter(reason: RejectReason, message: string, topic: string, clientId: string, sensorId: string | undefined, payload: Buffer | undefined, payloadBytes: number, maxBytes: number, at: number): DeadLetter {
  const kept = payload ? payload.subarray(0, maxBytes).toString('utf8') : '';
  return { at, reason, message, topic, clientId, ...(sensorId ? { sensorId } : {}), payload: kept, payloadBytes };
}

/** The notice published to the sensor's own T3 topic, so a device (or its vendor) sees why. */
export function rejectionNotice(reason: RejectReason, message: string, topic: string, at: number): string {
  const text = REJECT_CATALOGUE[reason];
  return JSON.stringify({ code: reason, message: { 'zh-TW': text['zh-TW'], en: text.en }, detail: message, topic, at: new Date(at).toISOString() });
}
