import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { type Config, configSchema, ENV_VARS } from './schema.ts';

export const DEFAULT_CONFIG_FILE = path.resolve(import.meta.dirname, '../../config/default.yaml');

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Tree = Record<string, unknown>;

export interface LoadConfigOptions {
  env?: Record<string, string | undefined>;
  /** Extra YAML files applied after default.yaml (CANOPY_CONFIG adds one more). */
  files?: string[];
  /** Programmatic overrides, applied last (tests). */
  overrides?: DeepPartial<Config>;
}

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** default.yaml → extra files → environment → overrides; validated once, then frozen. */
export function loadConfig(options: LoadConfigOptions = {}): Readonly<Config> {
  const env = options.env ?? process.env;
  const files = [DEFAULT_CONFIG_FILE, ...(options.files ?? [])];
  if (env.CANOPY_CONFIG) files.push(path.resolve(env.CANOPY_CONFIG));

  let tree: Tree = {};
  for (const file of files) tree = merge(tree, readYaml(file));
  tree = merge(tree, fromEnv(env));
  if (options.overrides) tree = merge(tree, options.overrides as Tree);

  const result = configSchema.safeParse(tree);
  if (!result.success) throw new ConfigError(`Invalid configuration:\n${describeIssues(result.error)}`);
  return deepFreeze(result.data);
}

function readYaml(file: string): Tree {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`Cannot read configuration file ${file}: ${(err as Error).message}`);
  }
  const value: unknown = parseYaml(text) ?? {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(`Configuration file ${file} must hold a mapping of keys`);
  }
  return value as Tree;
}

function fromEnv(env: Record<string, string | undefined>): Tree {
  const tree: Tree = {};
  const problems: string[] = [];
  for (const [name, { path: keyPath, kind }] of Object.entries(ENV_VARS)) {
    const raw = env[name];
    if (raw === undefined) continue;
    const [section, key] = keyPath;
    const parsed = parseEnvValue(raw, kind);
    if ('problem' in parsed) problems.push(`- ${section}.${key} (${name}): ${parsed.problem}`);
    else tree[section] = { ...(tree[section] as Tree | undefined), [key]: parsed.value };
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  return tree;
}

function parseEnvValue(
  raw: string,
  kind: 'string' | 'integer' | 'boolean',
): { value: unknown } | { problem: string } {
  const value = raw.trim();
  if (value === '') return { value: null };
  if (kind === 'string') return { value };
  if (kind === 'integer')
    return /^-?\d+$/.test(value) ? { value: Number(value) } : { problem: 'must be a whole number' };
  if (/^(true|1|yes)$/i.test(value)) return { value: true };
  if (/^(false|0|no)$/i.test(value)) return { value: false };
  return { problem: 'must be true or false' };
}

const envNameOf = new Map(Object.entries(ENV_VARS).map(([name, { path: p }]) => [p.join('.'), name]));

function describeIssues(error: z.ZodError): string {
  const lines: string[] = [];
  for (const issue of error.issues) {
    const base = issue.path.join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) lines.push(`- ${base ? `${base}.` : ''}${key}: unknown key`);
      continue;
    }
    const envName = envNameOf.get(base);
    lines.push(`- ${base}${envName ? ` (${envName})` : ''}: ${issue.message}`);
  }
  return lines.join('\n');
}

function merge(base: Tree, extra: Tree): Tree {
  const out: Tree = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    out[key] = isTree(current) && isTree(value) ? merge(current, value) : value;
  }
  return out;
}

function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepFreeze<T>(value: T): T {
  if (isTree(value)) for (const child of Object.values(value)) deepFreeze(child);
  return Object.freeze(value);
}
