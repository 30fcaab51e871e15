import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The built CLI (test/global-setup.ts builds it before the suite runs). */
export const CLI = join(ROOT, 'dist/cli/main.js');

/** What a CLI run left behind. */
export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI with `args` (in `cwd`, with `input` piped to stdin) and waits for it. */
export function flashkv(
  args: readonly string[],
  options: { cwd?: string; input?: string } = {},
): CliRun {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    cwd: options.cwd,
    input: options.input ?? '',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
