import { z } from 'zod';
import { idParam } from '../../platform/http/route.ts';

// ACC-5: what the admin API answers about sessions. The id is the session's public id: the
// provider's session uid and id never leave the server.
export const sessionDto = z.object({
  id: z.uuid().describe('The session’s id, for ending it'),
  current: z.boolean().describe('The session the calling token was issued from'),
  browser: z
    .string()
    .nullable()
    .describe('The browser that signed in, as its user agent tells (e.g. "Firefox 133")'),
  os: z.string().nullable().describe('Its operating system (e.g. "Windows 10")'),
  deviceType: z.string().nullable().describe('desktop, mobile, tablet… as far as the user agent tells'),
  userAgent: z.string().nullable().describe('The user agent of the sign-in, cut to 256 characters'),
  sourceNetwork: z
    .string()
    .nullable()
    .describe('The network the sign-in came from, never the address: IPv4 /24, IPv6 /48'),
  startedAt: z.iso.datetime(),
  lastActiveAt: z.iso.datetime(),
  apps: z
    .array(z.object({ clientId: z.string(), name: z.string().nullable() }))
    .describe('The apps signed in through this session'),
});

export const sessionListDto = z.object({
  items: z.array(sessionDto).describe('Live sessions only, the most recently active first'),
});

const sessionId = idParam.describe('Id of one of the sessions listed');
const userId = idParam.describe('Id of a user of your organization');

export const ownSessionParams = z.object({ sessionId });
export const userSessionParams = z.object({ userId });
export const userSessionItemParams = z.object({ userId, sessionId });
