import { z } from 'zod';
import { isPermission, maskOf, type Permission, permissionsOf } from '../roles/index.ts';
import { APP_KINDS, type AppKind, isUserFacing, REFRESH_REUSE_SECONDS } from './app.schema.ts';
import { redirectUriProblem } from './redirect-uris.ts';

const MAX_URIS = 20;
const MAX_GRANTS = 100;

const nameSchema = z.string().trim().min(1, 'must not be empty').max(255, 'must be at most 255 characters');

const uriListSchema = z
  .array(z.string('must be a string').max(2000, 'must be at most 2000 characters'))
  .max(MAX_URIS, `must list at most ${MAX_URIS} URIs`);

const grantSchema = z.strictObject({
  organizationId: z.uuid('must be a UUID').transform((id) => id.toLowerCase()),
  permissions: z
    .array(z.string().refine(isPermission, 'is not a permission of the catalogue'))
    .min(1, 'must name at least one permission')
    // Catalogue order, each once: two grants of the same permissions compare equal.
    .transform((list) => permissionsOf(maskOf(list)) as Permission[]),
});

const reuseRange = `must be from 0 to ${REFRESH_REUSE_SECONDS.max}`;
const refreshReuseSchema = z
  .number('must be a number of seconds')
  .int('must be a whole number of seconds')
  .min(0, reuseRange)
  .max(REFRESH_REUSE_SECONDS.max, reuseRange)
  .describe(
    'Seconds after a refresh token is used during which using it again (an app refreshing from two ' +
      'workers at once) gets a valid new token pair instead of revoking the grant; after them, reuse ' +
      'revokes the grant. 0: any reuse revokes it. User-facing apps only (service apps have no refresh tokens)',
  );

const grantListSchema = z.array(grantSchema).max(MAX_GRANTS, `must list at most ${MAX_GRANTS} grants`);

export interface AppFields {
  kind: AppKind;
  name: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  firstParty: boolean;
  grants: Array<{ organizationId: string; permissions: Permission[] }>;
  refreshTokenReuseSeconds: number;
}

/** The rules that depend on the kind (APP-1). Paths name the offending field, down to the list item. */
function checkKindRules(app: AppFields, ctx: z.RefinementCtx): void {
  const problem = (path: Array<string | number>, message: string) =>
    ctx.addIssue({ code: 'custom', path, message });
  const checkUris = (field: 'redirectUris' | 'postLogoutRedirectUris') => {
    const seen = new Set<string>();
    app[field].forEach((uri, i) => {
      const why = redirectUriProblem(uri, app.kind);
      if (why) problem([field, i], why);
      else if (seen.has(uri)) problem([field, i], 'is listed twice');
      seen.add(uri);
    });
  };
  if (isUserFacing(app.kind)) {
    if (app.redirectUris.length === 0) problem(['redirectUris'], 'a user-facing app needs a redirect URI');
    checkUris('redirectUris');
    checkUris('postLogoutRedirectUris');
    if (app.grants.length > 0) problem(['grants'], 'only service apps carry grants');
    return;
  }
  if (app.redirectUris.length > 0) problem(['redirectUris'], 'a service app has no redirect URIs');
  if (app.postLogoutRedirectUris.length > 0)
    problem(['postLogoutRedirectUris'], 'a service app has no post-logout redirect URIs');
  if (app.firstParty) problem(['firstParty'], 'only user-facing apps can be first-party');
  const granted = new Set<string>();
  app.grants.forEach((grant, i) => {
    if (granted.has(grant.organizationId))
      problem(['grants', i, 'organizationId'], 'names a node that an earlier grant already names');
    granted.add(grant.organizationId);
  });
}

/** A new app, complete: the kind is required and fixed for the app's lifetime. */
export const newAppSchema = z
  .strictObject({
    kind: z.enum(APP_KINDS, 'must be web, spa, native or service'),
    name: nameSchema,
    redirectUris: uriListSchema.default([]),
    postLogoutRedirectUris: uriListSchema.default([]),
    firstParty: z
      .boolean('must be true or false')
      .default(false)
      .describe('Operator only (SEC-1): through the API, only false (the default) is accepted'),
    grants: grantListSchema.default([]),
    refreshTokenReuseSeconds: refreshReuseSchema.default(REFRESH_REUSE_SECONDS.default),
  })
  .superRefine(checkKindRules);

/** A change to an app: any of its fields but the kind. The result is checked whole (`newAppSchema`). */
export const appPatchSchema = z
  .strictObject({
    kind: z.never('is fixed at creation').optional(),
    name: nameSchema.optional(),
    redirectUris: uriListSchema.optional(),
    postLogoutRedirectUris: uriListSchema.optional(),
    firstParty: z
      .boolean('must be true or false')
      .optional()
      .describe('Operator only (SEC-1): through the API, a change is refused'),
    grants: grantListSchema.optional(),
    refreshTokenReuseSeconds: refreshReuseSchema.optional(),
  })
  .refine((patch) => Object.values(patch).some((v) => v !== undefined), 'name at least one field to change');

export type AppPatch = z.infer<typeof appPatchSchema>;
