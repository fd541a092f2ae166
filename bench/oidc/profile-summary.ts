// Reads a `.cpuprofile` of one measured window and tells where the server's CPU went, per request:
// by package or source file (self time), the hottest functions, and Canopy's own functions with
// the time spent below them (inclusive; for async functions only the synchronous stretches count).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { table } from '../stats.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const ROOT = path.resolve(import.meta.dirname, '../..');

/** The package, Node module or source file a frame belongs to. */
function placeOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : `(native) ${functionName || 'anonymous'}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:'))
    return `node:${
      url
        .slice(5)
        .replace(/^internal\//, '')
        .split('/')[0]
    }`;
  const file = url.startsWith('file://') ? new URL(url).pathname : url;
  return file.startsWith(ROOT) ? path.relative(ROOT, file) : file;
}

// Subsystems, by the package or file a frame belongs to. Node's own modules and native frames are
// transparent: their time goes to the nearest caller that is a package or a source file (a socket
// write issued by pg counts as SQL).
const SUBSYSTEMS: Array<[RegExp, string]> = [
  [
    /^(knex|knex-pglite|pg|pg-\w+|postgres-\w+|tarn|@electric-sql\/pglite|wasm:.*)$/,
    'SQL client (knex, pg / PGlite)',
  ],
  [
    /^(ioredis|@ioredis\/.*|redis-\w+|denque|cluster-key-slot|standard-as-callback)$/,
    'Redis client (ioredis)',
  ],
  [
    /^(pino|@pinojs\/.*|sonic-boom|pino-.*|quick-format-unescaped|safe-stable-stringify|atomic-sleep)$/,
    'logging (pino)',
  ],
  [/^(prom-client|tdigest|bintrees)$/, 'metrics (prom-client)'],
  [/^jose$/, 'jose'],
  [
    /^(oidc-provider|koa|koa-compose|@koa\/.*|delegates|cookies|keygrip|http-assert|http-errors|quick-lru|nanoid)$/,
    'oidc-provider + Koa',
  ],
  [
    /^(express|router|body-parser|finalhandler|type-is|media-typer|mime-types|parseurl|path-to-regexp|accepts|negotiator|on-finished|ee-first|content-type|raw-body|qs|proxy-addr|forwarded|vary|helmet)$/,
    'Express and its helpers',
  ],
  [/^bench\//, 'benchmark harness (profiler, IPC)'],
];

const isTransparent = (place: string) =>
  place.startsWith('node:') || place.startsWith('(native)') || place === '(root)';

function subsystemOf(place: string | undefined): string {
  if (place === undefined) return 'Node runtime, no package on the stack (HTTP, sockets, timers)';
  if (place.startsWith('src/')) return `Canopy ${place}`;
  return SUBSYSTEMS.find(([re]) => re.test(place))?.[1] ?? place;
}

function frameName(node: ProfileNode): string {
  const { functionName, lineNumber } = node.callFrame;
  return `${functionName || '(anonymous)'} ${placeOf(node.callFrame)}:${lineNumber + 1}`;
}

export interface ProfileSummary {
  /** Sampled time with the process busy (not idle), in µs. */
  busyUs: number;
  text: string;
}

/** A summary of one profile; per-request figures divide by `requests` served in the window. */
export function summarizeProfile(file: string, requests: number, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });

  let idleUs = 0;
  const byPlace = new Map<string, number>();
  const bySelf = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const bySubsystem = new Map<string, number>();
  // Walk the call tree, crediting each node's self time to every distinct frame on its stack.
  const walk = (node: ProfileNode, stack: Set<string>, owner: string | undefined) => {
    const own = selfUs.get(node.id) ?? 0;
    const name = frameName(node);
    const place = placeOf(node.callFrame);
    const nearest = isTransparent(place) ? owner : place;
    if (node.callFrame.functionName === '(idle)') idleUs += own;
    else if (own > 0) {
      // The collector and `(program)` are their own subsystems, whoever was running.
      const subsystem = place.startsWith('(') && !isTransparent(place) ? place : subsystemOf(nearest);
      bySubsystem.set(subsystem, (bySubsystem.get(subsystem) ?? 0) + own);
      byPlace.set(place, (byPlace.get(place) ?? 0) + own);
      bySelf.set(name, (bySelf.get(name) ?? 0) + own);
      for (const f of new Set([...stack, name])) inclusive.set(f, (inclusive.get(f) ?? 0) + own);
    }
    const added = !stack.has(name);
    if (added) stack.add(name);
    for (const child of node.children ?? []) walk(byId.get(child)!, stack, nearest);
    if (added) stack.delete(name);
  };
  walk(profile.nodes[0]!, new Set(), undefined);

  const busyUs = [...byPlace.values()].reduce((a, b) => a + b, 0);
  const row = (label: string, us: number) => [
    label,
    `${(us / 1000).toFixed(0)} ms`,
    `${((us / busyUs) * 100).toFixed(1)} %`,
    `${(us / requests).toFixed(1)} µs`,
  ];
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  const header = ['', 'CPU', 'of busy', 'per request'];
  const ownCode = sorted(inclusive).filter(([f]) => / src\//.test(f) && !f.startsWith('(anonymous)'));
  const text = [
    `busy ${(busyUs / 1000).toFixed(0)} ms, idle ${(idleUs / 1000).toFixed(0)} ms, ${requests.toLocaleString('en-US')} requests: ${(busyUs / requests).toFixed(0)} µs of CPU per request`,
    '',
    'by subsystem (Node internals and native code counted to the package or file that called them):',
    table(
      ['subsystem', ...header.slice(1)],
      sorted(bySubsystem)
        .slice(0, top)
        .map(([p, us]) => row(p, us)),
    ),
    '',
    'self time by package or file:',
    table(
      ['place', ...header.slice(1)],
      sorted(byPlace)
        .slice(0, top)
        .map(([p, us]) => row(p, us)),
    ),
    '',
    'hottest functions (self time):',
    table(
      ['function', ...header.slice(1)],
      sorted(bySelf)
        .slice(0, top)
        .map(([f, us]) => row(f, us)),
    ),
    '',
    "Canopy's functions, time below them included (synchronous stretches only):",
    ownCode.length > 0
      ? table(
          ['function', ...header.slice(1)],
          ownCode.slice(0, top).map(([f, us]) => row(f, us)),
        )
      : '(none sampled)',
  ].join('\n');
  return { busyUs, text };
}
