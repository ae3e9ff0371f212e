import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * Structured logs. Request logs carry method, route path, status and timing only: no
 * bodies, no query strings (QIDO queries can hold patient names), no headers.
 */
export function createLogger(options: { level: string; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'yunzhen' },
      redact: {
        paths: ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization', 'cookie', '*.cookie'],
        censor: '[redacted]',
      },
    },
    options.destination,
  );
}
