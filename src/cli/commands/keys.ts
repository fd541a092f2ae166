import type { Command } from 'commander';
import type { SigningKeyInfo } from '../../modules/signing-keys/index.ts';
import type { CommandDeps } from '../program.ts';

/** 2026-01-01T02:00:00Z: to the second, in UTC, the same on every operator's terminal. */
const when = (at: Date | null) => (at ? at.toISOString().replace(/\.\d{3}Z$/, 'Z') : '-');

function table(keys: readonly SigningKeyInfo[]): string {
  const rows = [
    ['KID', 'ALG', 'STATUS', 'CREATED', 'RETIRES'],
    ...keys.map((k) => [k.kid, k.alg, k.status, when(k.createdAt), when(k.retireAt)]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map(
      (r) =>
        `${r
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join('  ')
          .trimEnd()}\n`,
    )
    .join('');
}

export function registerKeys(program: Command, deps: CommandDeps): void {
  const keys = program.command('keys').description("inspect and rotate the OpenID provider's signing keys");

  keys
    .command('list')
    .summary('list the signing keys and their status')
    .description(
      'List the signing keys, newest first: active keys sign tokens, retiring keys are still published ' +
        'for verification until their retirement time, retired keys are no longer published. No ' +
        'private key material is shown.',
    )
    .option('--json', 'print the keys as JSON, each with its public JWK')
    .action(async (options: { json?: boolean }) => {
      const { signingKeys } = await deps.services();
      const list = await signingKeys.list();
      if (options.json) {
        deps.stdout(`${JSON.stringify({ keys: list }, null, 2)}\n`);
        return;
      }
      if (list.length === 0) {
        deps.stdout(
          'No signing keys yet: the server creates them when it first starts (or run `canopy keys rotate`).\n',
        );
        return;
      }
      deps.stdout(table(list));
    });

  keys
    .command('rotate')
    .summary('add new signing keys and retire the current ones')
    .description(
      'Add a new active key for each algorithm (ES256, RS256). The keys they replace stop signing and ' +
        'stay published until every token they signed has expired, then they are retired. The rotation ' +
        'is recorded in the audit log.',
    )
    .option('--json', 'print the added and retiring keys as JSON')
    .action(async (options: { json?: boolean }) => {
      const { signingKeys, config } = await deps.services();
      const result = await signingKeys.rotate(deps.ctx);
      if (options.json) {
        deps.stdout(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      const lines = ['Rotated the signing keys.', 'Added (signing from now on):'];
      for (const k of result.added) lines.push(`  ${k.alg}  ${k.kid}`);
      if (result.retiring.length > 0) {
        lines.push('Retiring (published for verification only, until the time shown):');
        for (const k of result.retiring) lines.push(`  ${k.alg}  ${k.kid}  until ${when(k.retireAt)}`);
      } else {
        lines.push('Retiring: none (there were no active keys).');
      }
      lines.push('');
      if (config.storage.redisUrl && result.notified) {
        lines.push('Running nodes were told through Redis and switch to the new keys at once.');
      } else if (config.storage.redisUrl) {
        lines.push(
          'Redis could not be reached, so running nodes were not told: they switch to the new keys',
          'when they next start. Restart them now.',
        );
      } else {
        lines.push(
          'Without Redis (REDIS_URL not set) a running server is not told: it switches to the new keys',
          'when it next starts. Restart it now.',
        );
      }
      lines.push('The rotation is recorded in the audit log (action signing_keys.rotate).', '');
      deps.stdout(lines.join('\n'));
    });
}
