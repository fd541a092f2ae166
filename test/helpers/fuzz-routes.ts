import type { Express } from 'express';
import { CODE_VERIFICATION_PATH } from '../../src/oidc/configuration.ts';

// Every HTTP route the app answers, read from the code rather than listed by hand, so a route added
// later is fuzzed without anyone remembering to: the Express router stack (pages, federation, the
// admin API as mounted) and the OpenID provider's endpoints from its discovery document.

export interface HttpRoute {
  method: string;
  /** Express-style, e.g. `/login/:domain`, `/console/assets/:version/*file`. */
  path: string;
  /** Which answer form a refusal takes there. */
  surface: 'api' | 'oauth' | 'page';
  /** For provider endpoints: the discovery field naming it (`token_endpoint`, …). */
  endpoint?: string;
}

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  rawPath?: unknown;
}

/** The routes of the Express app's router stack, nested routers included, with their mount paths. */
export function expressRoutes(app: Express, apiPath: string): HttpRoute[] {
  const out: HttpRoute[] = [];
  const walk = (stack: readonly Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const method of Object.keys(layer.route.methods).filter((m) => m !== '_all')) {
          for (const path of paths) {
            const full = `${prefix}${path}`;
            out.push({ method, path: full, surface: full.startsWith(`${apiPath}/`) ? 'api' : 'page' });
          }
        }
      } else if (layer.handle?.stack) {
        const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
        walk(layer.handle.stack, `${prefix}${mount}`);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return out;
}

/** Pages the provider serves to browsers that its discovery document does not list. */
const UNLISTED_PROVIDER_PAGES = { code_verification_endpoint: CODE_VERIFICATION_PATH };

/**
 * The provider's endpoints: every `…_endpoint` and `jwks_uri` of its discovery document (and the
 * discovery document itself), each for GET and POST — what the provider does not serve on one of
 * them must be a 4xx as well.
 */
export function providerRoutes(discovery: Record<string, unknown>, issuer: string): HttpRoute[] {
  const endpoints: Record<string, string> = { ...UNLISTED_PROVIDER_PAGES };
  endpoints.discovery = '/.well-known/openid-configuration';
  for (const [field, value] of Object.entries(discovery)) {
    if (typeof value !== 'string' || !value.startsWith(`${issuer}/`)) continue;
    if (field.endsWith('_endpoint') || field === 'jwks_uri') endpoints[field] = value.slice(issuer.length);
  }
  return Object.entries(endpoints).flatMap(([endpoint, path]) =>
    ['get', 'post'].map((method) => ({ method, path, surface: 'oauth' as const, endpoint })),
  );
}

export const routeName = (r: HttpRoute) => `${r.method.toUpperCase()} ${r.path}`;

/** The `:name` and `*name` parameters of a route's path, in order. */
export const paramsOf = (path: string) => [...path.matchAll(/[:*]([A-Za-z0-9_]+)/g)].map((m) => m[1]!);

/** The path with its parameters filled (values inserted as given: encode them first). */
export function fillRoute(path: string, values: Record<string, string>): string {
  return path.replace(/[:*]([A-Za-z0-9_]+)/g, (_m, name: string) => values[name] ?? 'x');
}
