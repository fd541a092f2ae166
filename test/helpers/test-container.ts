import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { type Container, createContainer } from '../../src/container.ts';
import { ensureInstallationKey } from '../../src/modules/secrets/index.ts';
import {
  derivePseudonymKeys,
  PSEUDONYM_INSTALLATION_KEY,
  type PseudonymKeys,
} from '../../src/modules/sign-in/index.ts';
import { createTestClock, type TestClock } from '../../src/platform/clock.ts';
import { createSecretBox, parseSecretsKeyRing } from '../../src/platform/crypto/secret-box.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { openTestDatabase } from './test-database.ts';

export const TEST_SECRETS_KEY = 'a'.repeat(64);

/**
 * The sign-in keys that the container derived from its installation key (SEC-12), read back with its
 * own ring: for services a test builds by hand, as another node of the same installation would.
 */
export async function pseudonymKeysOf(container: Container): Promise<PseudonymKeys> {
  const box = createSecretBox(parseSecretsKeyRing(container.config.security.secretsKey!));
  const key = await ensureInstallationKey(container.database.knex, box, PSEUDONYM_INSTALLATION_KEY);
  return derivePseudonymKeys(key);
}

export interface TestEnv {
  container: Container;
  clock: TestClock;
  close(): Promise<void>;
}

export type ConfigOverrides = { [K in keyof Config]?: Partial<Config[K]> };

/**
 * A container over an isolated database, with a clock the test moves. With REDIS_URL set, Redis is
 * used under a prefix of its own, so parallel test files never hear each other's signals.
 */
export async function createTestEnv(
  options: { config?: ConfigOverrides; redisPrefix?: string } = {},
): Promise<TestEnv> {
  const database = await openTestDatabase();
  const clock = createTestClock();
  const config = testConfig({
    ...options.config,
    storage: {
      redisUrl: process.env.REDIS_URL || null,
      redisKeyPrefix: options.redisPrefix ?? `canopy-test:${randomUUID()}:`,
      ...options.config?.storage,
    },
  });
  const container = await createContainer(config, {
    database,
    clock,
    logger: createLogger(config.log.level),
  });
  return { container, clock, close: () => container.close() };
}

let processDataDir: string | undefined;

/**
 * DATA_DIR of this test process, unless a test names its own: a temporary folder, removed at exit,
 * so that the mail every sign-up writes to the outbox (ACC-3) never lands in the repository's ./data.
 */
function testDataDir(): string {
  if (!processDataDir) {
    const dir = mkdtempSync(path.join(tmpdir(), 'canopy-test-data-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    processDataDir = dir;
  }
  return processDataDir;
}

export function testConfig(overrides: ConfigOverrides = {}): Readonly<Config> {
  return loadConfig({
    env: { LOG_LEVEL: process.env.LOG_LEVEL },
    files: [path.resolve(import.meta.dirname, '../../config/test.yaml')],
    overrides: {
      ...overrides,
      security: { secretsKey: TEST_SECRETS_KEY, ...overrides.security },
      storage: { databaseUrl: null, dataDir: testDataDir(), ...overrides.storage },
    },
  });
}
