import { createHash, type JsonWebKey } from 'node:crypto';

export const SIGNING_ALGS = ['ES256', 'RS256'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

/** The public half of a signing key, as published at the provider's `jwks_uri`. */
export interface PublicJwk {
  kty: 'EC' | 'RSA';
  kid: string;
  alg: SigningAlg;
  use: 'sig';
  crv?: string;
  x?: string;
  y?: string;
  n?: string;
  e?: string;
}

/** A whole signing key. Only the provider ever sees one of these; it is sealed at rest. */
export interface PrivateJwk extends PublicJwk {
  d: string;
  p?: string;
  q?: string;
  dp?: string;
  dq?: string;
  qi?: string;
}

const PUBLIC_MEMBERS = ['kty', 'kid', 'alg', 'use', 'crv', 'x', 'y', 'n', 'e'] as const;

/**
 * RFC 7638 thumbprint: SHA-256 over the required public members in lexicographic order. The same
 * value oidc-provider computes for a key without a `kid`, so a kid names its key unambiguously.
 */
export function thumbprint(jwk: {
  kty: string;
  crv?: string;
  x?: string;
  y?: string;
  n?: string;
  e?: string;
}) {
  const members =
    jwk.kty === 'EC'
      ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
      : { e: jwk.e, kty: jwk.kty, n: jwk.n };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

/** An exported private key as the provider wants it: with its thumbprint as `kid`, `alg` and `use`. */
export function toSigningJwk(exported: JsonWebKey, alg: SigningAlg): PrivateJwk {
  const kty = exported.kty;
  const expected = alg === 'ES256' ? 'EC' : 'RSA';
  if (kty !== expected || typeof exported.d !== 'string') throw new Error(`not a private ${alg} key`);
  const material: Record<string, string> = {};
  for (const [name, value] of Object.entries(exported)) if (typeof value === 'string') material[name] = value;
  return { ...material, kty, kid: thumbprint({ ...exported, kty }), alg, use: 'sig', d: exported.d };
}

/** The members a verifier needs, and nothing else, in a stable order. */
export function publicPart(jwk: PublicJwk): PublicJwk {
  const pub: Record<string, string> = {};
  for (const name of PUBLIC_MEMBERS) {
    const value = jwk[name];
    if (value !== undefined) pub[name] = value;
  }
  return pub as unknown as PublicJwk;
}
