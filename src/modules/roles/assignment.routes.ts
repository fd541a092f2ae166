import { tenantOf } from '../../platform/context.ts';
import { pageQuery } from '../../platform/http/paging.ts';
import { defineRoute } from '../../platform/http/route.ts';
import type { AssignmentService } from './assignment.service.ts';
import {
  assignmentDto,
  assignmentOrgParams,
  assignmentPageDto,
  assignmentParams,
  assignmentUserParams,
} from './role.dto.ts';
import { assignmentInputSchema } from './role.schema.ts';

const tag = 'Role assignments';
const grantorRule =
  'Needs `roles.assign` on the node, and every permission the role hands out there: nobody grants ' +
  'or removes what they do not hold (ROLE-5). An inheriting assignment needs them on every node below too.';

/** Role assignments: per user, per node, assign and remove (ROLE-3…ROLE-5, ORG-5). */
export function assignmentRoutes(deps: { assignments: AssignmentService }) {
  const { assignments } = deps;
  const page = (
    result: { assignments: unknown[]; total: number },
    query: { limit: number; offset: number },
  ) => ({ items: result.assignments, total: result.total, limit: query.limit, offset: query.offset });

  return [
    defineRoute({
      method: 'get',
      path: '/users/:userId/role-assignments',
      tag,
      summary: "A user's role assignments, page by page",
      description:
        'All of them for the user themselves and for holders of `users.manage` on the master; ' +
        'otherwise those on nodes where the caller holds `roles.assign`.',
      params: assignmentUserParams,
      query: pageQuery,
      status: 200,
      response: assignmentPageDto,
      errors: ['user.not_found'],
      handler: async ({ ctx, params, query }) =>
        page(await assignments.pageForUser(ctx, tenantOf(ctx), params.userId, query), query),
    }),
    defineRoute({
      method: 'get',
      path: '/organizations/:orgId/role-assignments',
      tag,
      summary: 'The role assignments made on a node, page by page',
      description: 'Assignments inherited from ancestors are listed on the ancestor, not here.',
      permission: 'roles.assign on the node',
      params: assignmentOrgParams,
      query: pageQuery,
      status: 200,
      response: assignmentPageDto,
      errors: ['organization.not_found'],
      handler: async ({ ctx, params, query }) =>
        page(await assignments.pageForNode(ctx, tenantOf(ctx), params.orgId, query), query),
    }),
    defineRoute({
      method: 'post',
      path: '/role-assignments',
      tag,
      summary: 'Assign a role to a user on a node, or on one environment of it (ROLE-3)',
      description:
        `${grantorRule} Organization Administrators always inherits (ORG-9); an environment ` +
        'assignment carries only environment-scoped permissions and does not inherit.',
      permission: 'roles.assign on the node',
      body: assignmentInputSchema,
      status: 201,
      response: assignmentDto,
      errors: [
        'role.not_found',
        'user.not_found',
        'user.inactive',
        'organization.not_found',
        'environment.not_found',
        'role_assignment.exists',
        'role_assignment.not_environment_scopable',
        'role_assignment.privilege_escalation',
      ],
      handler: ({ ctx, body }) => assignments.assign(ctx, tenantOf(ctx), body),
    }),
    defineRoute({
      method: 'delete',
      path: '/role-assignments/:assignmentId',
      tag,
      summary: 'Remove a role assignment',
      description: `${grantorRule} Organization Administrators cannot be taken from a node's owner (ORG-5).`,
      permission: 'roles.assign on the node',
      params: assignmentParams,
      status: 204,
      errors: [
        'role_assignment.not_found',
        'role_assignment.privilege_escalation',
        'organization.owner_protected',
      ],
      handler: async ({ ctx, params }) => {
        await assignments.remove(ctx, tenantOf(ctx), params.assignmentId);
      },
    }),
  ];
}
