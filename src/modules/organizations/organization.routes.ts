import { z } from 'zod';
import { tenantOf } from '../../platform/context.ts';
import { defineRoute } from '../../platform/http/route.ts';
import type { CredentialService } from '../environments/index.ts';
import { credentialsDto } from '../environments/index.ts';
import type { BusinessGroupService } from './business-group.service.ts';
import { hierarchyNodeDto, organizationDto, orgParams } from './organization.dto.ts';
import {
  entitlementsSchema,
  newBusinessGroupSchema,
  ownerSchema,
  propertiesSchema,
  settingsPatchSchema,
} from './organization.schema.ts';
import type { OrganizationService } from './organization.service.ts';

const tag = 'Organizations';

/** Org nodes on the admin API: details, settings, business groups, ownership, entitlements, properties. */
export function organizationRoutes(deps: {
  organizations: OrganizationService;
  businessGroups: BusinessGroupService;
  credentials: CredentialService;
}) {
  const { organizations, businessGroups, credentials } = deps;
  return [
    defineRoute({
      method: 'get',
      path: '/organizations/:orgId',
      tag,
      summary: 'Read an org node',
      description: 'For anyone holding a role on it (ORG-9).',
      params: orgParams,
      status: 200,
      response: organizationDto,
      handler: ({ ctx, params }) => organizations.get(ctx, tenantOf(ctx), params.orgId),
    }),
    defineRoute({
      method: 'patch',
      path: '/organizations/:orgId',
      tag,
      summary: 'Change its name, and on the master the domain, session settings and password minimum',
      permission: 'orgs.settings.manage',
      params: orgParams,
      body: settingsPatchSchema,
      status: 200,
      response: organizationDto,
      errors: ['organization.domain_taken', 'organization.not_master', 'business_group.name_taken'],
      handler: ({ ctx, params, body }) =>
        organizations.updateSettings(ctx, tenantOf(ctx), params.orgId, body),
    }),
    defineRoute({
      method: 'get',
      path: '/hierarchy',
      tag,
      summary: 'The tree as the caller may see it (ORG-10)',
      status: 200,
      response: z.object({ nodes: z.array(hierarchyNodeDto) }),
      handler: async ({ ctx }) => ({ nodes: await organizations.hierarchy(ctx, tenantOf(ctx)) }),
    }),
    defineRoute({
      method: 'post',
      path: '/organizations/:orgId/business-groups',
      tag,
      summary: 'Create a business group under this node (ORG-6)',
      permission: 'orgs.create (and orgs.properties.manage to set entitlements or properties)',
      params: orgParams,
      body: newBusinessGroupSchema,
      status: 201,
      response: organizationDto,
      errors: [
        'business_group.name_taken',
        'business_group.not_entitled',
        'business_group.limit_reached',
        'business_group.entitlement_not_on_parent',
        'organization.owner_not_eligible',
      ],
      handler: ({ ctx, params, body }) => businessGroups.create(ctx, tenantOf(ctx), params.orgId, body),
    }),
    defineRoute({
      method: 'delete',
      path: '/organizations/:orgId',
      tag,
      summary: 'Delete a business group without children (ORG-8)',
      description:
        'Its environments, credentials, role assignments, invitations and group mappings go with it, ' +
        "and service apps' grants on it are removed (each change audited), in one transaction (REL-6).",
      permission: 'orgs.delete',
      params: orgParams,
      status: 204,
      errors: ['business_group.has_children', 'organization.master_not_deletable'],
      handler: ({ ctx, params }) => businessGroups.remove(ctx, tenantOf(ctx), params.orgId),
    }),
    defineRoute({
      method: 'put',
      path: '/organizations/:orgId/owner',
      tag,
      summary: 'Hand ownership to another administrator of the node (ORG-4)',
      permission: 'orgs.owner.assign',
      params: orgParams,
      body: ownerSchema,
      status: 200,
      response: organizationDto,
      errors: ['organization.owner_not_eligible'],
      handler: ({ ctx, params, body }) =>
        organizations.transferOwnership(ctx, tenantOf(ctx), params.orgId, body),
    }),
    defineRoute({
      method: 'put',
      path: '/organizations/:orgId/entitlements',
      tag,
      summary: "Set a business group's entitlements (ORG-7)",
      permission: 'orgs.properties.manage on the parent',
      params: orgParams,
      body: entitlementsSchema,
      status: 200,
      response: organizationDto,
      errors: ['business_group.entitlement_not_on_parent', 'organization.not_master'],
      handler: ({ ctx, params, body }) =>
        businessGroups.setEntitlements(ctx, tenantOf(ctx), params.orgId, body),
    }),
    defineRoute({
      method: 'put',
      path: '/organizations/:orgId/properties',
      tag,
      summary: 'Replace the free-form properties (ORG-7)',
      permission: 'orgs.properties.manage',
      params: orgParams,
      body: propertiesSchema,
      status: 200,
      response: organizationDto,
      handler: ({ ctx, params, body }) => organizations.setProperties(ctx, tenantOf(ctx), params.orgId, body),
    }),
    defineRoute({
      method: 'get',
      path: '/organizations/:orgId/credentials',
      tag,
      summary: "Read the node's own client ID and secret (legacy; every read is audited, CRED-2, CRED-4)",
      permission: 'credentials.view',
      params: orgParams,
      status: 200,
      response: credentialsDto,
      errors: ['credentials.not_found'],
      handler: ({ ctx, params }) =>
        credentials.read(ctx, tenantOf(ctx), { orgId: params.orgId, environmentId: null }),
    }),
  ];
}
