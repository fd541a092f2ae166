import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';
import { AppError, parseInput } from '../../platform/errors/index.ts';
import {
  addressRefusal,
  type NetworkPolicy,
  type OutboundProtocol,
} from '../../platform/net/address-policy.ts';
import { LOOPBACK_HOSTS } from '../apps/index.ts';
import { MAX_METADATA_CHARS, settingsFromMetadata } from './idp.metadata-import.ts';

// Provider settings (FED-1, FED-6, FED-7), strict: every unknown key and every problem is named.
// URLs are https; plain http only on a loopback host (test IdPs run on this machine). The OIDC
// issuer, which Canopy fetches, is the exception: plain http there depends on the operator's
// private-network setting (SEC-5), checked by withIssuerPolicy below.

const MAX_CERTS = 5;
const ASYMMETRIC_ALGS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];

const nameSchema = z.string().trim().min(1, 'must not be empty').max(255, 'must be at most 255 characters');

const httpsUrl = z
  .string('must be a string')
  .max(2000, 'must be at most 2000 characters')
  .refine((value) => {
    const url = URL.parse(value);
    if (!url || url.username || url.password || url.hash) return false;
    return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
  }, 'must be an absolute https URL without credentials or fragment (http only on loopback)');

/** The OIDC issuer: https, or http on the private networks the operator allowed (issuerProblem). */
const issuerUrl = z
  .string('must be a string')
  .max(2000, 'must be at most 2000 characters')
  .refine((value) => {
    const url = URL.parse(value);
    if (!url || url.username || url.password || url.hash || url.search) return false;
    return url.protocol === 'https:' || url.protocol === 'http:';
  }, 'must be an absolute https URL without credentials, query or fragment');

const PEM_CERT = /-----BEGIN CERTIFICATE-----/g;

/** One PEM certificate, parsed and normalised; expiry is checked against the clock by the service. */
const certificateSchema = z
  .string('must be a PEM certificate')
  .max(16_000, 'must be at most 16000 characters')
  .transform((pem, ctx) => {
    if ((pem.match(PEM_CERT) ?? []).length !== 1) {
      ctx.addIssue({ code: 'custom', message: 'must hold exactly one PEM certificate (BEGIN CERTIFICATE)' });
      return z.NEVER;
    }
    try {
      return new X509Certificate(pem).toString();
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not a readable X.509 certificate' });
      return z.NEVER;
    }
  });

const attributeName = (fallback: string) =>
  z.string('must be a string').trim().min(1, 'must not be empty').max(512).default(fallback);

const samlAttributesSchema = z.strictObject({
  username: attributeName('uid').describe('Attribute holding the username; NameID when absent'),
  email: attributeName('email'),
  name: attributeName('displayName'),
  groups: attributeName('groups'),
});

// What metadata can supply (idp.metadata-import.ts); everything else is only ever typed.
const samlIdentityFields = {
  entityId: z.string('must be a string').trim().min(1, 'must not be empty').max(1024),
  ssoUrl: httpsUrl.describe('IdP single sign-on URL (HTTP-Redirect binding)'),
  signingCertificates: z
    .array(certificateSchema)
    .min(1, 'must list at least one certificate')
    .max(MAX_CERTS, `must list at most ${MAX_CERTS} certificates`),
};

const samlSettingFields = {
  wantAssertionsSigned: z.boolean('must be true or false').default(true),
  wantResponseSigned: z.boolean('must be true or false').default(true),
  allowIdpInitiated: z.boolean('must be true or false').default(false),
  attributes: samlAttributesSchema.default({
    username: 'uid',
    email: 'email',
    name: 'displayName',
    groups: 'groups',
  }),
  clockSkewSeconds: z
    .int('must be a whole number of seconds')
    .min(0, 'must be from 0 to 300')
    .max(300, 'must be from 0 to 300')
    .default(60),
};

export const samlConfigSchema = z
  .strictObject({ ...samlIdentityFields, ...samlSettingFields })
  .superRefine((c, ctx) => {
    // FED-6: never neither signature.
    if (!c.wantAssertionsSigned && !c.wantResponseSigned) {
      ctx.addIssue({
        code: 'custom',
        path: ['wantResponseSigned'],
        message: 'the assertion or the response must be signed: both cannot be false',
      });
    }
    const seen = new Set<string>();
    c.signingCertificates.forEach((pem, i) => {
      if (seen.has(pem))
        ctx.addIssue({ code: 'custom', path: ['signingCertificates', i], message: 'is listed twice' });
      seen.add(pem);
    });
  });

const claimPath = z
  .string('must be a string')
  .regex(/^[A-Za-z0-9_:-]+(\.[A-Za-z0-9_:-]+)*$/, 'must be a claim name or a dotted path (a.b.c)')
  .max(256);

export const oidcConfigSchema = z.strictObject({
  issuer: issuerUrl,
  clientId: z.string('must be a string').trim().min(1, 'must not be empty').max(255),
  scopes: z
    .array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'is not a valid scope'))
    .max(20)
    .default(['openid', 'profile', 'email'])
    .refine((s) => s.includes('openid'), 'must include openid'),
  groupsClaim: claimPath.default('groups'),
  usernameClaim: claimPath.default('preferred_username'),
  idTokenSigningAlgs: z
    .array(
      z
        .string()
        .refine(
          (a) => ASYMMETRIC_ALGS.includes(a),
          `must be one of ${ASYMMETRIC_ALGS.join(', ')} (never none)`,
        ),
    )
    .min(1, 'must list at least one algorithm')
    .default(['RS256', 'ES256']),
});

const clientSecretSchema = z
  .string('must be a string')
  .min(1, 'must not be empty')
  .max(1024, 'must be at most 1024 characters')
  .describe('Write-only: stored sealed, never returned');

export const metadataXmlSchema = z
  .string('must be a string')
  .max(MAX_METADATA_CHARS, 'must be at most 256 KiB')
  .describe('SAML: the IdP metadata document; supplies entityId, ssoUrl and signingCertificates');

const IDENTITY_KEYS = Object.keys(samlIdentityFields);

/**
 * SAML settings with metadata: explicit config values win over the document, then the result is
 * checked whole by samlConfigSchema. A problem in a value the document supplied is named under
 * `metadataXml`, since that is what the admin has to fix.
 */
const newSamlProviderSchema = z
  .strictObject({
    kind: z.literal('saml'),
    name: nameSchema,
    enabled: z.boolean('must be true or false').default(true),
    metadataXml: metadataXmlSchema.optional(),
    config: z
      .strictObject({ ...z.object(samlIdentityFields).partial().shape, ...samlSettingFields })
      .optional()
      .describe('entityId, ssoUrl and signingCertificates may be left to metadataXml'),
  })
  .transform(({ metadataXml, config = {}, ...rest }, ctx) => {
    const imported = metadataXml === undefined ? {} : settingsFromMetadata(metadataXml);
    if ('problem' in imported) {
      ctx.addIssue({ code: 'custom', path: ['metadataXml'], message: String(imported.problem) });
      return z.NEVER;
    }
    const merged: Record<string, unknown> = { ...imported, ...config };
    const missing = IDENTITY_KEYS.filter((key) => merged[key] === undefined);
    for (const key of missing)
      ctx.addIssue({ code: 'custom', path: ['config', key], message: 'is required (or give metadataXml)' });
    if (missing.length > 0) return z.NEVER;
    const parsed = samlConfigSchema.safeParse(merged);
    if (parsed.success) return { ...rest, config: parsed.data };
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0]);
      const fromDocument = key in imported && !(key in config);
      ctx.addIssue({
        code: 'custom',
        path: fromDocument ? ['metadataXml'] : ['config', ...issue.path],
        message: fromDocument
          ? `${[key, ...issue.path.slice(1)].join('.')}: ${issue.message}`
          : issue.message,
      });
    }
    return z.NEVER;
  });

export const newProviderSchema = z.discriminatedUnion(
  'kind',
  [
    newSamlProviderSchema,
    z.strictObject({
      kind: z.literal('oidc'),
      name: nameSchema,
      enabled: z.boolean('must be true or false').default(true),
      config: oidcConfigSchema,
      clientSecret: clientSecretSchema,
    }),
  ],
  'kind must be saml or oidc',
);
export type NewProvider = z.infer<typeof newProviderSchema>;

/** A change: `config` names only the settings to change; the result is checked whole for its kind. */
export const providerPatchSchema = z
  .strictObject({
    kind: z.never('is fixed at creation').optional(),
    name: nameSchema.optional(),
    enabled: z.boolean('must be true or false').optional(),
    config: z
      .record(z.string(), z.unknown(), 'must be an object')
      .optional()
      .describe("Settings to change, checked against the provider's kind"),
    clientSecret: clientSecretSchema.optional(),
    metadataXml: metadataXmlSchema.optional(),
  })
  .refine((patch) => Object.values(patch).some((v) => v !== undefined), 'name at least one field to change');
export type ProviderPatch = z.infer<typeof providerPatchSchema>;

export const configSchemaOf = { saml: samlConfigSchema, oidc: oidcConfigSchema } as const;

export const newMappingSchema = z.strictObject({
  group: z.string('must be a string').min(1, 'must not be empty').max(512).describe('Exact group name'),
  roleId: z.uuid('must be a UUID'),
  organizationId: z.uuid('must be a UUID').transform((id) => id.toLowerCase()),
  environmentId: z.uuid('must be a UUID').nullable().optional(),
  inherit: z.boolean('must be true or false').optional(),
});

export const localAccountsSchema = z.strictObject({
  enabled: z.boolean('must be true or false').describe('Whether local accounts may still be created (FED-5)'),
});

/**
 * SEC-5, said early: an issuer the outbound fetch would refuse is refused when it is configured —
 * plain http without the private-network setting, an IP literal or `localhost` name outside what
 * the policy allows. The fetch checks again on every connection (a name can resolve anywhere).
 */
export function issuerProblem(issuer: string, policy: NetworkPolicy): string | undefined {
  const url = URL.parse(issuer);
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) return undefined; // the schema names it
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // RFC 6761: localhost names are loopback wherever they are resolved.
  const localhost = host === 'localhost' || host.endsWith('.localhost');
  const refused = isIP(host)
    ? addressRefusal(host, url.protocol as OutboundProtocol, policy)
    : localhost &&
      addressRefusal('127.0.0.1', url.protocol as OutboundProtocol, policy)?.replace('127.0.0.1', host);
  if (refused) return `cannot be fetched: ${refused}`;
  if (url.protocol === 'http:' && !policy.allowPrivateNetworks)
    return 'must be https (plain http only for on-premise providers, with FEDERATION_ALLOW_PRIVATE_NETWORKS on)';
  return undefined;
}

type FieldProblem = { field: string; problem: string };

/**
 * Parses provider settings with SEC-5's issuer rule said early: an issuer the outbound fetch would
 * refuse is refused when it is configured. One 400 names every problem, the issuer's among them.
 */
export function parseWithIssuerPolicy<T>(schema: z.ZodType<T>, input: unknown, policy: NetworkPolicy): T {
  const issuer = (input as { config?: { issuer?: unknown } } | null)?.config?.issuer;
  const problem = typeof issuer === 'string' ? issuerProblem(issuer, policy) : undefined;
  if (!problem) return parseInput(schema, input);
  let fields: FieldProblem[] = [];
  try {
    parseInput(schema, input);
  } catch (err) {
    if (!(err instanceof AppError) || err.code !== 'request.invalid_input') throw err;
    fields = ((err.details?.fields ?? []) as FieldProblem[]).filter((f) => f.field !== 'config.issuer');
  }
  fields.push({ field: 'config.issuer', problem });
  const summary = fields.map((f) => `${f.field}: ${f.problem}`).join('; ');
  throw new AppError('request.invalid_input', { fields }, { message: `Invalid input — ${summary}` });
}
