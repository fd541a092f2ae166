import { createRequire } from 'node:module';
import { pino } from 'pino';
import type PinoPretty from 'pino-pretty';

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

/**
 * Without a destination, log lines go to stdout: JSON for machines (a pipe, a file, a log
 * collector, the test runner), coloured lines when a person watches a terminal. Pretty-printing
 * reads pino's JSON after redaction, so both show exactly the same fields.
 */
function defaultDestination(): pino.DestinationStream | undefined {
  const atTerminal = process.stdout.isTTY === true && process.env.NODE_TEST_CONTEXT === undefined;
  if (!atTerminal) return undefined;
  // Loaded only here: servers and tests writing JSON never pay for it. `require` is named, not
  // called on createRequire's result, so that dependency-cruiser sees the import (boundaries.test.ts).
  const require = createRequire(import.meta.url);
  const pretty = require('pino-pretty') as typeof PinoPretty;
  return pretty({ colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'service' });
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'canopy' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? defaultDestination(),
  );
}
