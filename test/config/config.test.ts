import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { ConfigError, DEFAULT_CONFIG_FILE, loadConfig } from '../../src/config/load.ts';
import { configSchema, ENV_VARS } from '../../src/config/schema.ts';

// The configuration is the operator's first contact with Canopy: these tests pin what it accepts,
// what it refuses and how it says so, and keep config/default.yaml, the schema and ENV_VARS in step.

const DEFAULT_YAML = readFileSync(DEFAULT_CONFIG_FILE, 'utf8');

/** Every leaf key of the schema as `section.key`. */
function schemaLeafKeys(): string[] {
  const keys: string[] = [];
  for (const [section, sectionSchema] of Object.entries(configSchema.shape)) {
    for (const key of Object.keys(sectionSchema.shape)) keys.push(`${section}.${key}`);
  }
  return keys;
}

/**
 * Reads default.yaml line by line: each `section.key` with the comment block written just above it.
 * The file's layout is two levels (section, then keys indented by two spaces).
 */
function documentedKeys(text: string): Map<string, string> {
  const docs = new Map<string, string>();
  let section = '';
  let comment: string[] = [];
  for (const line of text.split('\n')) {
    const sectionMatch = /^([A-Za-z]\w*):\s*$/.exec(line);
    const keyMatch = /^ {2}([A-Za-z]\w*):/.exec(line);
    const commentMatch = /^\s*#(.*)$/.exec(line);
    if (commentMatch) {
      comment.push(commentMatch[1]!.trim());
      continue;
    }
    if (sectionMatch) section = sectionMatch[1]!;
    else if (keyMatch && section) docs.set(`${section}.${keyMatch[1]}`, comment.join(' '));
    comment = [];
  }
  return docs;
}

/** A config error's message, or a failure when loading succeeded. */
function configErrorOf(load: () => unknown): string {
  try {
    load();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.message;
  }
  assert.fail('the configuration was accepted');
}

/** A value for each environment variable, different from its default, and what the key becomes. */
const SAMPLES: Record<string, { raw: string; value: unknown }> = {
  PORT: { raw: '8080', value: 8080 },
  HOST: { raw: '127.0.0.1', value: '127.0.0.1' },
  PUBLIC_URL: { raw: 'https://id.example.com', value: 'https://id.example.com' },
  TRUST_PROXY: { raw: 'true', value: true },
  PROXY_HOPS: { raw: '2', value: 2 },
  SHUTDOWN_TIMEOUT_SECONDS: { raw: '45', value: 45 },
  DRAIN_DELAY_SECONDS: { raw: '15', value: 15 },
  DATA_DIR: { raw: '/var/lib/canopy', value: '/var/lib/canopy' },
  DATABASE_URL: {
    raw: 'postgres://canopy:pw@db.example.com:5432/canopy',
    value: 'postgres://canopy:pw@db.example.com:5432/canopy',
  },
  DATABASE_POOL_MAX: { raw: '25', value: 25 },
  REDIS_URL: { raw: 'redis://cache.example.com:6379', value: 'redis://cache.example.com:6379' },
  REDIS_KEY_PREFIX: { raw: 'acme:', value: 'acme:' },
  REDIS_COMMAND_TIMEOUT_MS: { raw: '250', value: 250 },
  AUDIT_RETENTION_DAYS: { raw: '90', value: 90 },
  USAGE_RETENTION_DAYS: { raw: '30', value: 30 },
  HOUSEKEEPING_INTERVAL_SECONDS: { raw: '60', value: 60 },
  ANONYMOUS_PER_ADDRESS_PER_MINUTE: { raw: '50', value: 50 },
  SKIP_FILE_MODE_CHECK: { raw: 'true', value: true },
  SECRETS_KEY: { raw: 'ab'.repeat(32), value: 'ab'.repeat(32) },
  LOG_LEVEL: { raw: 'debug', value: 'debug' },
  MAX_BUSINESS_GROUPS: { raw: '5000', value: 5000 },
  SIGNUPS_PER_ADDRESS_PER_HOUR: { raw: '3', value: 3 },
  CREDENTIAL_ROTATION_GRACE_HOURS: { raw: '48', value: 48 },
  API_RATE_LIMIT_PER_MINUTE: { raw: '120', value: 120 },
  SMTP_URL: { raw: 'smtp://mail.example.com:587', value: 'smtp://mail.example.com:587' },
  MAIL_FROM: { raw: 'Acme <id@acme.example>', value: 'Acme <id@acme.example>' },
  INVITATION_TTL_DAYS: { raw: '14', value: 14 },
  SIGNUP_MODE: { raw: 'closed', value: 'closed' },
  INVITATIONS_PER_ORGANIZATION_PER_DAY: { raw: '20', value: 20 },
  INVITATIONS_PER_UNVERIFIED_ORGANIZATION_PER_DAY: { raw: '2', value: 2 },
  FEDERATION_ALLOW_PRIVATE_NETWORKS: { raw: 'true', value: true },
  SIGN_IN_MAX_FAILURES: { raw: '7', value: 7 },
  SIGN_IN_FAILURE_WINDOW_SECONDS: { raw: '3600', value: 3600 },
  SIGN_IN_LOCKOUT_SECONDS: { raw: '600', value: 600 },
  SIGN_IN_MAX_LOCKOUT_SECONDS: { raw: '7200', value: 7200 },
  SIGN_IN_ACCOUNT_MAX_FAILURES: { raw: '40', value: 40 },
  SIGN_IN_ADDRESS_MAX_FAILURES: { raw: '50', value: 50 },
  SIGN_IN_ADDRESS_WINDOW_SECONDS: { raw: '120', value: 120 },
  SIGN_IN_ADDRESS_BLOCK_SECONDS: { raw: '1800', value: 1800 },
  SIGN_IN_DEVICE_COOKIE_DAYS: { raw: '90', value: 90 },
};

describe('configuration', () => {
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'canopy-config-'));
  });
  after(() => {
    rmSync(tmp, { recursive: true, force: true });
  });
  const writeYaml = (name: string, text: string) => {
    const file = path.join(tmp, name);
    writeFileSync(file, text);
    return file;
  };

  describe('defaults', () => {
    test('load with no environment: port 3000, data in ./data, embedded database, no Redis, no key', () => {
      const config = loadConfig({ env: {} });
      assert.equal(config.server.port, 3000);
      assert.equal(config.server.host, '0.0.0.0');
      assert.equal(config.server.publicUrl, 'http://localhost:3000');
      assert.equal(config.server.trustProxy, false);
      assert.equal(config.storage.dataDir, './data');
      assert.equal(config.storage.databaseUrl, null);
      assert.equal(config.storage.redisUrl, null);
      assert.equal(config.security.secretsKey, null);
      assert.equal(config.log.level, 'info');
    });

    test('are exactly what config/default.yaml says', () => {
      assert.deepEqual(loadConfig({ env: {} }), parseYaml(DEFAULT_YAML));
    });

    test('the loaded configuration is deeply frozen', () => {
      const config = loadConfig({ env: {} });
      assert.ok(Object.isFrozen(config));
      for (const section of Object.values(config)) assert.ok(Object.isFrozen(section));
      assert.throws(() => {
        (config.server as { port: number }).port = 1;
      }, TypeError);
      assert.throws(() => {
        (config as unknown as Record<string, unknown>).extra = {};
      }, TypeError);
      assert.equal(config.server.port, 3000);
    });
  });

  describe('environment variables', () => {
    test('every variable in ENV_VARS has a sample in this table', () => {
      assert.deepEqual(Object.keys(SAMPLES).sort(), Object.keys(ENV_VARS).sort());
    });

    const defaults = loadConfig({ env: {} }) as unknown as Record<string, Record<string, unknown>>;
    for (const [name, { path: keyPath }] of Object.entries(ENV_VARS)) {
      const sample = SAMPLES[name];
      const [section, key] = keyPath;
      test(`${name} overrides ${section}.${key}`, () => {
        assert.ok(sample, `no sample value for ${name}`);
        assert.notDeepEqual(defaults[section]![key], sample.value, 'the sample must differ from the default');
        const config = loadConfig({ env: { [name]: sample.raw } }) as unknown as Record<
          string,
          Record<string, unknown>
        >;
        assert.deepEqual(config[section]![key], sample.value);
        // Nothing else moved.
        const expected = structuredClone(defaults);
        expected[section]![key] = sample.value;
        assert.deepEqual(config, expected);
      });
    }

    test('booleans read true/false, 1/0 and yes/no in any case', () => {
      for (const raw of ['true', 'TRUE', '1', 'yes', 'Yes']) {
        assert.equal(loadConfig({ env: { TRUST_PROXY: raw } }).server.trustProxy, true, raw);
      }
      for (const raw of ['false', 'False', '0', 'no', 'NO']) {
        assert.equal(loadConfig({ env: { TRUST_PROXY: raw } }).server.trustProxy, false, raw);
      }
    });

    test('values are trimmed, and an empty variable means "not set" for optional keys', () => {
      assert.equal(loadConfig({ env: { PORT: ' 8081 ' } }).server.port, 8081);
      const config = loadConfig({ env: { DATABASE_URL: '', REDIS_URL: '  ', SECRETS_KEY: '' } });
      assert.equal(config.storage.databaseUrl, null);
      assert.equal(config.storage.redisUrl, null);
      assert.equal(config.security.secretsKey, null);
    });

    test('loadConfig() without options reads process.env', () => {
      const saved = process.env.SHUTDOWN_TIMEOUT_SECONDS;
      process.env.SHUTDOWN_TIMEOUT_SECONDS = '42';
      try {
        assert.equal(loadConfig().server.shutdownTimeoutSeconds, 42);
      } finally {
        if (saved === undefined) delete process.env.SHUTDOWN_TIMEOUT_SECONDS;
        else process.env.SHUTDOWN_TIMEOUT_SECONDS = saved;
      }
    });
  });

  describe('bad values stop the start, naming the variable and the key', () => {
    const cases: { env: Record<string, string>; names: RegExp[] }[] = [
      { env: { PORT: 'abc' }, names: [/- server\.port \(PORT\): must be a whole number/] },
      { env: { PORT: '8080.5' }, names: [/- server\.port \(PORT\): must be a whole number/] },
      { env: { PORT: '70000' }, names: [/- server\.port \(PORT\): .*65535/] },
      { env: { PORT: '-1' }, names: [/- server\.port \(PORT\): /] },
      { env: { PORT: '' }, names: [/- server\.port \(PORT\): /] },
      { env: { LOG_LEVEL: 'loud' }, names: [/- log\.level \(LOG_LEVEL\): .*"info"/] },
      { env: { PUBLIC_URL: 'not-a-url' }, names: [/- server\.publicUrl \(PUBLIC_URL\): .*URL/] },
      {
        env: { PUBLIC_URL: 'https://id.example.com/' },
        names: [/- server\.publicUrl \(PUBLIC_URL\): .*slash/],
      },
      { env: { SECRETS_KEY: 'short' }, names: [/- security\.secretsKey \(SECRETS_KEY\): .*32 bytes/] },
      { env: { SECRETS_KEY: 'ab'.repeat(31) }, names: [/- security\.secretsKey \(SECRETS_KEY\): /] },
      {
        env: { TRUST_PROXY: 'maybe' },
        names: [/- server\.trustProxy \(TRUST_PROXY\): must be true or false/],
      },
      {
        env: { PUBLIC_URL: 'javascript:alert(1)' },
        names: [/- server\.publicUrl \(PUBLIC_URL\): .*https?:\/\//],
      },
      {
        env: { DATABASE_URL: 'http://db:5432/x' },
        names: [/- storage\.databaseUrl \(DATABASE_URL\): .*postgres:\/\//],
      },
      {
        env: { REDIS_URL: 'mailto:ops@example.com' },
        names: [/- storage\.redisUrl \(REDIS_URL\): .*redis:\/\//],
      },
      // Unreadable values of several variables are reported together too.
      {
        env: { PORT: 'abc', TRUST_PROXY: 'maybe' },
        names: [/- server\.port \(PORT\): must be a whole number/, /- server\.trustProxy \(TRUST_PROXY\)/],
      },
      { env: { DATABASE_URL: 'not a url' }, names: [/- storage\.databaseUrl \(DATABASE_URL\): /] },
      { env: { DATABASE_POOL_MAX: '0' }, names: [/- storage\.databasePoolMax \(DATABASE_POOL_MAX\): /] },
      { env: { DATA_DIR: '' }, names: [/- storage\.dataDir \(DATA_DIR\): /] },
      {
        env: { SHUTDOWN_TIMEOUT_SECONDS: '0' },
        names: [/- server\.shutdownTimeoutSeconds \(SHUTDOWN_TIMEOUT_SECONDS\): /],
      },
      {
        env: { CREDENTIAL_ROTATION_GRACE_HOURS: '721' },
        names: [/- credentials\.rotationGraceHours \(CREDENTIAL_ROTATION_GRACE_HOURS\): /],
      },
      {
        env: { MAX_BUSINESS_GROUPS: '0' },
        names: [/- organizations\.maxBusinessGroups \(MAX_BUSINESS_GROUPS\): /],
      },
      // Several bad values are reported together, so the operator fixes them in one go.
      {
        env: { PORT: '70000', LOG_LEVEL: 'loud', PUBLIC_URL: 'nope' },
        names: [
          /- server\.port \(PORT\)/,
          /- log\.level \(LOG_LEVEL\)/,
          /- server\.publicUrl \(PUBLIC_URL\)/,
        ],
      },
    ];
    for (const { env, names } of cases) {
      const label = Object.entries(env)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(' ');
      test(label, () => {
        const message = configErrorOf(() => loadConfig({ env }));
        assert.match(message, /^Invalid configuration:\n/);
        for (const name of names) assert.match(message, name);
      });
    }

    test('a bad programmatic override is refused as well', () => {
      const message = configErrorOf(() => loadConfig({ env: {}, overrides: { server: { port: 65536 } } }));
      assert.match(message, /- server\.port \(PORT\): /);
    });
  });

  describe('configuration files', () => {
    test('a file given in `files` overrides default.yaml; the environment overrides the file; overrides win', () => {
      const file = writeYaml(
        'layered.yaml',
        'server:\n  port: 4000\n  host: 127.0.0.1\nlog:\n  level: warn\n',
      );
      const fromFile = loadConfig({ env: {}, files: [file] });
      assert.equal(fromFile.server.port, 4000);
      assert.equal(fromFile.server.host, '127.0.0.1');
      assert.equal(
        fromFile.server.publicUrl,
        'http://localhost:3000',
        'keys the file omits keep their defaults',
      );
      assert.equal(fromFile.log.level, 'warn');
      assert.equal(loadConfig({ env: { PORT: '5000' }, files: [file] }).server.port, 5000);
      assert.equal(
        loadConfig({ env: { PORT: '5000' }, files: [file], overrides: { server: { port: 6000 } } }).server
          .port,
        6000,
      );
    });

    test('CANOPY_CONFIG names one more file, applied after `files`', () => {
      const first = writeYaml('first.yaml', 'server:\n  port: 4001\n');
      const second = writeYaml('second.yaml', 'server:\n  port: 4002\n');
      const config = loadConfig({ env: { CANOPY_CONFIG: second }, files: [first] });
      assert.equal(config.server.port, 4002);
    });

    test('an unknown key in a file stops with "unknown key", naming it', () => {
      const file = writeYaml('unknown.yaml', 'server:\n  port: 4000\n  prot: 4001\n');
      const message = configErrorOf(() => loadConfig({ env: {}, files: [file] }));
      assert.match(message, /^- server\.prot: unknown key$/m);
    });

    test('an unknown section given through CANOPY_CONFIG stops with "unknown key", naming it', () => {
      const file = writeYaml('unknown-section.yaml', 'logging:\n  level: debug\n');
      const message = configErrorOf(() => loadConfig({ env: { CANOPY_CONFIG: file } }));
      assert.match(message, /^- logging: unknown key$/m);
    });

    test('a bad value in a file names the key and its variable', () => {
      const file = writeYaml('bad-value.yaml', 'server:\n  port: "3000"\n');
      const message = configErrorOf(() => loadConfig({ env: {}, files: [file] }));
      assert.match(message, /- server\.port \(PORT\): /);
    });

    test('a missing file, or one that is not a mapping, stops with a message naming the file', () => {
      const missing = path.join(tmp, 'missing.yaml');
      assert.match(
        configErrorOf(() => loadConfig({ env: { CANOPY_CONFIG: missing } })),
        /missing\.yaml/,
      );
      const list = writeYaml('list.yaml', '- port: 1\n');
      assert.match(
        configErrorOf(() => loadConfig({ env: {}, files: [list] })),
        /list\.yaml.*mapping/,
      );
    });

    test('an empty file changes nothing', () => {
      const empty = writeYaml('empty.yaml', '# nothing here\n');
      assert.deepEqual(loadConfig({ env: {}, files: [empty] }), loadConfig({ env: {} }));
    });
  });

  describe('documentation (config/default.yaml) and code stay in step', () => {
    const docs = documentedKeys(DEFAULT_YAML);
    const leafKeys = schemaLeafKeys();

    test('the reader of default.yaml finds the sections the schema has', () => {
      assert.deepEqual(Object.keys(parseYaml(DEFAULT_YAML)).sort(), Object.keys(configSchema.shape).sort());
    });

    test('every leaf key of the schema appears in default.yaml with a comment above it, and no other key does', () => {
      assert.ok(leafKeys.length >= 14, 'schema keys were found');
      assert.deepEqual([...docs.keys()].sort(), [...leafKeys].sort());
      for (const key of leafKeys) assert.ok(docs.get(key)!.length > 10, `${key} has no comment`);
    });

    test('every ENV_VARS entry maps to a real schema key, and every schema key has a variable', () => {
      const mapped = Object.values(ENV_VARS).map(({ path: p }) => p.join('.'));
      for (const [name, { path: p }] of Object.entries(ENV_VARS)) {
        assert.ok(leafKeys.includes(p.join('.')), `${name} maps to ${p.join('.')}, which the schema lacks`);
      }
      assert.equal(new Set(mapped).size, mapped.length, 'two variables map to one key');
      assert.deepEqual([...mapped].sort(), [...leafKeys].sort());
    });

    test('the comment above each key starts with the name of its environment variable', () => {
      for (const [name, { path: p }] of Object.entries(ENV_VARS)) {
        const comment = docs.get(p.join('.'));
        assert.ok(comment, `${p.join('.')} is not in default.yaml`);
        assert.match(
          comment,
          new RegExp(`^${name}\\b`),
          `the comment of ${p.join('.')} does not start with ${name}`,
        );
      }
    });

    test('each variable is read as the type its key holds (integer, boolean or string)', () => {
      for (const [name, { path: p, kind }] of Object.entries(ENV_VARS)) {
        const value = (
          loadConfig({ env: { [name]: SAMPLES[name]!.raw } }) as unknown as Record<
            string,
            Record<string, unknown>
          >
        )[p[0]]![p[1]];
        const expected = kind === 'integer' ? 'number' : kind;
        assert.equal(typeof value, expected, `${name} (${kind})`);
        if (kind === 'integer') assert.ok(Number.isInteger(value), name);
      }
    });
  });
});
