import type { Command } from 'commander';
import type { HousekeepingReport, HousekeepingTask } from '../../platform/housekeeping.ts';
import { formatColumns } from '../columns.ts';
import type { CommandDeps } from '../command-deps.ts';

function table(tasks: readonly HousekeepingTask[], report: HousekeepingReport): string {
  const rows = [
    ['TASK', 'TABLES', 'REMOVED'],
    ...tasks.map((t) => [
      t.name,
      t.tables.join(', '),
      t.name in report.failed ? `failed: ${report.failed[t.name]}` : String(report.removed[t.name] ?? 0),
    ]),
  ];
  return formatColumns(rows);
}

export function registerHousekeeping(program: Command, deps: CommandDeps): void {
  const housekeeping = program
    .command('housekeeping')
    .description('delete expired and aged-out rows (REL-6), as the server does on its own');

  housekeeping
    .command('run')
    .summary('run every housekeeping task once, now')
    .description(
      'Run every housekeeping task once: expired provider artefacts, sessions, federation flows, SAML ' +
        'replay entries and sign-in counters; rows of stopped nodes; audit entries and daily usage ' +
        'older than AUDIT_RETENTION_DAYS and USAGE_RETENTION_DAYS; finished invitations older than ' +
        "the audit log's retention. Running servers do this every HOUSEKEEPING_INTERVAL_SECONDS, one " +
        'node at a time: while one is at it, this command does nothing and says so. Exits 1 when a ' +
        'task failed (the others still ran).',
    )
    .option('--json', 'print the report as JSON')
    .action(async (options: { json?: boolean }) => {
      const { housekeeping: runner } = await deps.services();
      const report = await runner.runOnce();
      if (options.json) {
        deps.stdout(`${JSON.stringify(report, null, 2)}\n`);
      } else if (report.skipped) {
        deps.stdout('Another node is running housekeeping right now; nothing was done here.\n');
      } else {
        deps.stdout(table(runner.tasks(), report));
      }
      const failed = Object.keys(report.failed);
      if (failed.length > 0) throw new Error(`housekeeping: ${failed.join(', ')} failed`);
    });
}
