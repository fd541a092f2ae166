import assert from 'node:assert/strict';
import type { ErrorCode } from '../../src/platform/errors/index.ts';
import { AppError } from '../../src/platform/errors/index.ts';

/** Awaits a rejection with the given AppError code; returns the error for further checks. */
export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<AppError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(
    caught instanceof AppError,
    `expected AppError ${code}, got ${caught === undefined ? 'success' : String(caught)}`,
  );
  assert.equal(caught.code, code, `expected ${code}, got ${caught.code}: ${caught.message}`);
  return caught;
}

/** The names of the fields an invalid-input error points at. */
export function invalidFields(err: AppError): string[] {
  const fields = (err.details?.fields ?? []) as Array<{ field: string }>;
  return [...new Set(fields.map((f) => f.field))].sort();
}
