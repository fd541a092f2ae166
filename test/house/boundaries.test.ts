import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseOptions, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

// Architecture rule 6: the import boundaries are enforced by `npm run lint` with the repository's
// .dependency-cruiser.cjs. Here that rule file meets a small planted tree with one violation of each
// rule (and imports the rules allow, which must stay quiet), then the real tree, which must be clean.
// One thing the tool cannot see is checked here by reading the files: a call on createRequire's result.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TS_CONFIG = path.join(ROOT, 'tsconfig.json');

/** The planted tree: path → source. Each comment names the rule the import breaks, or "allowed". */
const PLANTED: Record<string, string> = {
  'src/app.ts': "export const app = 'wiring';\n",
  'src/platform/clock.ts': "export const clock = 'clock';\n",
  // allowed: platform runs the migrations, which import nothing from src
  'src/platform/migrate.ts': "export { migrations } from '../../migrations/index.ts';\n",
  // platform-imports-nothing-above
  'src/platform/leak.ts': "export { users } from '../modules/users/index.ts';\n",
  'src/modules/users/index.ts': "export { users } from './user.service.ts';\n",
  // module-index-exports-no-repository (type-only included)
  'src/modules/roles/index.ts':
    "export { createRoleRepository } from './role.repository.ts';\n" +
    "export type { RoleRow } from './role-row.repository.ts';\n",
  'src/modules/roles/role.repository.ts': 'export const createRoleRepository = 1;\n',
  'src/modules/roles/role-row.repository.ts': 'export type RoleRow = { id: string };\n',
  // allowed: inside a module, and down to platform
  'src/modules/users/user.service.ts':
    "import { clock } from '../../platform/clock.ts';\nexport const users = clock;\n",
  // allowed: another module through its index.ts
  'src/modules/roles/role.service.ts': "export { users } from '../users/index.ts';\n",
  // modules-meet-through-index
  'src/modules/roles/deep.ts': "export { users } from '../users/user.service.ts';\n",
  // edges-use-modules-through-index
  'src/api/deep.ts': "export { users } from '../modules/users/user.service.ts';\n",
  // modules-stay-below-the-edge (an edge, the HTML library, and the wiring)
  'src/modules/roles/upward.ts':
    "export { provider } from '../../oidc/provider.ts';\nexport { shell } from '../../web/shell.ts';\n" +
    "export { app } from '../../app.ts';\n",
  'src/oidc/provider.ts': "export { users } from '../modules/users/index.ts';\nexport const provider = 1;\n",
  // allowed: an edge names the wiring's type; the command line's entry point builds the container
  'src/api/index.ts': "import type { Container } from '../container.ts';\nexport type Api = Container;\n",
  'src/cli/main.ts': "export const open = () => import('../container.ts');\n",
  'src/container.ts': 'export type Container = { app: 1 };\nexport const createContainer = 1;\n',
  // edges-know-the-wiring-by-type-only
  'src/pages/wired.ts': "export { createContainer } from '../container.ts';\n",
  // web-library-imports-no-routes
  'src/web/shell.ts': "export { signupPage } from '../pages/signup.ts';\nexport const shell = 1;\n",
  'src/pages/signup.ts': 'export const signupPage = 1;\n',
  // no-circular, through a type-only import
  'src/cli/program.ts': "import type { Deps } from './command.ts';\nexport type Program = Deps;\n",
  'src/cli/command.ts': "import type { Program } from './program.ts';\nexport type Deps = Program | 1;\n",
  // src-imports-no-tests
  'src/api/uses-test.ts': "export { helper } from '../../test/helpers/helper.ts';\n",
  'test/helpers/helper.ts': 'export const helper = 1;\n',
  // allowed: tests reach into src internals
  'test/unit.test.ts': "export { users } from '../src/modules/users/user.service.ts';\n",
  // no-deep-package-imports (packages without an `exports` map)
  'src/federation/deep.ts':
    "export { parseDomFromString } from '@node-saml/node-saml/lib/xml.js';\n" +
    "export { default as Res } from 'rate-limiter-flexible/lib/RateLimiterRes.js';\n",
  // no-deep-package-imports: knex's dialect is database.ts's alone
  'src/platform/db/pool.ts': "export { default as Dialect } from 'knex/lib/dialects/postgres/index.js';\n",
  // allowed: database.ts extends knex's dialect
  'src/platform/db/database.ts':
    "export { default as Dialect } from 'knex/lib/dialects/postgres/index.js';\n",
  // allowed: the same packages by name
  'src/federation/public.ts':
    "export { SAML } from '@node-saml/node-saml';\nexport { RateLimiterRes } from 'rate-limiter-flexible';\n" +
    "export { Knex } from 'knex';\nexport { Provider } from 'oidc-provider';\n",
  // no-unresolvable (a subpath the package's `exports` map does not offer)
  'src/oidc/unexported.ts': "export * from 'openid-client/build/index.js';\n",
  // no-undeclared-packages (installed for node-saml, not ours)
  'src/federation/undeclared.ts': "export * from 'xml-encryption';\n",
  // src-needs-no-dev-dependencies (allowed: the same package type-only)
  'src/api/dev-dependency.ts':
    "import supertest from 'supertest';\nimport type { Test } from 'supertest';\n" +
    'export const agent: Test | typeof supertest = supertest;\n',
  // src-needs-no-dev-dependencies, through a require named as logger.ts names it: the tool sees it
  'src/platform/pretty.ts':
    "import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\n" +
    "export const pretty = require('supertest');\n",
  // a require called on createRequire's result, which the tool cannot see: found by directRequires
  'src/platform/hidden.ts':
    "import { createRequire } from 'node:module';\n" +
    "export const hidden = createRequire(import.meta.url)('supertest');\n" +
    'export const alsoHidden = createRequire(\n  new URL(import.meta.url),\n)(\n  "supertest",\n);\n',
  'migrations/index.ts': "export const migrations = ['20261128000100_organizations'];\n",
  // migrations-stand-alone
  'migrations/20261128000200_users.ts': "export { users } from '../src/modules/users/index.ts';\n",
};

/** What the rule file must report on the planted tree: rule: from → to. Nothing else. */
const EXPECTED = [
  'platform-imports-nothing-above: src/platform/leak.ts → src/modules/users/index.ts',
  'modules-meet-through-index: src/modules/roles/deep.ts → src/modules/users/user.service.ts',
  'module-index-exports-no-repository: src/modules/roles/index.ts → src/modules/roles/role.repository.ts',
  'module-index-exports-no-repository: src/modules/roles/index.ts → src/modules/roles/role-row.repository.ts',
  'edges-know-the-wiring-by-type-only: src/pages/wired.ts → src/container.ts',
  'edges-use-modules-through-index: src/api/deep.ts → src/modules/users/user.service.ts',
  'modules-stay-below-the-edge: src/modules/roles/upward.ts → src/oidc/provider.ts',
  'modules-stay-below-the-edge: src/modules/roles/upward.ts → src/web/shell.ts',
  'modules-stay-below-the-edge: src/modules/roles/upward.ts → src/app.ts',
  'web-library-imports-no-routes: src/web/shell.ts → src/pages/signup.ts',
  // one entry per cycle, from its first file
  'no-circular: src/cli/command.ts → src/cli/program.ts',
  'src-imports-no-tests: src/api/uses-test.ts → test/helpers/helper.ts',
  'no-deep-package-imports: src/federation/deep.ts → node_modules/@node-saml/node-saml/lib/xml.js',
  'no-deep-package-imports: src/federation/deep.ts → node_modules/rate-limiter-flexible/lib/RateLimiterRes.js',
  'no-deep-package-imports: src/platform/db/pool.ts → node_modules/knex/lib/dialects/postgres/index.js',
  'no-unresolvable: src/oidc/unexported.ts → openid-client/build/index.js',
  'no-undeclared-packages: src/federation/undeclared.ts → node_modules/xml-encryption/lib/index.js',
  'src-needs-no-dev-dependencies: src/api/dev-dependency.ts → node_modules/supertest/index.js',
  'src-needs-no-dev-dependencies: src/platform/pretty.ts → node_modules/supertest/index.js',
  'migrations-stand-alone: migrations/20261128000200_users.ts → src/modules/users/index.ts',
];

/** What directRequires must find in the planted tree: file:line of each call. */
const EXPECTED_DIRECT_REQUIRES = ['src/platform/hidden.ts:2', 'src/platform/hidden.ts:3'];

let options: ICruiseOptions;
const transpile = { tsConfig: extractTSConfig(TS_CONFIG) };

before(async () => {
  options = await extractDepcruiseOptions(path.join(ROOT, '.dependency-cruiser.cjs'));
  options.tsConfig = { fileName: TS_CONFIG };
});

/** Each violation as "rule: from → to", node_modules paths cut to where they start. */
async function violations(baseDir: string, scanned: string[]): Promise<string[]> {
  const { output } = await cruise(scanned, { ...options, baseDir }, {}, transpile);
  const result = output as ICruiseResult;
  return result.summary.violations.map(
    (v) => `${v.rule.name}: ${v.from} → ${v.to.replace(/^.*?(node_modules\/)/, '$1')}`,
  );
}

/**
 * `createRequire(…)('pkg')`: a require dependency-cruiser does not see, so no rule would judge it
 * (`const require = createRequire(…); require('pkg')` it sees). Each as file:line, in .ts files of `dir`.
 */
async function directRequires(root: string, dir: string): Promise<string[]> {
  // createRequire( arguments with at most one level of parentheses ) then a call: `(`.
  const directCall = /createRequire\s*\((?:[^()]|\([^()]*\))*\)\s*\(/g;
  const found: string[] = [];
  const files = await readdir(path.join(root, dir), { recursive: true });
  for (const file of files.filter((name) => name.endsWith('.ts')).sort()) {
    const source = await readFile(path.join(root, dir, file), 'utf8');
    for (const match of source.matchAll(directCall)) {
      const line = source.slice(0, match.index).split('\n').length;
      found.push(`${path.posix.join(dir, file.split(path.sep).join('/'))}:${line}`);
    }
  }
  return found;
}

let planted: string;

before(async () => {
  planted = await mkdtemp(path.join(tmpdir(), 'canopy-boundaries-'));
  for (const [file, source] of Object.entries(PLANTED)) {
    await mkdir(path.dirname(path.join(planted, file)), { recursive: true });
    await writeFile(path.join(planted, file), source);
  }
  // The packages and the manifest that says which are ours, as in the repository.
  await copyFile(path.join(ROOT, 'package.json'), path.join(planted, 'package.json'));
  await symlink(path.join(ROOT, 'node_modules'), path.join(planted, 'node_modules'), 'dir');
});

after(async () => {
  if (planted) await rm(planted, { recursive: true, force: true });
});

test('the rule file reports each planted violation, and only those', async () => {
  const found = await violations(planted, ['src', 'test', 'migrations']);
  assert.deepEqual([...found].sort(), [...EXPECTED].sort());
});

test("a require called on createRequire's result is found where the rule file cannot see it", async () => {
  assert.deepEqual(await directRequires(planted, 'src'), EXPECTED_DIRECT_REQUIRES);
  assert.deepEqual(
    await directRequires(ROOT, 'src'),
    [],
    'name the require (const require = createRequire(import.meta.url)), so dependency-cruiser sees what it loads',
  );
});

test('the repository has no boundary violation', async () => {
  const found = await violations(ROOT, ['src', 'bench', 'test', 'migrations', 'scripts']);
  assert.deepEqual(found, [], `boundary violations (run npm run lint for details):\n${found.join('\n')}`);
});
