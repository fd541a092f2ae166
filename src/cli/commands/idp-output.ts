import type { IdentityProvider } from '../../modules/identity-providers/index.ts';
import type { Organization } from '../../modules/organizations/index.ts';
import { printable } from '../tree.ts';

// What `canopy idp` prints: for people a few aligned lines, for scripts (--json) the provider as
// the admin API shows it (never a client secret: the service does not return one).

export const asJson = (master: Organization, rest: Record<string, unknown>) =>
  `${JSON.stringify({ tenantId: master.id, domain: master.domain, ...rest }, null, 2)}\n`;

function describe(p: IdentityProvider): string[] {
  const lines = [`  provider id:    ${p.id}`, `  enabled:        ${p.enabled ? 'yes' : 'no'}`];
  if (p.kind === 'saml') {
    lines.push(`  IdP entity id:  ${printable(p.config.entityId)}`, `  IdP SSO URL:    ${p.config.ssoUrl}`);
    for (const c of p.certificates)
      lines.push(`  certificate:    ${printable(c.subject)}, until ${c.notAfter.toISOString().slice(0, 10)}`);
  } else {
    lines.push(`  issuer:         ${p.config.issuer}`, `  client id:      ${printable(p.config.clientId)}`);
  }
  return lines;
}

/** What the IdP's administrator must be given, printed after creation. */
function forTheIdp(p: IdentityProvider): string[] {
  if (p.kind === 'oidc') {
    return ['Register this redirect URI at the provider:', `  redirect URI:   ${p.urls.oidcRedirectUri}`];
  }
  return [
    'Give the IdP administrator (or let the IdP import the metadata URL):',
    `  SP metadata:    ${p.urls.spMetadataUrl}  (also the SP entity id)`,
    `  ACS URL:        ${p.urls.acsUrl}  (HTTP-POST)`,
  ];
}

export function createdText(master: Organization, p: IdentityProvider): string {
  const kind = p.kind === 'saml' ? 'SAML' : 'OIDC';
  return [
    `Added ${kind} identity provider ${printable(p.name)} to ${master.domain} (master org ${master.id}).`,
    ...describe(p),
    '',
    ...forTheIdp(p),
    'The change is recorded in the audit log (action identity_provider.create).',
    '',
  ].join('\n');
}

export function listText(master: Organization, providers: readonly IdentityProvider[]): string {
  const n = providers.length;
  const lines = [
    `${master.domain} (master org ${master.id}): ${n === 0 ? 'no' : n} identity provider${n === 1 ? '' : 's'}`,
  ];
  if (n > 0) lines.push(`${'ID'.padEnd(36)}  KIND  STATE     NAME`);
  for (const p of providers) {
    const state = (p.enabled ? 'enabled' : 'disabled').padEnd(8);
    lines.push(`${p.id}  ${p.kind.padEnd(4)}  ${state}  ${printable(p.name)}`);
  }
  return `${lines.join('\n')}\n`;
}
