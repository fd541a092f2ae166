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
    return [{ field: at || '(body)', problem: issue.message }];
  });
  const summary = fields.map((f) => `${f.field}: ${f.problem}`).join('; ');
  throw new AppError('request.invalid_input', { fields }, { message: `Invalid input — ${summary}` });
}
