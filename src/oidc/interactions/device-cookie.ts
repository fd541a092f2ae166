import type { Request, Response } from 'express';
import type { DeviceCookieValue } from '../../modules/sign-in/index.ts';
import { cookiePolicy, type NamedCookie, readCookies } from '../../platform/http/cookie-options.ts';

/**
 * SEC-6: where the device cookie travels. Only the sign-in form reads it, so it is scoped to the
 * interaction paths (and sent with the form's same-site POST: SameSite=Lax); HttpOnly, and on https
 * Secure and `__Secure-` prefixed (a narrower path than `/` rules out `__Host-`). Its value is
 * MAC'd by the sign-in service, which alone decides what it vouches for.
 */
export type DeviceCookie = NamedCookie;

const MAX_VALUES = 4;
const VALUE = /^v1\.[A-Za-z0-9_-]{1,2000}\.[A-Za-z0-9_-]{43}$/;

export function deviceCookie(publicUrl: string): DeviceCookie {
  const path = `${new URL(publicUrl).pathname.replace(/\/$/, '')}/interaction`;
  return cookiePolicy(publicUrl).cookie('canopy_device', path);
}

/**
 * The well-formed device cookies the request carries (a few at most). More than one arrives when a
 * sibling subdomain planted one of the same name (`__Secure-` does not forbid a Domain): the service
 * tries each, so a planted cookie cannot hide the genuine one.
 */
export function readDevices(req: Request, cookie: DeviceCookie): string[] {
  return readCookies(req, cookie.name, VALUE, MAX_VALUES);
}

export function setDevice(res: Response, cookie: DeviceCookie, device: DeviceCookieValue): void {
  res.cookie(cookie.name, device.value, { ...cookie.attributes, maxAge: device.maxAgeSeconds * 1000 });
}
