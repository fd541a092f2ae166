import { writeFileSync } from 'node:fs';
import { renderApiReference } from './api-reference.ts';
import { renderConfigReference } from './config-reference.ts';

// `npm run docs:config` and `npm run docs:api`: rewrite a generated reference in docs/.
// test/house/*-docs.test.ts fail while the committed file differs from what this writes.

const TARGETS: Record<string, { file: string; render: () => string }> = {
  config: { file: 'docs/configuration.md', render: renderConfigReference },
  api: { file: 'docs/api.md', render: renderApiReference },
};

const name = process.argv[2] ?? '';
const target = TARGETS[name];
if (!target) {
  process.stderr.write(`usage: node scripts/docs/write.ts ${Object.keys(TARGETS).join('|')}\n`);
  process.exit(2);
}
writeFileSync(new URL(`../../${target.file}`, import.meta.url), target.render());
process.stdout.write(`wrote ${target.file}\n`);
