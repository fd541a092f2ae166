import type { Command } from 'commander';
import type { CommandDeps } from '../command-deps.ts';

export function registerMigrate(program: Command, deps: CommandDeps): void {
  program
    .command('migrate')
    .description('apply pending database migrations')
    .option('--json', 'print the result as JSON')
    .action(async (options: { json?: boolean }) => {
      const report = await deps.migrate();
      if (options.json) {
        deps.stdout(`${JSON.stringify(report, null, 2)}\n`);
        return;
      }
      if (report.applied.length === 0) {
        deps.stdout(`Database is up to date (${report.database}); no migrations to apply.\n`);
        return;
      }
      const lines = report.applied.map((name) => `  ${name}`);
      deps.stdout(
        `Applied ${report.applied.length} migration${report.applied.length === 1 ? '' : 's'} ` +
          `to the ${report.database}:\n${lines.join('\n')}\n`,
      );
    });
}
