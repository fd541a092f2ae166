import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Request, Response } from 'express';
import { sendImmutable } from '../web/assets.ts';
import { baseSecurityHeaders } from '../web/security-headers.ts';

/**
 * The console's ES modules, read once at start. They are served under a path that carries one
 * hash of them all, so relative imports between modules resolve inside the same version and every
 * file can be cached for a year: a deployment that changes any module changes every URL.
 */
const DIRECTORY = fileURLToPath(new URL('./assets/', import.meta.url));

function readModules(): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const entry of readdirSync(DIRECTORY, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.js')) continue;
    const full = path.join(entry.parentPath, entry.name);
    files.set(path.relative(DIRECTORY, full).split(path.sep).join('/'), readFileSync(full));
  }
  return files;
}

const MODULES = readModules();
const VERSION = (() => {
  const hash = createHash('sha256');
  for (const name of [...MODULES.keys()].sort()) hash.update(name).update('\0').update(MODULES.get(name)!);
  return hash.digest('hex').slice(0, 12);
})();

export const CONSOLE_ASSETS_PREFIX = '/console/assets';
/** The entry module the console page loads. */
export const CONSOLE_ENTRY_HREF = `${CONSOLE_ASSETS_PREFIX}/${VERSION}/main.js`;

/** `GET /console/assets/:version/*file`: a module of this version; anything else is a 404. */
export function serveConsoleModule(req: Request, res: Response): void {
  const { version } = req.params as { version: string };
  const file = ([] as string[]).concat((req.params as { file?: string | string[] }).file ?? []).join('/');
  const body = version === VERSION ? MODULES.get(file) : undefined;
  if (!body) {
    res.status(404).set(baseSecurityHeaders()).type('text/plain').send('Not found');
    return;
  }
  sendImmutable(res, body, 'text/javascript; charset=utf-8', VERSION);
}
