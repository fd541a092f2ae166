import { X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { LOOPBACK_HOSTS } from '../apps/index.ts';

// Provider settings (FED-1, FED-6, FED-7), strict: every unknown key and every problem is named.
// URLs are https; plain http only on a loopback host (test IdPs run on this machine).

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

export const samlConfigSchema = z
  .strictObject({
    entityId: z.string('must be a string').trim().min(1, 'must not be empty').max(1024),
    ssoUrl: httpsUrl.describe('IdP single sign-on URL (HTTP-Redirect binding)'),
    signingCertificates: z
      .array(certificateSchema)
      .min(1, 'must list at least one certificate')
      .max(MAX_CERTS, `must list at most ${MAX_CERTS} certificates`),
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
  })
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
  issuer: httpsUrl.refine((v) => !URL.parse(v)?.search, 'must not carry a query'),
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

export const newProviderSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      kind: z.literal('saml'),
      name: nameSchema,
      enabled: z.boolean('must be true or false').default(true),
      config: samlConfigSchema,
    }),
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
