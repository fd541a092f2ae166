import type { Command } from 'commander';
import type { RevocationResult, SigningKeyInfo } from '../../modules/signing-keys/index.ts';
import { AppError } from '../../platform/errors/index.ts';
import { formatColumns } from '../columns.ts';
import type { CommandDeps } from '../command-deps.ts';
import { UsageError } from '../errors.ts';

/** 2026-01-01T02:00:00Z: to the second, in UTC, the same on every operator's terminal. */
const when = (at: Date | null) => (at ? at.toISOString().replace(/\.\d{3}Z$/, 'Z') : '-');

function table(keys: readonly SigningKeyInfo[]): string {
  const rows = [
    ['KID', 'ALG', 'STATUS', 'CREATED', 'RETIRES'],
    ...keys.map((k) => [k.kid, k.alg, k.status, when(k.createdAt), when(k.retireAt)]),
  ];
  return formatColumns(rows);
}

export function registerKeys(program: Command, deps: CommandDeps): void {
  const keys = program
    .command('keys')
    .description("inspect, rotate and revoke the OpenID provider's signing keys");

  keys
    .command('list')
    .summary('list the signing keys and their status')
    .description(
      'List the signing keys, newest first: active keys sign tokens, retiring keys are still published ' +
        'for verification until their retirement time, retired keys are no longer published, revoked ' +
        'keys were withdrawn by `keys revoke` (RETIRES shows when they stopped being published). No ' +
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

  keys
    .command('revoke')
    .summary('withdraw a (compromised) signing key at once')
    .description(
      'Withdraw one signing key at once, for a key that may be compromised (use `keys rotate` for ' +
        'routine changes). The key stops being published and used, and its private half is erased; if ' +
        'it was signing, a new active key for its algorithm replaces it. ID tokens it signed are no ' +
        'longer accepted. Revoking a revoked key changes nothing. Recorded in the audit log.',
    )
    .argument('<kid>', 'the key id, as `keys list` shows it')
    .option('--json', 'print the revoked key, its replacement and whether nodes were told as JSON')
    .action(async (kid: string, options: { json?: boolean }) => {
      if (kid.trim() === '') throw new UsageError('name the key to revoke: canopy keys revoke <kid>');
      const { signingKeys, config } = await deps.services();
      const result = await signingKeys.revoke(deps.ctx, kid).catch((err: unknown) => {
        if (!(err instanceof AppError) || err.code !== 'signing_key.not_found') throw err;
        const message = `no signing key has the kid ${kid} (\`canopy keys list\` shows them)`;
        throw new AppError(err.code, err.details, { message, cause: err });
      });
      if (options.json) {
        deps.stdout(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      deps.stdout(revocationReport(result, Boolean(config.storage.redisUrl)));
    });
}

function revocationReport(result: RevocationResult, redis: boolean): string {
  const { revoked, was, replacement } = result;
  const key = `${revoked.alg} key ${revoked.kid}`;
  const lines: string[] = [];
  if (was === 'revoked') {
    lines.push(`The ${key} was already revoked (at ${when(revoked.revokedAt)}): nothing changed.`);
  } else {
    lines.push(`Revoked the ${key}.`, 'It is no longer published or used, and its private half is erased.');
    if (replacement) {
      lines.push('Replaced by (signing from now on):', `  ${replacement.alg}  ${replacement.kid}`);
    } else if (was === 'retiring') {
      lines.push(
        `It was retiring (verification only), so nothing replaces it: the active ${revoked.alg} key signs.`,
      );
    } else {
      lines.push('It had already retired (no longer published): it is now marked revoked for good.');
    }
  }
  lines.push('');
  // Without the signal, a node still drops the key at its next housekeeping (every 10 minutes).
  if (redis && result.notified) {
    lines.push('Running nodes were told through Redis and stop publishing and accepting it at once.');
  } else if (redis) {
    lines.push(
      'Redis could not be reached, so running nodes were not told: they keep the key for up to 10',
      'minutes, or until they restart. Restart them now (or run this command again once Redis is back).',
    );
  } else {
    lines.push(
      'Without Redis (REDIS_URL not set) a running server is not told: it keeps the key for up to 10',
      'minutes, or until it restarts. Restart it now.',
    );
  }
  if (was !== 'revoked') {
    lines.push(
      'ID tokens it signed no longer verify: Canopy refuses them as id_token_hint, and relying parties',
      'that honour the JWKS max-age (60 s) drop the key within a minute. Sessions, access and refresh',
      'tokens are not signed: nobody needs to sign in again.',
      'The revocation is recorded in the audit log (action signing_keys.revoke).',
    );
  }
  lines.push('');
  return lines.join('\n');
}
