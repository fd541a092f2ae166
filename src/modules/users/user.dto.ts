import { z } from 'zod';
import { idParam } from '../../platform/http/route.ts';

// What the admin API answers about users. Nothing secret: no password hash, no federated subject.
export const userDto = z.object({
  id: z.uuid(),
  username: z.string(),
  email: z.string(),
  name: z.string(),
  status: z.enum(['active', 'disabled', 'deleted']).describe('`deleted` users are kept for audit (USR-3)'),
  local: z.boolean().describe('Signs in with a password here; false for users of an identity provider'),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

export const userParams = z.object({ userId: idParam.describe('Id of a user of your organization') });

/** `limit`/`offset` paging of a list that can grow. */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50).describe('Page size, 1–200'),
  offset: z.coerce.number().int().min(0).max(1_000_000_000).default(0).describe('Items to skip'),
});

export const userListQuery = pageQuery.extend({
  search: z
    .string()
    .trim()
    .max(255)
    .optional()
    .describe('Part of the username, email or name (case-insensitive, taken literally)'),
});

export const userPageDto = z.object({
  items: z.array(userDto),
  total: z.number().int().describe('Users matching the search, over all pages'),
  limit: z.number().int(),
  offset: z.number().int(),
});
