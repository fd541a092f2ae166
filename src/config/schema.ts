import { z } from 'zod';

// One place for every setting. `config/default.yaml` mirrors this schema key by key, and
// `ENV_VARS` names the environment variable that overrides each key (test/config checks both stay in step).

const port = z.number().int().min(0).max(65535);
/** A URL of the given schemes only: `javascript:` as the issuer or `http:` as a database must not load. */
const urlWith = (protocol: RegExp, what: string) =>
  z.url({ protocol, error: `must be a URL starting with ${what}` });

export const configSchema = z.strictObject({
  server: z.strictObject({
    port: port.describe('TCP port the HTTP server listens on'),
    host: z.string().min(1).describe('Interface to bind'),
    publicUrl: urlWith(/^https?$/, 'http:// or https://')
      .refine((u) => !u.endsWith('/'), 'must not end with a slash')
      .describe('Public base URL of this installation; the OpenID issuer'),
    trustProxy: z.boolean().describe('Trust X-Forwarded-* headers from a reverse proxy'),
    proxyHops: z
      .number()
      .int()
      .min(1)
      .max(10)
      .describe(
        'With trustProxy: how many proxies stand in front (the client address is read that far back)',
      ),
    shutdownTimeoutSeconds: z.number().int().min(1).max(300).describe('Grace period for in-flight requests'),
    drainDelaySeconds: z
      .number()
      .int()
      .min(0)
      .max(120)
      .describe(
        'On SIGTERM, how long /readyz answers 503 while requests are still served, before the listener closes',
      ),
  }),
  storage: z.strictObject({
    dataDir: z.string().min(1).describe('Directory of the embedded database and generated keys'),
    databaseUrl: urlWith(/^postgres(ql)?$/, 'postgres://')
      .nullable()
      .describe('PostgreSQL connection URL; the embedded database is used when empty'),
    databasePoolMax: z.number().int().min(1).max(200).describe('Maximum PostgreSQL connections per node'),
    redisUrl: urlWith(/^rediss?$/, 'redis:// or rediss://')
      .nullable()
      .describe('Redis URL for shared caches and cross-node signals; optional'),
    redisKeyPrefix: z.string().max(64).describe('Prefix of every Redis key and channel'),
    redisCommandTimeoutMs: z
      .number()
      .int()
      .min(50)
      .max(5_000)
      .describe('How long one Redis command may take before the request answers 503'),
    skipFileModeCheck: z
      .boolean()
      .describe(
        'Start even when DATA_DIR, the embedded database or secrets.key are open to other local users (SEC-10)',
      ),
  }),
  security: z.strictObject({
    secretsKey: z
      .string()
      .regex(
        /^\s*(?:[0-9a-fA-F]{64}|[A-Za-z0-9+/_-]{43}=?)(?:\s*,\s*(?:[0-9a-fA-F]{64}|[A-Za-z0-9+/_-]{43}=?)){0,7}\s*$/,
        'must be 32 bytes as 64 hex characters or base64, or a comma-separated ring of up to 8 such keys',
      )
      .nullable()
      .describe(
        'Key ring that encrypts secrets at rest: 32-byte keys (hex or base64), comma-separated, the sealing key first',
      ),
  }),
  log: z.strictObject({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).describe('Log level'),
  }),
  organizations: z.strictObject({
    maxBusinessGroups: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .describe('Most business groups one master organization may hold'),
    signupsPerAddressPerHour: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .describe('Sign-ups (web form and API) one source address may make in an hour'),
    signupMode: z
      .enum(['open', 'closed'])
      .describe(
        'open: anyone may sign a company up; closed: only the command-line tool creates organizations (SEC-9)',
      ),
  }),
  signIn: z.strictObject({
    maxFailures: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .describe('Failed sign-ins of one username before it is locked'),
    failureWindowSeconds: z.number().int().min(60).max(604_800).describe('How long a failure counts'),
    lockoutSeconds: z.number().int().min(1).max(86_400).describe('The first lockout; later ones double'),
    maxLockoutSeconds: z.number().int().min(1).max(86_400).describe('The longest lockout'),
    accountMaxFailures: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .describe(
        'Failed sign-ins of one username from all sources together before browsers that never signed in to it are locked out (SEC-6)',
      ),
    addressMaxFailures: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .describe('Failed sign-ins from one address before it is blocked'),
    addressWindowSeconds: z
      .number()
      .int()
      .min(1)
      .max(86_400)
      .describe('How long a failure of an address counts'),
    addressBlockSeconds: z.number().int().min(1).max(86_400).describe('How long a blocked address waits'),
    deviceCookieDays: z
      .number()
      .int()
      .min(1)
      .max(400)
      .describe('Days a browser stays known to an account after signing in to it with a password (SEC-6)'),
  }),
  mail: z.strictObject({
    smtpUrl: z
      .url({ protocol: /^smtps?$/, error: 'must be a URL starting with smtp:// or smtps://' })
      .nullable()
      .describe('SMTP server for outgoing mail; without it, mail is written to the log and DATA_DIR/outbox'),
    from: z.string().min(3).max(255).describe('Sender of outgoing mail'),
  }),
  invitations: z.strictObject({
    ttlDays: z.number().int().min(1).max(90).describe('Days an invitation link stays valid (INV-2)'),
    perOrganizationPerDay: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .describe(
        'Mails to unverified addresses (invitations sent and resent, email verification links) one master organization may send in a day (SEC-9)',
      ),
    perUnverifiedOrganizationPerDay: z
      .number()
      .int()
      .min(0)
      .max(1_000)
      .describe("The same while the founder's email is not verified (SEC-9)"),
  }),
  federation: z.strictObject({
    allowPrivateNetworks: z
      .boolean()
      .describe(
        'Let identity-provider fetches reach loopback and private addresses over http or https (on-premise IdPs; SEC-5)',
      ),
  }),
  retention: z.strictObject({
    auditDays: z.number().int().min(1).max(3_650).describe('Days audit entries are kept (REL-6)'),
    usageDays: z.number().int().min(1).max(3_650).describe('Days daily usage figures are kept (REL-6)'),
    housekeepingIntervalSeconds: z
      .number()
      .int()
      .min(10)
      .max(86_400)
      .describe('How often one node sweeps expired and retained-out rows'),
  }),
  anonymous: z.strictObject({
    perAddressPerMinute: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .describe(
        'Stored things (sign-in interactions, device codes, federation flows) one address may create per minute without signing in (REL-4)',
      ),
  }),
  api: z.strictObject({
    rateLimitPerMinute: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .describe('Admin API requests one caller (token or address) may make per minute'),
  }),
  credentials: z.strictObject({
    rotationGraceHours: z
      .number()
      .int()
      .min(0)
      .max(720)
      .describe('Hours the previous environment secret stays valid after a rotation'),
  }),
});

export type Config = z.infer<typeof configSchema>;

type ValueKind = 'string' | 'integer' | 'boolean';

/** Environment variable → [config path, how to read the string]. */
export const ENV_VARS: Record<string, { path: readonly [string, string]; kind: ValueKind }> = {
  PORT: { path: ['server', 'port'], kind: 'integer' },
  HOST: { path: ['server', 'host'], kind: 'string' },
  PUBLIC_URL: { path: ['server', 'publicUrl'], kind: 'string' },
  TRUST_PROXY: { path: ['server', 'trustProxy'], kind: 'boolean' },
  PROXY_HOPS: { path: ['server', 'proxyHops'], kind: 'integer' },
  SHUTDOWN_TIMEOUT_SECONDS: { path: ['server', 'shutdownTimeoutSeconds'], kind: 'integer' },
  DRAIN_DELAY_SECONDS: { path: ['server', 'drainDelaySeconds'], kind: 'integer' },
  DATA_DIR: { path: ['storage', 'dataDir'], kind: 'string' },
  DATABASE_URL: { path: ['storage', 'databaseUrl'], kind: 'string' },
  DATABASE_POOL_MAX: { path: ['storage', 'databasePoolMax'], kind: 'integer' },
  REDIS_URL: { path: ['storage', 'redisUrl'], kind: 'string' },
  REDIS_KEY_PREFIX: { path: ['storage', 'redisKeyPrefix'], kind: 'string' },
  REDIS_COMMAND_TIMEOUT_MS: { path: ['storage', 'redisCommandTimeoutMs'], kind: 'integer' },
  SKIP_FILE_MODE_CHECK: { path: ['storage', 'skipFileModeCheck'], kind: 'boolean' },
  SECRETS_KEY: { path: ['security', 'secretsKey'], kind: 'string' },
  LOG_LEVEL: { path: ['log', 'level'], kind: 'string' },
  MAX_BUSINESS_GROUPS: { path: ['organizations', 'maxBusinessGroups'], kind: 'integer' },
  SIGNUPS_PER_ADDRESS_PER_HOUR: { path: ['organizations', 'signupsPerAddressPerHour'], kind: 'integer' },
  SIGN_IN_MAX_FAILURES: { path: ['signIn', 'maxFailures'], kind: 'integer' },
  SIGN_IN_FAILURE_WINDOW_SECONDS: { path: ['signIn', 'failureWindowSeconds'], kind: 'integer' },
  SIGN_IN_LOCKOUT_SECONDS: { path: ['signIn', 'lockoutSeconds'], kind: 'integer' },
  SIGN_IN_MAX_LOCKOUT_SECONDS: { path: ['signIn', 'maxLockoutSeconds'], kind: 'integer' },
  SIGN_IN_ACCOUNT_MAX_FAILURES: { path: ['signIn', 'accountMaxFailures'], kind: 'integer' },
  SIGN_IN_ADDRESS_MAX_FAILURES: { path: ['signIn', 'addressMaxFailures'], kind: 'integer' },
  SIGN_IN_ADDRESS_WINDOW_SECONDS: { path: ['signIn', 'addressWindowSeconds'], kind: 'integer' },
  SIGN_IN_ADDRESS_BLOCK_SECONDS: { path: ['signIn', 'addressBlockSeconds'], kind: 'integer' },
  SIGN_IN_DEVICE_COOKIE_DAYS: { path: ['signIn', 'deviceCookieDays'], kind: 'integer' },
  SMTP_URL: { path: ['mail', 'smtpUrl'], kind: 'string' },
  MAIL_FROM: { path: ['mail', 'from'], kind: 'string' },
  SIGNUP_MODE: { path: ['organizations', 'signupMode'], kind: 'string' },
  INVITATION_TTL_DAYS: { path: ['invitations', 'ttlDays'], kind: 'integer' },
  INVITATIONS_PER_ORGANIZATION_PER_DAY: { path: ['invitations', 'perOrganizationPerDay'], kind: 'integer' },
  INVITATIONS_PER_UNVERIFIED_ORGANIZATION_PER_DAY: {
    path: ['invitations', 'perUnverifiedOrganizationPerDay'],
    kind: 'integer',
  },
  FEDERATION_ALLOW_PRIVATE_NETWORKS: { path: ['federation', 'allowPrivateNetworks'], kind: 'boolean' },
  AUDIT_RETENTION_DAYS: { path: ['retention', 'auditDays'], kind: 'integer' },
  USAGE_RETENTION_DAYS: { path: ['retention', 'usageDays'], kind: 'integer' },
  HOUSEKEEPING_INTERVAL_SECONDS: { path: ['retention', 'housekeepingIntervalSeconds'], kind: 'integer' },
  ANONYMOUS_PER_ADDRESS_PER_MINUTE: { path: ['anonymous', 'perAddressPerMinute'], kind: 'integer' },
  API_RATE_LIMIT_PER_MINUTE: { path: ['api', 'rateLimitPerMinute'], kind: 'integer' },
  CREDENTIAL_ROTATION_GRACE_HOURS: { path: ['credentials', 'rotationGraceHours'], kind: 'integer' },
};
