#!/usr/bin/env node
// Launcher of Canopy's operator command line (src/cli/main.ts). Canopy is TypeScript run by Node's
// own type stripping, which needs Node.js 24 or newer. On an older Node this re-runs the command
// with the Node pinned by the `node` devDependency, when it is installed; otherwise it says what is
// needed. Plain JavaScript on purpose: it must at least start on any Node that supports ES modules.
import { spawn } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REQUIRED_MAJOR = 24;

const root = path.resolve(path.dirname(realpathSync(fileURLToPath(import.meta.url))), '..');
const entry = path.join(root, 'src', 'cli', 'main.ts');
const major = Number(process.versions.node.split('.')[0]);

if (major >= REQUIRED_MAJOR) {
  await import(pathToFileURL(entry).href);
} else {
  reexec(path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'node.cmd' : 'node'));
}

function reexec(pinnedNode) {
  if (!existsSync(pinnedNode)) {
    console.error(
      `canopy: Node.js ${REQUIRED_MAJOR} or newer is required (this is Node.js ${process.versions.node}). ` +
        `Install Node.js ${REQUIRED_MAJOR}+, or run \`npm install\` in ${root} to fetch the pinned one.`,
    );
    process.exitCode = 1;
    return;
  }
  const child = spawn(pinnedNode, [entry, ...process.argv.slice(2)], { stdio: 'inherit' });
  const forward = (signal) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, forward);
  child.on('error', (err) => {
    console.error(`canopy: could not start ${pinnedNode}: ${err.message}`);
    process.exitCode = 1;
  });
  child.on('exit', (code, signal) => {
    for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.off(name, forward);
    if (signal) process.kill(process.pid, signal);
    else process.exitCode = code ?? 1;
  });
}
