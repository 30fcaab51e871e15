#!/usr/bin/env node
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type CommandDef, runCommand } from 'citty';
import { closest, distance } from 'fastest-levenshtein';
import { CliError, EXIT_USAGE, describeError } from './_errors.js';
import {
  type CliIo,
  OutputClosed,
  exitCodeSet,
  isPlain,
  print,
  printError,
  setQuiet,
  withIo,
} from './_io.js';
import { SCHEMA_VERSION } from '../image/report.js';
import { filesWritten, removeTemporaryFiles } from '../node/image-file.js';
/**
 * The commands, each loaded when it runs: a run of `ls` does not pay for loading the inspector,
 * the wear simulator or the benchmarks (all of them are loaded for the top-level help only).
 */
const commandModules: Record<string, () => Promise<{ default: unknown }>> = {
  create: () => import('./commands/create.js'),
  export: () => import('./commands/export.js'),
  ls: () => import('./commands/ls.js'),
  get: () => import('./commands/get.js'),
  put: () => import('./commands/put.js'),
  rm: () => import('./commands/rm.js'),
  info: () => import('./commands/info.js'),
  check: () => import('./commands/check.js'),
  repair: () => import('./commands/repair.js'),
  dump: () => import('./commands/dump.js'),
  diff: () => import('./commands/diff.js'),
  locate: () => import('./commands/locate.js'),
  inspect: () => import('./commands/inspect.js'),
  shell: () => import('./commands/shell.js'),
  run: () => import('./commands/run.js'),
  bench: () => import('./commands/bench.js'),
  'bench-all': () => import('./commands/bench-all.js'),
  torture: () => import('./commands/torture.js'),
  fuzz: () => import('./commands/fuzz.js'),
  wear: () => import('./commands/wear.js'),
  fleet: () => import('./commands/fleet.js'),
};

/** The definition of command `name`, loaded on first use; undefined for no such command. */
async function loadCommand(name: string): Promise<CommandDef | undefined> {
  if (!Object.hasOwn(commandModules, name)) return undefined;
  return (await commandModules[name]!()).default as CommandDef;
}

const commands: Record<string, () => Promise<CommandDef>> = Object.fromEntries(
  Object.keys(commandModules).map((name) => [name, async () => (await loadCommand(name))!]),
);

/** flashkv's version, from its package.json (read when asked: most runs never need it). */
function version(): string {
  const json = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(json) as { version: string }).version;
}

const SUMMARY = 'Build, inspect, check and repair pw_kvs flash images.';

const main: CommandDef = {
  meta: { name: 'flashkv', description: SUMMARY },
  subCommands: commands,
};

/**
 * The command `argv` names: a top-level command, or one of its subcommands (`fleet ingest`)
 * when the next word names one. `words`: how many of `argv`'s words name it.
 */
async function commandOf(
  argv: readonly string[],
): Promise<{ command: CommandDef; words: number; name: string } | undefined> {
  const index = argv.findIndex((arg) => !arg.startsWith('-'));
  const name = index < 0 ? undefined : argv[index]!;
  const command = name === undefined ? undefined : await loadCommand(name);
  if (command === undefined) return undefined;
  const subCommands = command.subCommands as Record<string, unknown> | undefined;
  const sub = argv[index + 1];
  if (subCommands !== undefined && sub !== undefined && Object.hasOwn(subCommands, sub)) {
    const resolved = subCommands[sub];
    const subCommand = (await (typeof resolved === 'function'
      ? (resolved as () => unknown)()
      : resolved)) as CommandDef;
    return { command: subCommand, words: index + 2, name: `${name} ${sub}` };
  }
  return { command, words: index + 1, name: name! };
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/**
 * Renders help for the command `words` name (`put`, `fleet ingest`), or the top level (every
 * command with its one-line description) for none. Colour only on a terminal. Fails on a
 * command flashkv does not have.
 */
async function help(words: readonly string[]): Promise<string> {
  const { renderCommandHelp, renderMainHelp } = await import('./_help.js');
  const plain = isPlain();
  let text: string;
  if (words.length === 0) {
    const all = await Promise.all(
      Object.keys(commandModules).map(
        async (key) => [key, (await loadCommand(key))!] as [string, CommandDef],
      ),
    );
    text = renderMainHelp(version(), SUMMARY, all, plain);
  } else {
    checkCommand(words[0]!);
    const found = (await commandOf(words))!;
    const subCommands = found.command.subCommands as Record<string, unknown> | undefined;
    const subs =
      subCommands === undefined || found.name.includes(' ')
        ? []
        : await Promise.all(
            Object.entries(subCommands).map(async ([key, sub]) => {
              const resolved = typeof sub === 'function' ? (sub as () => unknown)() : sub;
              return [key, (await resolved) as CommandDef] as [string, CommandDef];
            }),
          );
    text = renderCommandHelp(found.name, found.command, plain, subs);
  }
  return text
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}

/**
 * Fails on an option the command does not define: citty ignores unknown options, and a typo
 * such as --sector-sise must not silently open an image with the default geometry.
 */
async function checkOptions(argv: readonly string[]): Promise<void> {
  const found = argv[0] === undefined ? undefined : await commandOf(argv);
  if (found === undefined) return; // citty reports the unknown command
  const { command, name, words } = found;
  const defined = (command.args ?? {}) as Record<
    string,
    { type?: string; alias?: string | string[] }
  >;
  const allowed = new Set<string>();
  const takesValue = new Set<string>();
  let positionals = 0;
  for (const [option, spec] of Object.entries(defined)) {
    if (spec.type === 'positional') {
      positionals++;
      continue;
    }
    const names = [option, ...[spec.alias ?? []].flat()];
    for (const alias of names) {
      allowed.add(alias);
      if (spec.type !== 'boolean') takesValue.add(alias);
    }
    if (spec.type === 'boolean') allowed.add(`no-${option}`);
  }
  const given: string[] = [];
  for (let i = words; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      given.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) {
      given.push(arg);
      continue;
    }
    const option = arg.replace(/^--?/, '').split('=')[0]!;
    if (!allowed.has(option)) {
      throw new CliError(
        `unknown option ${arg.split('=')[0]} for flashkv ${name} (see flashkv ${name} --help)`,
      );
    }
    if (takesValue.has(option) && !arg.includes('=')) i++;
  }
  // check and fleet ingest take any number of dumps.
  if (given.length > positionals && name !== 'check' && name !== 'fleet ingest') {
    throw new CliError(
      `unexpected argument ${JSON.stringify(given[positionals])} for flashkv ${name} (see flashkv ${name} --help)`,
    );
  }
}

/** Fails on a command name flashkv does not have, suggesting the closest one. */
function checkCommand(name: string): void {
  if (Object.hasOwn(commandModules, name) || name.startsWith('-')) return;
  const suggestion = closest(name, Object.keys(commandModules));
  // Only a near miss (a typo) gets a suggestion; anything else gets the list.
  const isNear = distance(name, suggestion) <= Math.max(2, Math.floor(name.length / 3));
  throw new CliError(
    `unknown command ${JSON.stringify(name)}` +
      (isNear ? `; did you mean ${suggestion}?` : '') +
      ' (see flashkv --help)',
  );
}

/**
 * Runs the flashkv command line `argv` (without node and the script) on `streams` (defaults:
 * the process's) and resolves to the exit code: 0 ok, 1 problems found or key not found, 2 usage
 * or input error. Never exits the process, so it runs in-process (tests, other tools).
 */
export async function cli(argv: readonly string[], streams?: Partial<CliIo>): Promise<number> {
  const resolved: CliIo = {
    stdin: streams?.stdin ?? process.stdin,
    stdout: streams?.stdout ?? process.stdout,
    stderr: streams?.stderr ?? process.stderr,
    env: streams?.env ?? process.env,
  };
  return withIo(resolved, () => runCli([...argv]));
}

/** The global flags taken out of a command line (before any `--`), and what is left. */
function globalFlags(argv: readonly string[]): {
  args: string[];
  verbose: boolean;
  quiet: boolean;
} {
  const end = argv.indexOf('--');
  const head = end < 0 ? argv : argv.slice(0, end);
  const tail = end < 0 ? [] : argv.slice(end);
  const isGlobal = (arg: string): boolean => ['--verbose', '-q', '--quiet'].includes(arg);
  return {
    args: [...head.filter((arg) => !isGlobal(arg)), ...tail],
    verbose: head.includes('--verbose'),
    quiet: head.includes('-q') || head.includes('--quiet'),
  };
}

async function runCli(argv: string[]): Promise<number> {
  const { args, verbose, quiet } = globalFlags(argv);
  if (quiet) setQuiet();
  const asJson = args.includes('--json');
  try {
    const dashes = args.indexOf('--');
    const head = dashes < 0 ? args : args.slice(0, dashes);
    // The command's words (`fleet ingest`): the leading words that are not flags.
    const words = (list: readonly string[]): string[] => {
      const end = list.findIndex((arg) => arg.startsWith('-'));
      return (end < 0 ? list : list.slice(0, end)).slice(0, 2);
    };
    if (args.length === 0 || head.includes('--help') || head.includes('-h')) {
      print(await help(words(head)), true);
      return args.length === 0 ? EXIT_USAGE : 0;
    }
    if (args[0] === 'help') {
      print(await help(words(args.slice(1))), true);
      return 0;
    }
    if (args[0] === '--version' || args[0] === '-V' || args[0] === '-v') {
      print(version(), true);
      return 0;
    }
    checkCommand(args[0]!);
    await checkOptions(args);
    await runCommand(main, { rawArgs: args });
    // citty does not pass a subcommand's result up: commands report problems via setExitCode.
    return exitCodeSet();
  } catch (error) {
    // The reader of stdout went away (flashkv ls IMAGE | head -1): not an error.
    if (error instanceof OutputClosed) return 0;
    const exitCode = error instanceof CliError ? error.exitCode : EXIT_USAGE;
    // citty reports usage mistakes (unknown command, missing argument) as CLIError.
    const isUsage = error instanceof Error && error.name === 'CLIError';
    // citty colours its messages; a one-line error must stay plain text.
    const message = describeError(error).replace(ANSI, '');
    const hint = isUsage ? ' (see flashkv --help)' : '';
    if (asJson) {
      try {
        print(
          JSON.stringify({
            schema_version: SCHEMA_VERSION,
            kind: 'error',
            error: { message: `${message}${hint}`, exit_code: exitCode },
          }),
          true,
        );
      } catch (closed) {
        if (!(closed instanceof OutputClosed)) throw closed;
      }
    }
    printError(`flashkv: ${message}${hint}`);
    if (verbose && error instanceof Error && error.stack) printError(error.stack);
    return exitCode;
  }
}

/** Whether this module is the program node runs (the `flashkv` binary), not an import. */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  // The reader of stdout went away (flashkv dump IMAGE | head): stop quietly, exit 0.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  // Interrupted: no temporary file is left behind, the lock is released on exit, and the message
  // says what is on disk. Writes are synchronous, so a signal is handled before a write starts
  // or after its rename: a file is either untouched or wholly written, and the record of the
  // renames tells which.
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.on(signal, () => {
      removeTemporaryFiles();
      const written = filesWritten();
      const what =
        written.length === 0 ? 'nothing written' : `${[...new Set(written)].join(', ')} written`;
      process.stderr.write(`flashkv: interrupted (${signal}); ${what}\n`);
      process.exit(code);
    });
  }
  process.exitCode = await cli(process.argv.slice(2));
}
