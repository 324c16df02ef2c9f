export { Ingest, type IngestOptions, type IngestedReading } from './ingest.ts';
export { Journal, type JournalOptions, type JournalFs } from './journal.ts';
export { StatusSchema } from './schemas.ts';
export { toReadings } from './to-readings.ts';
export { decode } from './decode.ts';
export type { TimePolicy } from './timestamp.ts';
export { newQualityTrack, spikeStuckFlags, trackedFields, type QualityTrack } from './quality.ts';
