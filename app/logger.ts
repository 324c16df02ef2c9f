import pino, { type Logger } from 'pino';

/** JSON logs to stderr (stdout stays free for CLI output such as printed secrets). */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'civicstream' }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination(2));
}
