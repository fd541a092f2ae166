import assert from 'node:assert/strict';
import { randomUUID, X509Certificate } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  createMemorySamlCache,
  createRedisSamlCache,
  createSamlProtocol,
  type SamlCache,
  type SamlProvider,
  SamlRejected,
  type SamlRejectReason,
} from '../../src/federation/saml/index.ts';
import { federationUrls } from '../../src/modules/identity-providers/idp.metadata.ts';
import type { SamlConfig } from '../../src/modules/identity-providers/idp.schema.ts';
import { createTestClock, type TestClock } from '../../src/platform/clock.ts';
import {
  buildResponse,
  encode,
  makeKeyPair,
  type ResponseFields,
  requestIdOf,
  sign,
  type TestKeyPair,
} from './saml-idp.ts';

// One SAML world per test file: Canopy's SAML side over the memory caches, or over Redis when
// REDIS_URL is set (both caches in one Redis, as in production), a test IdP and an attacker.

export const PUBLIC_URL = 'https://canopy.example';
export const IDP_ENTITY_ID = 'https://idp.example.com/saml/metadata';

export const cacheBackends: {
  name: string;
  make(clock: TestClock): { cache: SamlCache; close(): Promise<void> };
}[] = [
  { name: 'memory', make: (clock) => ({ cache: createMemorySamlCache({ clock }), close: async () => {} }) },
];
if (process.env.REDIS_URL) {
  cacheBackends.push({
    name: 'redis',
    make: () => {
      const redis = new Redis(process.env.REDIS_URL!);
      return {
        cache: createRedisSamlCache({ redis, prefix: `canopy-test:${randomUUID()}:` }),
        close: async () => void (await redis.quit()),
      };
    },
  });
}

export interface SamlWorld {
  clock: TestClock;
  idp: TestKeyPair;
  attacker: TestKeyPair;
  protocol: ReturnType<typeof createSamlProtocol>;
  provider(config?: Partial<SamlConfig>): SamlProvider;
  fields(provider: SamlProvider, requestId: string | null, more?: Partial<ResponseFields>): ResponseFields;
  /** start → a response signed as asked → the form fields an IdP would POST. */
  answer(
    provider: SamlProvider,
    more?: Partial<ResponseFields>,
    signing?: { assertion?: boolean; response?: boolean; keys?: TestKeyPair },
    edit?: (xml: string) => string,
  ): Promise<{ requestId: string; xml: string; form: { SAMLResponse: string; RelayState: string } }>;
  close(): Promise<void>;
}

let keys: { idp: TestKeyPair; attacker: TestKeyPair } | undefined;

export function createSamlWorld(backend: (typeof cacheBackends)[number]): SamlWorld {
  keys ??= { idp: makeKeyPair('test-idp'), attacker: makeKeyPair('test-idp') };
  const { idp, attacker } = keys;
  // Far from the real date on purpose: every time check must use the injected clock.
  const clock = createTestClock(new Date('2031-05-04T10:00:00Z'));
  const { cache, close } = backend.make(clock);
  const protocol = createSamlProtocol({
    publicUrl: PUBLIC_URL,
    clock,
    requestCache: cache,
    replayCache: cache,
  });

  const provider = (config: Partial<SamlConfig> = {}): SamlProvider => ({
    id: randomUUID(),
    tenantId: randomUUID(),
    config: {
      entityId: IDP_ENTITY_ID,
      ssoUrl: 'https://idp.example.com/saml/sso',
      signingCertificates: [new X509Certificate(idp.cert).toString()],
      wantAssertionsSigned: true,
      wantResponseSigned: true,
      allowIdpInitiated: false,
      attributes: { username: 'uid', email: 'email', name: 'displayName', groups: 'groups' },
      clockSkewSeconds: 60,
      ...config,
    },
  });

  const fields = (
    p: SamlProvider,
    requestId: string | null,
    more: Partial<ResponseFields> = {},
  ): ResponseFields => {
    const urls = federationUrls(PUBLIC_URL, p.id);
    return {
      now: clock.now(),
      idpEntityId: IDP_ENTITY_ID,
      acsUrl: urls.acsUrl,
      audience: urls.spEntityId,
      inResponseTo: requestId,
      ...more,
    };
  };

  return {
    clock,
    idp,
    attacker,
    protocol,
    provider,
    fields,
    async answer(p, more = {}, signing = {}, edit = (x) => x) {
      const { redirectUrl, requestId } = await protocol.start(p, 'flow-1');
      assert.equal(requestIdOf(redirectUrl), requestId);
      const xml = edit(sign(buildResponse(fields(p, requestId, more)), signing.keys ?? idp, signing));
      return { requestId, xml, form: { SAMLResponse: encode(xml), RelayState: 'flow-1' } };
    },
    close,
  };
}

/** The promise must fail with SamlRejected for one of these reasons. */
export async function refused(
  promise: Promise<unknown>,
  ...reasons: SamlRejectReason[]
): Promise<SamlRejected> {
  let caught: unknown;
  await assert.rejects(promise, (err) => {
    caught = err;
    return true;
  });
  assert.ok(caught instanceof SamlRejected, `expected SamlRejected, got ${String(caught)}`);
  assert.ok(
    reasons.includes(caught.reason),
    `reason ${caught.reason} (${caught.detail}), expected ${reasons.join('|')}`,
  );
  return caught;
}
