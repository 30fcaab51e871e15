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
