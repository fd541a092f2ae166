import { type ErrorCode, errorCodes } from './codes.ts';

/** The one error type services throw. `details` reach the client; never put secrets in them. */
export class AppError extends Error {
  override name = 'AppError';
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    details?: Record<string, unknown>,
    options?: { message?: string; cause?: unknown },
  ) {
    super(options?.message ?? errorCodes[code].message, { cause: options?.cause });
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return errorCodes[this.code].status;
  }
}

export function assertThat(
  condition: unknown,
  code: ErrorCode,
  details?: Record<string, unknown>,
  message?: string,
): asserts condition {
  if (!condition) throw new AppError(code, details, message === undefined ? undefined : { message });
}

export function invalidInput(field: string, problem: string): AppError {
  return new AppError(
    'request.invalid_input',
    { fields: [{ field, problem }] },
    { message: `${field}: ${problem}` },
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids reach services from URLs and flags: one that is not even a UUID names nothing that exists. */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

export function assertId(value: unknown, notFound: ErrorCode): asserts value is string {
  if (!isUuid(value)) throw new AppError(notFound);
}
