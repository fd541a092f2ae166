import { z } from 'zod';
import { idParam } from '../../platform/http/route.ts';

/** A calendar day that exists, YYYY-MM-DD (zod's date format checks month lengths and leap years). */
const day = z.iso.date('must be a date, YYYY-MM-DD');

export const analyticsParams = z.object({
  orgId: idParam.describe('Id of a master organization or business group'),
});

export const analyticsQuery = z.strictObject({
  from: day.optional().describe('First day (UTC), inclusive; default: 30 days ending on `to`'),
  to: day.optional().describe('Last day (UTC), inclusive; default: today. At most 366 days from `from`'),
  environmentId: z
    .uuid('must be an environment id')
    .optional()
    .describe('Only this environment of the node (enough for holders of analytics.view on the environment)'),
});

const counts = {
  signInSuccess: z.number().int().describe('Sign-ins that succeeded'),
  signInFailure: z.number().int().describe('Sign-ins refused (wrong credentials, throttled)'),
  tokenIssued: z.number().int().describe('Tokens issued by the token endpoint'),
  introspection: z.number().int().describe('Token introspections'),
};

export const usageReportDto = z.object({
  organizationId: z.uuid(),
  environmentId: z.uuid().nullable(),
  from: z.iso.date(),
  to: z.iso.date(),
  totals: z.object(counts),
  days: z.array(z.object({ day: z.iso.date(), ...counts })).describe('Every day of the range, oldest first'),
  rows: z
    .array(
      z.object({
        day: z.iso.date(),
        organizationId: z
          .uuid()
          .describe('The node: the master for sign-ins and apps, else the credentials’ node'),
        environmentId: z.uuid().nullable(),
        clientId: z
          .string()
          .nullable()
          .describe("The app's client ID; null for org and environment credentials"),
        ...counts,
      }),
    )
    .describe('Per day, node, environment and app; only combinations that saw usage'),
});
