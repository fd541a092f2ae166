// Canopy's import boundaries (docs/architecture.md, "rules that keep it easy to change"), checked by
// dependency-cruiser in `npm run lint` (its `lint:boundaries` step). test/house/boundaries.test.ts
// plants one violation of each rule and checks that it is reported.
//
// The layers, lowest first: platform/ (db, redis, http helpers, crypto…) → modules/ (one folder per
// domain noun) → web/ (the HTML library) → the edges (oidc/, federation/, api/, cli/) and the page
// routes (pages/, console/) → the wiring (app.ts, container.ts, main.ts and their app/, container/).
// An import points down, or sideways through a module's index.ts, never up, but for two imports
// of the wiring that the rules name: an edge or page route may know the `Container` type, the bag of
// services it is handed (type-only: api/index.ts, cli/command-deps.ts…), and cli/main.ts, the command
// line's entry point, builds the container as src/main.ts does. Tests, benchmarks and scripts may
// reach into src (the layer rules do not bind them); src never imports them.
const fs = require('node:fs');
const path = require('node:path');

/** A test file inside src is a test: it may import what the module rules forbid. */
const SRC_CODE = { path: '^src/', pathNot: '\\.test\\.ts$' };

/** Files directly in src/ and the folders that hold pieces of them: the wiring, the top of the graph. */
const WIRING = ['^src/[^/]+\\.ts$', '^src/app/', '^src/container/'];
const EDGES = ['^src/(oidc|federation|api|cli)/'];
const PAGE_ROUTES = ['^src/(pages|console)/'];

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A package's main, module or types entry as the file it names ("./lib" is lib/index.js). */
function entryFile(dir, entry) {
  const file = path.posix.normalize(entry).replace(/^\.\//, '').replace(/\/$/, '');
  for (const candidate of [file, `${file}.js`, `${file}/index.js`]) {
    const full = path.join(dir, candidate);
    if (fs.existsSync(full) && fs.statSync(full).isFile()) return candidate;
  }
  return file;
}

/**
 * Subpaths of packages without an `exports` map that any file may use: ajv documents `ajv/dist/2020`
 * as its JSON Schema 2020-12 validator (ajv.js.org/json-schema.html). Anything else inside a package
 * is refused, but for KNEX_DIALECT below.
 */
const ALLOWED_SUBPATHS = { ajv: ['dist/2020.js'] };

/**
 * knex has no public way to extend a dialect, so src/platform/db/database.ts extends its PostgreSQL
 * client by path, as knex-pglite does: that file alone may import it (a rule cannot pair an importer
 * with a target, so no-deep-package-imports is two rules, one for that file and one for the rest).
 */
const KNEX_DIALECT_IMPORTER = '^src/platform/db/database\\.ts$';
const KNEX_DIALECT = '(^|/)node_modules/knex/lib/dialects/postgres/index\\.js$';

/**
 * The files that importing one of our packages by its name can resolve to, as a pattern. A package
 * with an `exports` map is whole: the resolver (exportsFields below) already refuses any subpath it
 * does not export, and no-unresolvable reports that. Without one, only its entry files are public.
 */
function publicEntries(name) {
  const dir = path.join(__dirname, 'node_modules', name);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  if (manifest.exports) return `${escapeRegExp(name)}/`;
  const entries = [manifest.main ?? 'index.js', manifest.module, manifest.types, manifest.typings]
    .concat(ALLOWED_SUBPATHS[name] ?? [])
    .filter((entry) => typeof entry === 'string' && entry !== '')
    .map((entry) => escapeRegExp(entryFile(dir, entry)));
  return `${escapeRegExp(name)}/(${[...new Set(entries)].join('|')})$`;
}

const manifest = require('./package.json');
const PACKAGES = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies });
const PUBLIC_PACKAGE_ENTRIES = `(^|/)node_modules/(${PACKAGES.filter((name) =>
  fs.existsSync(path.join(__dirname, 'node_modules', name, 'package.json')),
)
  .map(publicEntries)
  .join('|')})`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'platform-imports-nothing-above',
      comment:
        'platform/ is the floor: db, redis, http helpers, crypto, clock, logger. It imports no domain, ' +
        'edge or wiring code (the migrations it runs import nothing from src).',
      severity: 'error',
      from: { path: '^src/platform/' },
      to: { path: '^src/', pathNot: '^src/platform/' },
    },
    {
      name: 'migrations-stand-alone',
      comment: 'A migration is the schema at one point in time: it imports no application code.',
      severity: 'error',
      from: { path: '^migrations/' },
      to: { path: '^(src|test|bench)/' },
    },
    {
      name: 'modules-meet-through-index',
      comment:
        "A module uses another only through that module's index.ts (what it chose to export), " +
        'never its services, repositories or schemas by path.',
      severity: 'error',
      from: { path: '^src/modules/([^/]+)/', pathNot: SRC_CODE.pathNot },
      to: { path: '^src/modules/[^/]+/', pathNot: ['^src/modules/$1/', '^src/modules/[^/]+/index\\.ts$'] },
    },
    {
      name: 'edges-use-modules-through-index',
      comment: 'The edges and the wiring use a module through its index.ts too, like other modules.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/modules/', SRC_CODE.pathNot] },
      to: { path: '^src/modules/[^/]+/', pathNot: '^src/modules/[^/]+/index\\.ts$' },
    },
    {
      name: 'modules-stay-below-the-edge',
      comment:
        'Modules are the domain: they import no HTML library, page route, edge (oidc, federation, api, ' +
        'cli) or wiring. An edge calls a module, not the other way round.',
      severity: 'error',
      from: { path: '^src/modules/', pathNot: SRC_CODE.pathNot },
      to: { path: ['^src/web/', ...PAGE_ROUTES, ...EDGES, ...WIRING] },
    },
    {
      name: 'module-index-exports-no-repository',
      comment:
        "A module's index.ts is what other modules and the edges may use: services, schemas, types. " +
        'It neither exports nor imports a repository, type-only imports included: a row type or query ' +
        'option exported from there ties other code to a table; a type others need lives in a schema or ' +
        'service file.',
      severity: 'error',
      from: { path: '^src/modules/[^/]+/index\\.ts$' },
      to: { path: '\\.repository\\.ts$' },
    },
    {
      name: 'edges-know-the-wiring-by-type-only',
      comment:
        'An edge or page route is handed its services; it may name their type (`Container`) but not ' +
        "import the wiring itself. cli/main.ts is the command line's entry point: it builds the container.",
      severity: 'error',
      from: { path: [...EDGES, ...PAGE_ROUTES], pathNot: ['^src/cli/main\\.ts$', SRC_CODE.pathNot] },
      to: { path: WIRING, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'web-library-imports-no-routes',
      comment:
        'web/ is the HTML library (html, csrf, cookies, templates, page shell): pages and edges use it, ' +
        'it uses none of them.',
      severity: 'error',
      from: { path: '^src/web/', pathNot: SRC_CODE.pathNot },
      to: { path: [...PAGE_ROUTES, ...EDGES, ...WIRING] },
    },
    {
      name: 'no-circular',
      comment:
        'No cycle between files of src, type-only imports included: a cycle makes two files one ' +
        'unit that can be neither read nor changed alone.',
      severity: 'error',
      from: SRC_CODE,
      to: { circular: true },
    },
    {
      name: 'src-imports-no-tests',
      comment: 'Tests and benchmarks use src; the application never loads them (tests kept in src may).',
      severity: 'error',
      from: SRC_CODE,
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'no-deep-package-imports',
      comment:
        "Packages are used through their public entry points (main, exports). A path into a package's " +
        'lib/ or dist/ is an internal that can change in any release: use the public API, or an ' +
        'adapter of ours.',
      severity: 'error',
      from: { pathNot: KNEX_DIALECT_IMPORTER },
      to: {
        path: '(^|/)node_modules/',
        pathNot: PUBLIC_PACKAGE_ENTRIES,
        // a package that is not ours is no-undeclared-packages' to report
        dependencyTypesNot: ['npm-no-pkg', 'npm-unknown'],
      },
    },
    {
      name: 'no-deep-package-imports',
      comment: "The same rule for src/platform/db/database.ts, which may import knex's PostgreSQL dialect.",
      severity: 'error',
      from: { path: KNEX_DIALECT_IMPORTER },
      to: {
        path: '(^|/)node_modules/',
        pathNot: [PUBLIC_PACKAGE_ENTRIES, KNEX_DIALECT],
        dependencyTypesNot: ['npm-no-pkg', 'npm-unknown'],
      },
    },
    {
      name: 'no-unresolvable',
      comment:
        'Every import resolves. For packages with an `exports` map this also refuses a subpath the ' +
        'package does not export.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-undeclared-packages',
      comment:
        'Every package imported is a dependency in package.json, not one that happens to be installed.',
      severity: 'error',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'src-needs-no-dev-dependencies',
      comment: 'The server runs with production dependencies only; type-only imports are erased.',
      severity: 'error',
      from: SRC_CODE,
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(data|test-results)/' },
    // Type-only imports are dependencies too (a cycle through types is still a cycle).
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      // Resolve packages as Node does, so a subpath a package does not export is unresolvable.
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['main', 'types', 'typings'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
