import { z } from 'zod';
import { tenantOf } from '../../platform/context.ts';
import { defineRoute } from '../../platform/http/route.ts';
import { orgParams } from '../organizations/index.ts';
import {
  groupMappingDto,
  identityProviderDto,
  localAccountsDto,
  mappingParams,
  providerParams,
} from './idp.dto.ts';
import type { MappingService } from './idp.mappings.ts';
import type { IdpService } from './idp.service.ts';
import {
  localAccountsSchema,
  newMappingSchema,
  newProviderSchema,
  providerPatchSchema,
} from './idp.validation.ts';

const tag = 'Identity providers';
const permission = 'idp.manage on the master';

/** FED-1, FED-4, FED-5: identity providers of the master org, their group mappings, local accounts. */
export function identityProviderRoutes(deps: {
  identityProviders: IdpService;
  groupMappings: MappingService;
}) {
  const { identityProviders: idps, groupMappings: mappings } = deps;
  return [
    defineRoute({
      method: 'get',
      path: '/identity-providers',
      tag,
      summary: "List the master org's identity providers",
      permission,
      status: 200,
      response: z.object({ identityProviders: z.array(identityProviderDto) }),
      handler: async ({ ctx }) => ({ identityProviders: await idps.list(ctx, tenantOf(ctx)) }),
    }),
    defineRoute({
      method: 'post',
      path: '/identity-providers',
      tag,
      summary: 'Connect a SAML 2.0 or OIDC identity provider (FED-1)',
      description:
        'SAML: IdP entity id, SSO URL and PEM signing certificates, or `metadataXml` (the IdP metadata ' +
        'document, no DOCTYPE; explicit config values win over it); signatures on assertion and ' +
        'response by default, never neither (FED-6). OIDC: issuer, client id and a write-only client secret.',
      permission,
      body: newProviderSchema,
      status: 201,
      response: identityProviderDto,
      errors: ['identity_provider.name_taken'],
      handler: ({ ctx, body }) => idps.create(ctx, tenantOf(ctx), body),
    }),
    defineRoute({
      method: 'get',
      path: '/identity-providers/:providerId',
      tag,
      summary: 'Read an identity provider (never its client secret)',
      permission,
      params: providerParams,
      status: 200,
      response: identityProviderDto,
      errors: ['identity_provider.not_found'],
      handler: ({ ctx, params }) => idps.get(ctx, tenantOf(ctx), params.providerId),
    }),
    defineRoute({
      method: 'patch',
      path: '/identity-providers/:providerId',
      tag,
      summary: 'Change an identity provider: name, enabled, settings (or SAML metadataXml), client secret',
      description:
        'Changing what the provider trusts (OIDC issuer, client id or secret, claim names; SAML entity ' +
        'id, SSO URL, certificates, attribute names or metadataXml) hands its group mappings and its ' +
        'linked users to whoever answers there: it also needs every permission those grant and hold, ' +
        'where they hold it (SEC-4). The name, enabled, scopes, algorithms and signature settings need ' +
        'idp.manage only.',
      permission: `${permission}; for a trust change, every permission the provider confers`,
      params: providerParams,
      body: providerPatchSchema,
      status: 200,
      response: identityProviderDto,
      errors: [
        'identity_provider.not_found',
        'identity_provider.name_taken',
        'identity_provider.last_enabled',
        'identity_provider.privilege_escalation',
      ],
      handler: ({ ctx, params, body }) => idps.update(ctx, tenantOf(ctx), params.providerId, body),
    }),
    defineRoute({
      method: 'delete',
      path: '/identity-providers/:providerId',
      tag,
      summary: 'Remove an identity provider; its users stay but can no longer sign in through it',
      description:
        'Its group mappings and federated identities go with it, and so do the role assignments its ' +
        "mappings made (FED-4), except an owner's Organization Administrators (ORG-5), which stays as a " +
        'manual assignment; each change audited, in one transaction (REL-6).',
      permission,
      params: providerParams,
      status: 204,
      errors: ['identity_provider.not_found', 'identity_provider.last_enabled'],
      handler: ({ ctx, params }) => idps.remove(ctx, tenantOf(ctx), params.providerId),
    }),
    defineRoute({
      method: 'get',
      path: '/identity-providers/:providerId/group-mappings',
      tag,
      summary: "List a provider's group mappings (FED-4)",
      permission,
      params: providerParams,
      status: 200,
      response: z.object({ groupMappings: z.array(groupMappingDto) }),
      errors: ['identity_provider.not_found'],
      handler: async ({ ctx, params }) => ({
        groupMappings: await mappings.list(ctx, tenantOf(ctx), params.providerId),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/identity-providers/:providerId/group-mappings',
      tag,
      summary: 'Map a provider group to a role on a node (FED-4)',
      description:
        'Checked as the assignment itself: roles.assign on the node, nothing you do not hold (ROLE-5).',
      permission: `${permission}, and roles.assign on the node`,
      params: providerParams,
      body: newMappingSchema,
      status: 201,
      response: groupMappingDto,
      errors: [
        'identity_provider.not_found',
        'group_mapping.exists',
        'role.not_found',
        'environment.not_found',
        'role_assignment.not_environment_scopable',
        'role_assignment.privilege_escalation',
      ],
      handler: ({ ctx, params, body }) => mappings.create(ctx, tenantOf(ctx), params.providerId, body),
    }),
    defineRoute({
      method: 'delete',
      path: '/identity-providers/:providerId/group-mappings/:mappingId',
      tag,
      summary: 'Remove a group mapping; assignments it made go at each user’s next sign-in',
      permission: `${permission}, and roles.assign on the node`,
      params: mappingParams,
      status: 204,
      errors: [
        'identity_provider.not_found',
        'group_mapping.not_found',
        'role_assignment.privilege_escalation',
      ],
      handler: ({ ctx, params }) => mappings.remove(ctx, tenantOf(ctx), params.providerId, params.mappingId),
    }),
    defineRoute({
      method: 'get',
      path: '/organizations/:orgId/local-accounts',
      tag,
      summary: 'Whether the master org still creates local accounts (FED-5)',
      permission,
      params: orgParams,
      status: 200,
      response: localAccountsDto,
      errors: ['organization.not_master'],
      handler: ({ ctx, params }) => idps.localAccounts(ctx, tenantOf(ctx), params.orgId),
    }),
    defineRoute({
      method: 'put',
      path: '/organizations/:orgId/local-accounts',
      tag,
      summary: 'Turn local account creation off or on (FED-5, INV-4)',
      description:
        'Off only while an identity provider is enabled; existing local users keep signing in. ' +
        'While off, the last enabled provider cannot be disabled or removed.',
      permission,
      params: orgParams,
      body: localAccountsSchema,
      status: 200,
      response: localAccountsDto,
      errors: ['organization.not_master', 'identity_provider.none_enabled'],
      handler: ({ ctx, params, body }) =>
        idps.setLocalAccounts(ctx, tenantOf(ctx), params.orgId, body.enabled),
    }),
  ];
}
