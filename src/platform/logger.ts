import { pino } from 'pino';

export type Logger = pino.Logger;

// Paths pino blanks out wherever they appear, so a secret passed by mistake never reaches a log line.
const REDACT = [
  'password',
  'secret',
  'clientSecret',
  'token',
  'secretsKey',
  '*.password',
  '*.secret',
  '*.clientSecret',
  '*.token',
  '*.secretsKey',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'canopy' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
