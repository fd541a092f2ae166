// `npm run bench -- <name> [args]`: runs one benchmark. Each benchmark prints its figures next to a
// baseline measured in the same run, so the ratios hold on any machine.
import { spawnSync } from 'node:child_process';

interface Benchmark {
  description: string;
  run(args: string[]): Promise<void>;
}

const BENCHMARKS: Record<string, Benchmark> = {
  directory: {
    description:
      'in-memory authorizer on a 10k-node tree with 200k role assignments, against recursive SQL; incremental updates',
    run: async (args) => (await import('./authz/main.ts')).run(args),
  },
  oidc: {
    description:
      'client-credentials tokens and introspections per second through a Canopy server, against a bare oidc-provider',
    run: async (args) => (await import('./oidc/main.ts')).run(args),
  },
  pages: {
    description:
      '/login/<domain> and the sign-in page under 200 and 1,000 concurrent connections, against /healthz on the same server',
    run: async (args) => (await import('./pages/main.ts')).run(args),
  },
};

function usage(): string {
  const names = Object.entries(BENCHMARKS).map(([name, b]) => `  ${name.padEnd(10)} ${b.description}`);
  return ['usage: npm run bench -- <name>', '', 'available benchmarks:', ...names].join('\n');
}

const [name, ...args] = process.argv.slice(2);
const benchmark = name === undefined ? undefined : BENCHMARKS[name];

if (!benchmark) {
  if (name !== undefined) console.error(`unknown benchmark: ${name}\n`);
  console.error(usage());
  process.exit(2);
}

if (typeof globalThis.gc !== 'function') {
  // Heap figures need a forced collection before each reading: run again with the collector exposed.
  const child = spawnSync(
    process.execPath,
    ['--expose-gc', ...process.execArgv, import.meta.filename, ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  process.exit(child.status ?? 1);
}

await benchmark.run(args);
