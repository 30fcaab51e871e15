import { KvsError } from '../status.js';

/** Exit codes: 0 ok, 1 problems found (e.g. `check`), 2 usage or input error. */
export const EXIT_OK = 0;
export const EXIT_PROBLEMS = 1;
export const EXIT_USAGE = 2;

/** A user-facing failure: one clear line, and the exit code to leave with. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT_USAGE,
  ) {
    super(message);
  }
}

/** Ends the command with a message and exit code, without a stack trace. */
export function cliFail(message: string, exitCode = EXIT_USAGE): never {
  throw new CliError(message, exitCode);
}

/** How {@link failOn} words a KvsError and picks the exit code. */
export interface FailOptions {
  /** Put before the error's message (`scenario file x.json: `). Defaults to nothing. */
  readonly prefix?: string;
  /** The exit code for the error. Defaults to 2 (a usage or input error). */
  readonly exitCode?: (error: KvsError) => number;
}

/**
 * The one bridge from the library's errors to the command line: a KvsError (bad input: a
 * flag, a file, a config) becomes a failure with one line; any other error is a bug and is
 * thrown again as it is. For a `catch` that has cleaning up to do first; else {@link orFail}.
 */
export function failOn(error: unknown, options: FailOptions = {}): never {
  if (KvsError.is(error)) {
    cliFail(`${options.prefix ?? ''}${error.message}`, options.exitCode?.(error) ?? EXIT_USAGE);
  }
  throw error;
}

/**
 * The result of `call`, its KvsError turned into a failure with one line ({@link failOn}). A
 * promise `call` returns is bridged when it settles.
 */
export function orFail<T>(call: () => T, options: FailOptions = {}): T {
  let result: T;
  try {
    result = call();
  } catch (error) {
    return failOn(error, options);
  }
  return result instanceof Promise
    ? (result.catch((error: unknown) => failOn(error, options)) as T)
    : result;
}

/**
 * Whether `error` is one a user caused (a failure with one line, or a KvsError: bad input), as
 * opposed to a bug. For the places that report such errors some other way than by exiting: the
 * shell prints them and goes on, the inspector answers 422.
 */
export function isUserError(error: unknown): error is CliError | KvsError {
  return error instanceof CliError || KvsError.is(error);
}

/** One line describing any error a command let through. */
export function describeError(error: unknown): string {
  if (error instanceof CliError) return error.message;
  if (KvsError.is(error)) return `${error.message} (${error.code})`;
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === undefined ? error.message : `${error.message}`;
  }
  return String(error);
}
