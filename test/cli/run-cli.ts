import { Readable } from 'node:stream';
import { runCli } from '../../src/cli/program.ts';
import { readFirstLine } from '../../src/cli/stdin.ts';
import type { Container } from '../../src/container.ts';
import { migrateToLatest } from '../../src/platform/db/migrate.ts';

export interface RunResult {
  code: number;
  out: string;
  err: string;
}

export const OPERATOR = 'cli:test-operator';

let serial = 0;
export const uniqueDomain = (prefix: string) => `${prefix}-${process.pid}-${++serial}`;

/**
 * Runs one command line in-process against a test container, capturing stdout and stderr. The
 * program must leave the container open: the test owns it.
 */
export async function runAgainst(
  container: Container,
  argv: string[],
  io: { stdin?: string; env?: Record<string, string> } = {},
): Promise<RunResult> {
  const result: RunResult = { code: -1, out: '', err: '' };
  result.code = await runCli(argv, {
    services: async () => container,
    migrate: async () => ({
      applied: await migrateToLatest(container.database.knex),
      database: 'test database',
    }),
    stdout: (text) => {
      result.out += text;
    },
    stderr: (text) => {
      result.err += text;
    },
    readStdinLine: () => readFirstLine(Readable.from([io.stdin ?? '']), process.stderr),
    env: io.env ?? {},
    operatorName: OPERATOR,
  });
  return result;
}
