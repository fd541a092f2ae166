import { z } from 'zod';
import { pageOf, pageQuery } from '../../platform/http/paging.ts';
import { idParam } from '../../platform/http/route.ts';

// What the admin API answers about users. Nothing secret: no password hash, no federated subject.
export const userDto = z.object({
  id: z.uuid(),
  username: z.string(),
  email: z.string(),
  name: z.string(),
  emailVerified: z
    .boolean()
    .describe(
      'ACC-3: the address was proven by its verification link, an invitation link, or (for users of an ' +
        'identity provider) the provider marking it verified; `email_verified` in tokens says the same',
    ),
  status: z.enum(['active', 'disabled', 'deleted']).describe('`deleted` users are kept for audit (USR-3)'),
  local: z.boolean().describe('Signs in with a password here; false for users of an identity provider'),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

export const userParams = z.object({ userId: idParam.describe('Id of a user of your organization') });

export const userListQuery = pageQuery.extend({
  search: z
    .string()
    .trim()
    .max(255)
    .optional()
    .describe('Part of the username, email or name (case-insensitive, taken literally)'),
});

export const userPageDto = pageOf(userDto, 'Users matching the search, over all pages');
