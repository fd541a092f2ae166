import { apiRoutes, publicApiRoutes } from '../../src/api/index.ts';
import type { Container } from '../../src/container.ts';
import type { AnyRoute } from '../../src/platform/http/route.ts';

// The admin API's routes as the app mounts them, read without starting anything: route factories
// only keep their dependencies for the handlers, so a stand-in that refuses to run does.

/** Any property of it is another stand-in; calling one fails, since documenting runs no handler. */
function standIn(path: string): unknown {
  const refuse = () => {
    throw new Error(
      `the docs generator read the routes and called ${path}: a route factory ran a dependency`,
    );
  };
  return new Proxy(refuse, {
    get: (_target, key) => (typeof key === 'symbol' ? undefined : standIn(`${path}.${key}`)),
  });
}

/** Public routes first, as in the OpenAPI document. */
export function documentedRoutes(): AnyRoute[] {
  const container = standIn('container') as Container;
  return [...publicApiRoutes(container), ...apiRoutes(container)];
}
