import { X509Certificate } from 'node:crypto';
import { federationUrls } from './idp.metadata.ts';
import type { ProviderRow } from './idp.repository.ts';
import type { CertificateInfo, IdentityProvider, OidcConfig, SamlConfig } from './idp.schema.ts';

export function certificateInfo(pem: string): CertificateInfo {
  const cert = new X509Certificate(pem);
  return {
    subject: cert.subject.replaceAll('\n', ', '),
    notAfter: new Date(cert.validTo),
    sha256Fingerprint: cert.fingerprint256,
  };
}

/** The public view of a row: never the sealed secret, only whether there is one. */
export function presentProvider(row: ProviderRow, publicUrl: string): IdentityProvider {
  const base = {
    id: row.id,
    tenantId: row.tenantId,
    name: row.name,
    enabled: row.enabled,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    urls: federationUrls(publicUrl, row.id),
  };
  if (row.kind === 'saml') {
    const config = row.config as SamlConfig;
    return { ...base, kind: 'saml', config, certificates: config.signingCertificates.map(certificateInfo) };
  }
  return {
    ...base,
    kind: 'oidc',
    config: row.config as OidcConfig,
    hasClientSecret: row.secretSealed !== null,
  };
}

/**
 * What an audit entry shows (AUD-1): settings, certificates by fingerprint, and of the client
 * secret only that there is one (the key name makes redact() hide even that value).
 */
export function auditImage(row: Pick<ProviderRow, 'kind' | 'name' | 'enabled' | 'config' | 'secretSealed'>) {
  const config =
    row.kind === 'saml'
      ? {
          ...row.config,
          signingCertificates: (row.config as SamlConfig).signingCertificates.map(
            (pem) => certificateInfo(pem).sha256Fingerprint,
          ),
        }
      : row.config;
  return {
    kind: row.kind,
    name: row.name,
    enabled: row.enabled,
    config,
    ...(row.kind === 'oidc' ? { clientSecret: row.secretSealed === null ? null : 'set' } : {}),
  };
}
