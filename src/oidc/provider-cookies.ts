import type { Configuration } from 'oidc-provider';
import { cookiePolicy } from '../platform/http/cookie-options.ts';

/**
 * SEC-8: the provider's cookies, flagged and named from PUBLIC_URL (cookie-options.ts). `secure` is
 * set explicitly, so a plain-http hop behind a TLS-terminating proxy changes nothing. The session
 * cookie lives at `/`: on https it is `__Host-canopy_session`, which a sibling subdomain can neither
 * plant nor shadow. The interaction and resume cookies are scoped to one interaction's path, which
 * `__Host-` forbids, so on https they are `__Secure-` prefixed. All are httpOnly, SameSite=Lax and
 * signed with the cookie keys.
 */
export function providerCookies(publicUrl: string, keys: string[]): NonNullable<Configuration['cookies']> {
  const policy = cookiePolicy(publicUrl);
  const flags = { signed: true, httpOnly: true, sameSite: 'lax', secure: policy.secure } as const;
  return {
    keys,
    names: {
      session: policy.name('canopy_session'),
      // Set at `/interaction/<uid>` and `/oidc/auth/<uid>`, one interaction's paths.
      interaction: policy.name('canopy_interaction', '/interaction/'),
      resume: policy.name('canopy_resume', '/oidc/auth/'),
    },
    long: flags,
    short: flags,
  };
}
