import type { Command } from 'commander';
import type { KeyUsage } from '../../modules/secrets/index.ts';
import { keyIdOf } from '../../platform/crypto/secret-box.ts';
import {
  generateSecretsKey,
  readSecretsKeyFile,
  writeSecretsKeyFile,
} from '../../platform/crypto/secrets-key.ts';
import { formatColumns } from '../columns.ts';
import type { CommandDeps } from '../command-deps.ts';
import { UsageError } from '../errors.ts';

function usageTable(keys: readonly KeyUsage[]): string {
  const rows = [
    ['KEY ID', 'ROLE', 'SEALED', 'WHERE'],
    ...keys.map((k) => [
      k.id,
      k.seals ? 'seals' : k.held ? 'opens' : 'MISSING',
      String(k.total),
      Object.entries(k.sealed)
        .map(([column, n]) => `${column} ${n}`)
        .join(', ') || '-',
    ]),
  ];
  return formatColumns(rows);
}

/**
 * `canopy secrets …`: the SECRETS_KEY ring (SEC-11). Where Canopy keeps the ring itself
 * (DATA_DIR/secrets.key) the commands change the file; where it comes from SECRETS_KEY they say
 * what to set, since only the operator can change every node's configuration.
 */
export function registerSecrets(program: Command, deps: CommandDeps): void {
  const secrets = program
    .command('secrets')
    .description('rotate the SECRETS_KEY ring that seals secrets at rest (docs/operating.md, "Keys")');

  secrets
    .command('status')
    .summary('list the ring and what each key sealed')
    .description(
      'List the keys of the SECRETS_KEY ring by id (the first seals, the others only open) and how many ' +
        'stored values each one sealed, per column. No key material is shown.',
    )
    .option('--json', 'print the same as JSON')
    .action(async (options: { json?: boolean }) => {
      const { secrets: service, keyRing } = await deps.services();
      const keys = await service.usage();
      const nodes = await service.nodes();
      if (options.json) {
        deps.stdout(`${JSON.stringify({ source: keyRing.file ?? 'SECRETS_KEY', keys, nodes }, null, 2)}\n`);
        return;
      }
      const lines = [`Ring from ${keyRing.file ?? 'SECRETS_KEY'}, the first key seals:`, usageTable(keys)];
      if (nodes.length > 0) {
        lines.push('Running nodes (the first key of each ring seals):');
        for (const n of nodes)
          lines.push(`  ${n.label}  ${n.keyIds.join(',')}  (seen ${n.secondsAgo} s ago)`);
        lines.push('');
      }
      deps.stdout(lines.join('\n'));
    });

  secrets
    .command('rotate')
    .summary('add a new sealing key to the ring')
    .description(
      'Generate a new key. With DATA_DIR/secrets.key it goes first in the file and seals from now on ' +
        '(stop the server first: the embedded database allows one process). With SECRETS_KEY it is printed, ' +
        'with the order in which to add it on every node. Then run `canopy secrets reseal` and retire the ' +
        'old key. Recorded in the audit log, without the key.',
    )
    .option('--json', 'print the new key id (and, with SECRETS_KEY, the key) as JSON')
    .action(async (options: { json?: boolean }) => {
      const { secrets: service, keyRing } = await deps.services();
      const key = generateSecretsKey();
      const id = keyIdOf(key);
      const previous = keyRing.keyIds;
      if (keyRing.file) {
        writeSecretsKeyFile(keyRing.file, [key, ...readSecretsKeyFile(keyRing.file)]);
        await service.recordRotation(deps.ctx, id, 'file');
        if (options.json) {
          deps.stdout(`${JSON.stringify({ keyId: id, file: keyRing.file, previous }, null, 2)}\n`);
          return;
        }
        deps.stdout(
          [
            `Added key ${id} to ${keyRing.file}; it seals from now on, and ${previous.join(', ')} only open.`,
            'Next: canopy secrets reseal, then canopy secrets retire ' +
              `${previous.join(' / ')}, then start Canopy.`,
            '',
          ].join('\n'),
        );
        return;
      }
      await service.recordRotation(deps.ctx, id, 'configuration');
      const hex = key.toString('hex');
      if (options.json) {
        deps.stdout(`${JSON.stringify({ keyId: id, key: hex, previous }, null, 2)}\n`);
        return;
      }
      deps.stdout(
        [
          `New key ${id}:`,
          `  ${hex}`,
          'Keep it as secret as the current keys. SECRETS_KEY is yours to change, on every node, in this order:',
          `  1. append it: SECRETS_KEY=<current ring>,${hex}`,
          '     and restart every node (each one can now open what the new key seals);',
          `  2. move it first: SECRETS_KEY=${hex},<current ring>`,
          '     and restart every node (the new key seals from now on);',
          '  3. canopy secrets reseal          (re-seals every stored secret with the new key)',
          `  4. canopy secrets retire ${previous.join(' / ')}   (checks nothing needs it), then remove it`,
          '     from SECRETS_KEY and restart every node.',
          '',
        ].join('\n'),
      );
    });

  secrets
    .command('reseal')
    .summary('re-seal every stored secret with the sealing key')
    .description(
      'Re-encrypt, in batches, every stored secret that an older key of the ring sealed, with the first ' +
        'key. Safe while nodes run (once every node holds the ring with the new key first): a value a node ' +
        'changes meanwhile is left as that node sealed it. Run it again to resume after an interruption.',
    )
    .option('--batch-size <n>', 'values per batch (1-10000)', '500')
    .option('--json', 'print the report as JSON')
    .action(async (options: { batchSize: string; json?: boolean }) => {
      const batchSize = Number(options.batchSize);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000)
        throw new UsageError('--batch-size must be a whole number from 1 to 10000');
      const { secrets: service, keyRing } = await deps.services();
      const report = await service.reseal(deps.ctx, {
        batchSize,
        onBatch: (column, done) => deps.stderr(`${column}: ${done} checked\n`),
      });
      if (options.json) {
        deps.stdout(`${JSON.stringify(report, null, 2)}\n`);
      } else {
        const lines = [`Re-sealed ${report.resealed} value(s) with key ${keyRing.keyIds[0]}.`];
        if (report.changedMeanwhile > 0)
          lines.push(`${report.changedMeanwhile} changed meanwhile on a running node (sealed there).`);
        for (const { column, rowKey } of report.unreadable)
          lines.push(`Could not open ${column} of ${rowKey}: no key of the ring opens it; left unchanged.`);
        deps.stdout(`${lines.join('\n')}\n`);
      }
      if (report.unreadable.length > 0)
        throw new Error(`${report.unreadable.length} value(s) could not be re-sealed`);
    });

  secrets
    .command('retire')
    .argument('<key-id>', 'the id shown by `canopy secrets status`')
    // A key id is 8 base64url characters, so one in 64 starts with "-": it is the argument, not an
    // option (retire has none), as it is printed by `secrets rotate` and `secrets status`.
    .allowUnknownOption()
    .summary('take a key out of the ring once nothing needs it')
    .description(
      'Refuse while the key seals or any stored value still needs it (run `canopy secrets reseal`). ' +
        'Otherwise, with DATA_DIR/secrets.key, remove it from the file; with SECRETS_KEY, say to remove it ' +
        'there. Recorded in the audit log.',
    )
    .action(async (keyId: string) => {
      const { secrets: service, keyRing } = await deps.services();
      await service.retire(deps.ctx, keyId);
      if (keyRing.file) {
        writeSecretsKeyFile(
          keyRing.file,
          readSecretsKeyFile(keyRing.file).filter((k) => keyIdOf(k) !== keyId),
        );
        deps.stdout(`Retired key ${keyId}: nothing needed it, and it is gone from ${keyRing.file}.\n`);
        return;
      }
      deps.stdout(
        `Retired key ${keyId}: nothing needs it any more. Remove it from SECRETS_KEY on every node and restart them.\n`,
      );
    });
}
