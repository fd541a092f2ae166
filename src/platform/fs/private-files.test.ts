import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { checkPrivateFiles, ensurePrivateDir, refuseOpenFiles, restrictTree } from './private-files.ts';

const uid = process.getuid!();
const modeOf = (file: string) => lstatSync(file).mode & 0o777;

describe('SEC-10 private files in DATA_DIR', () => {
  let work: string;
  let dataDir: string;
  let keyFile: string;
  let dbDir: string;

  // A well-kept DATA_DIR; each test loosens one thing.
  beforeEach(() => {
    work = mkdtempSync(path.join(tmpdir(), 'canopy-private-'));
    dataDir = path.join(work, 'data');
    keyFile = path.join(dataDir, 'secrets.key');
    dbDir = path.join(dataDir, 'pglite');
    mkdirSync(dbDir, { recursive: true, mode: 0o700 });
    chmodSync(dataDir, 0o700);
    chmodSync(dbDir, 0o700);
    writeFileSync(keyFile, 'key\n', { mode: 0o600 });
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  test('SEC-10 a DATA_DIR of 0700 with a 0700 database and a 0600 key has no finding', () => {
    assert.deepEqual(checkPrivateFiles(dataDir, uid), []);
  });

  test('SEC-10 a DATA_DIR that does not exist yet has no finding (Canopy creates it 0700)', () => {
    assert.deepEqual(checkPrivateFiles(path.join(work, 'none'), uid), []);
  });

  for (const mode of [0o755, 0o750]) {
    test(`SEC-10 DATA_DIR ${mode.toString(8)} is found, with its mode and chmod 700`, () => {
      chmodSync(dataDir, mode);
      const findings = checkPrivateFiles(dataDir, uid);
      assert.deepEqual(
        findings.map((f) => f.message),
        [
          `DATA_DIR ${dataDir} is readable by other local users (mode 0${mode.toString(8)}); run: chmod 700 ${dataDir}`,
        ],
      );
      assert.equal(findings[0]!.fix, `chmod 700 ${dataDir}`);
      assert.equal(findings[0]!.mode, mode);
    });
  }

  test('SEC-10 a relative DATA_DIR is named by its absolute path (the fix works from anywhere)', () => {
    chmodSync(dataDir, 0o755);
    const relative = path.relative(process.cwd(), dataDir);
    assert.equal(checkPrivateFiles(relative, uid)[0]!.path, dataDir);
  });

  for (const mode of [0o644, 0o640]) {
    test(`SEC-10 secrets.key ${mode.toString(8)} is found, with chmod 600`, () => {
      chmodSync(keyFile, mode);
      assert.deepEqual(
        checkPrivateFiles(dataDir, uid).map((f) => f.message),
        [
          `The secrets key ${keyFile} is readable by other local users (mode 0${mode.toString(8)}); run: chmod 600 ${keyFile}`,
        ],
      );
    });
  }

  test('SEC-10 the embedded database directory 0755 is found, with chmod 700', () => {
    chmodSync(dbDir, 0o755);
    assert.deepEqual(
      checkPrivateFiles(dataDir, uid).map((f) => f.message),
      [
        `The embedded database ${dbDir} is readable by other local users (mode 0755); run: chmod 700 ${dbDir}`,
      ],
    );
  });

  test('SEC-10 write access is called so, and execute-only access too; every loose path is listed', () => {
    chmodSync(dataDir, 0o777);
    chmodSync(dbDir, 0o711);
    chmodSync(keyFile, 0o666);
    assert.deepEqual(
      checkPrivateFiles(dataDir, uid).map((f) => f.message.split(' (mode')[0]),
      [
        `DATA_DIR ${dataDir} is writable by other local users`,
        `The embedded database ${dbDir} is open to other local users`,
        `The secrets key ${keyFile} is writable by other local users`,
      ],
    );
  });

  test('SEC-10 a path owned by another user is found, with the chown that fixes it', () => {
    const other = uid + 1;
    const findings = checkPrivateFiles(dataDir, other);
    assert.deepEqual(
      findings.map((f) => f.message),
      [
        `DATA_DIR ${dataDir} is owned by uid ${uid}, not by the user Canopy runs as (uid ${other}); run as root: chown -R ${other} ${dataDir}`,
        `The embedded database ${dbDir} is owned by uid ${uid}, not by the user Canopy runs as (uid ${other}); run as root: chown -R ${other} ${dbDir}`,
        `The secrets key ${keyFile} is owned by uid ${uid}, not by the user Canopy runs as (uid ${other}); run as root: chown ${other} ${keyFile}`,
      ],
    );
  });

  test('SEC-10 started as root on files the service owns: says to run as the owner, never to chown to root', () => {
    // As root, hand the directory to a service uid first; otherwise it already belongs to one.
    const owner = uid === 0 ? 4242 : uid;
    if (uid === 0) chownSync(dataDir, owner, owner);
    const [finding] = checkPrivateFiles(dataDir, 0);
    assert.equal(
      finding?.message,
      `DATA_DIR ${dataDir} is owned by uid ${owner}, and Canopy runs as root; run Canopy as uid ${owner}, the owner of ${dataDir}`,
    );
    if (uid === 0) chownSync(dataDir, 0, 0);
  });

  test('SEC-10 without process.getuid (Windows) ownership is not checked, and nothing throws', () => {
    chmodSync(dataDir, 0o755);
    assert.deepEqual(
      checkPrivateFiles(dataDir, undefined).map((f) => f.fix),
      [`chmod 700 ${dataDir}`],
    );
  });

  test('SEC-10 a symbolic link as secrets.key is refused, even to a private file', () => {
    for (const targetMode of [0o600, 0o666]) {
      const target = path.join(work, `elsewhere-${targetMode.toString(8)}.key`);
      writeFileSync(target, 'key\n');
      chmodSync(target, targetMode);
      rmSync(keyFile);
      symlinkSync(target, keyFile);
      const findings = checkPrivateFiles(dataDir, uid);
      assert.equal(findings.length, 1);
      assert.equal(
        findings[0]!.message,
        `The secrets key ${keyFile} is a symbolic link (to ${target}); Canopy keeps it only as a file of its own: ` +
          `run: rm ${keyFile} && cp ${target} ${keyFile} && chmod 600 ${keyFile} (or set SECRETS_KEY instead)`,
      );
    }
  });

  test('SEC-10 a path with a space or a quote is quoted for the shell in the fix', () => {
    const odd = path.join(work, "it's data");
    mkdirSync(odd, { mode: 0o700 });
    chmodSync(odd, 0o755);
    assert.equal(checkPrivateFiles(odd, uid)[0]!.fix, `chmod 700 '${odd.replace("'", `'\\''`)}'`);
  });

  test('SEC-10 refuseOpenFiles answers the lines that refuse the start, and logs nothing', () => {
    chmodSync(dataDir, 0o755);
    chmodSync(keyFile, 0o644);
    const warnings: unknown[] = [];
    const lines = refuseOpenFiles(
      { dataDir, skipFileModeCheck: false },
      { warn: (...a: unknown[]) => warnings.push(a) },
    );
    assert.deepEqual(
      lines,
      checkPrivateFiles(dataDir).map((f) => f.message),
    );
    assert.equal(lines.length, 2);
    assert.deepEqual(warnings, []);
  });

  test('SEC-10 with SKIP_FILE_MODE_CHECK the same findings are only warned about, and the start goes on', () => {
    chmodSync(dataDir, 0o755);
    chmodSync(keyFile, 0o644);
    const warnings: [Record<string, unknown>, string][] = [];
    const lines = refuseOpenFiles({ dataDir, skipFileModeCheck: true }, {
      warn: (fields: Record<string, unknown>, msg: string) => warnings.push([fields, msg]),
    } as never);
    assert.deepEqual(lines, []);
    assert.deepEqual(warnings, [
      [
        { path: dataDir, mode: '0755', fix: `chmod 700 ${dataDir}` },
        `DATA_DIR ${dataDir} is readable by other local users (mode 0755); run: chmod 700 ${dataDir} (SKIP_FILE_MODE_CHECK is set: starting anyway)`,
      ],
      [
        { path: keyFile, mode: '0644', fix: `chmod 600 ${keyFile}` },
        `The secrets key ${keyFile} is readable by other local users (mode 0644); run: chmod 600 ${keyFile} (SKIP_FILE_MODE_CHECK is set: starting anyway)`,
      ],
    ]);
  });

  test('SEC-10 ensurePrivateDir creates 0700 directories under a 022 umask, and leaves an existing one alone', () => {
    const previous = process.umask(0o022);
    try {
      const fresh = path.join(work, 'a', 'b');
      ensurePrivateDir(fresh);
      assert.equal(modeOf(fresh), 0o700);
      assert.equal(modeOf(path.join(work, 'a')), 0o700);
      chmodSync(fresh, 0o755);
      ensurePrivateDir(fresh);
      assert.equal(modeOf(fresh), 0o755, 'an existing directory is the check’s to judge');
    } finally {
      process.umask(previous);
    }
  });

  test('SEC-10 restrictTree removes group and other bits below a directory, keeps the owner bits and skips links', () => {
    const nested = path.join(dbDir, 'base', '1');
    mkdirSync(nested, { recursive: true });
    chmodSync(path.join(dbDir, 'base'), 0o755);
    chmodSync(nested, 0o775);
    chmodSync(dbDir, 0o755);
    for (const [name, mode] of [
      ['1259', 0o666],
      ['pg_internal.init', 0o644],
      ['readonly', 0o444],
    ] as const) {
      writeFileSync(path.join(nested, name), '');
      chmodSync(path.join(nested, name), mode);
    }
    const outside = path.join(work, 'outside');
    writeFileSync(outside, '');
    chmodSync(outside, 0o644);
    symlinkSync(outside, path.join(dbDir, 'link'));

    restrictTree(dbDir);

    assert.equal(modeOf(dbDir), 0o700);
    assert.equal(modeOf(path.join(dbDir, 'base')), 0o700);
    assert.equal(modeOf(nested), 0o700);
    assert.equal(modeOf(path.join(nested, '1259')), 0o600);
    assert.equal(modeOf(path.join(nested, 'pg_internal.init')), 0o600);
    assert.equal(modeOf(path.join(nested, 'readonly')), 0o400);
    assert.equal(statSync(outside).mode & 0o777, 0o644, 'a link is not followed');
    const loose = readdirSync(dbDir, { recursive: true })
      .map((f) => path.join(dbDir, String(f)))
      .filter((f) => !lstatSync(f).isSymbolicLink() && modeOf(f) & 0o077);
    assert.deepEqual(loose, []);
  });
});
