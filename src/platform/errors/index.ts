export { AppError, assertId, assertThat, invalidInput, isUuid } from './app-error.ts';
export { type ErrorCode, errorCodes } from './codes.ts';
export { parseInput } from './parse-input.ts';
