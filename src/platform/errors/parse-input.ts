import type { z } from 'zod';
import { AppError } from './app-error.ts';

/** Validates input against a schema; failures become one 400 naming every offending field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields = result.error.issues.flatMap((issue) => {
    const at = issue.path.join('.');
    // Unknown keys are reported on their parent: name each key, so the caller sees which one.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: at ? `${at}.${key}` : key, problem: 'is not a known field' }));
    }
    // zod's default for a missing member reads "expected string, received undefined".
    const missing =
      issue.code === 'invalid_type' && issue.path.length > 0 && valueAt(input, issue.path) === undefined;
    return [{ field: at || '(body)', problem: missing ? 'is required' : issue.message }];
  });
  const summary = fields.map((f) => `${f.field}: ${f.problem}`).join('; ');
  throw new AppError('request.invalid_input', { fields }, { message: `Invalid input — ${summary}` });
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
