/**
 * pw_status codes, by name. Every error flashkv raises carries one of these, so a caller
 * (or a test) can branch on the code and never on message text.
 */
export type StatusCode =
  | 'OK'
  | 'CANCELLED'
  | 'UNKNOWN'
  | 'INVALID_ARGUMENT'
  | 'DEADLINE_EXCEEDED'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'PERMISSION_DENIED'
  | 'RESOURCE_EXHAUSTED'
  | 'FAILED_PRECONDITION'
  | 'ABORTED'
  | 'OUT_OF_RANGE'
  | 'UNIMPLEMENTED'
  | 'INTERNAL'
  | 'UNAVAILABLE'
  | 'DATA_LOSS'
  | 'UNAUTHENTICATED';

/** Every status name, in pw_status numeric order (OK = 0 … UNAUTHENTICATED = 16). */
export const STATUS_CODES: readonly StatusCode[] = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

/** A failure status: any code but OK. */
export type ErrorCode = Exclude<StatusCode, 'OK'>;

/** True if `value` names a pw_status code. */
export function isStatusCode(value: unknown): value is StatusCode {
  return typeof value === 'string' && (STATUS_CODES as readonly string[]).includes(value);
}

/**
 * The one error type of flashkv. `code` is a pw_status name; `size`, when set, is the number of
 * bytes an operation still produced before it failed (pw_kvs's StatusWithSize), for example the
 * bytes of a value read into a buffer that was too small (RESOURCE_EXHAUSTED).
 */
export class KvsError extends Error {
  override readonly name = 'KvsError';
  // `declare` fields are set in the constructor: no field definitions are emitted.
  declare readonly code: ErrorCode;
  declare readonly size: number;

  constructor(code: ErrorCode, message: string, options?: { size?: number; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.size = options?.size ?? 0;
  }

  /** True if `error` is a KvsError, optionally with the given code. */
  static is(error: unknown, code?: ErrorCode): error is KvsError {
    return error instanceof KvsError && (code === undefined || error.code === code);
  }
}

/** Formats a number as 0x-prefixed hex, for messages that name addresses and sectors. */
export function hex(value: number): string {
  return `0x${value.toString(16)}`;
}

/**
 * Returns `value` when it is an integer in `min`..`max` (without `max`: any safe integer from
 * `min` on); else throws a KvsError with `code` (defaults to INVALID_ARGUMENT) and the message
 * `prefix` + "`name` must be an integer in min..max (or ≥ min), got `value`".
 */
export function checkInteger(
  name: string,
  value: number,
  min: number,
  max?: number,
  prefix = '',
  code: ErrorCode = 'INVALID_ARGUMENT',
): number {
  if (!Number.isSafeInteger(value) || value < min || value > (max ?? Infinity)) {
    const range = max === undefined ? `≥ ${min}` : `in ${min}..${max}`;
    throw new KvsError(code, `${prefix}${name} must be an integer ${range}, got ${String(value)}`);
  }
  return value;
}
