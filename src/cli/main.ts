#!/usr/bin/env node
import { type CommandDef, renderUsage, runCommand } from 'citty';
import { CliError, EXIT_USAGE, describeError, exitCodeSet } from './_errors.js';
import bench from './commands/bench.js';
import benchAll from './commands/bench-all.js';
import fuzz from './commands/fuzz.js';
import run from './commands/run.js';
import torture from './commands/torture.js';

const commands: Record<string, CommandDef> = {
  run: run as CommandDef,
  bench: bench as CommandDef,
  'bench-all': benchAll as CommandDef,
  torture: torture as CommandDef,
  fuzz: fuzz as CommandDef,
};

const main: CommandDef = {
  meta: {
    name: 'flashkv',
    version: '0.1.0',
    description: 'Build, inspect, check and repair pw_kvs flash images.',
  },
  subCommands: commands,
};

/** Renders help for the command named first in `argv` (or the top level). */
async function help(argv: string[]): Promise<string> {
  const name = argv.find((arg) => !arg.startsWith('-'));
  const command = name === undefined ? undefined : commands[name];
  return command === undefined ? renderUsage(main) : renderUsage(command, main);
}

async function cli(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  const args = argv.filter((arg) => arg !== '--verbose');
  if (args.length === 0 || args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${await help(args)}\n`);
    return args.length === 0 ? EXIT_USAGE : 0;
  }
  if (args[0] === '--version' || args[0] === '-v') {
    process.stdout.write('0.1.0\n');
    return 0;
  }
  try {
    await runCommand(main, { rawArgs: args });
    // citty does not pass a subcommand's result up: commands report problems via setExitCode.
    return exitCodeSet();
  } catch (error) {
    const exitCode = error instanceof CliError ? error.exitCode : EXIT_USAGE;
    // citty reports usage mistakes (unknown command, missing argument) as CLIError.
    const isUsage = error instanceof Error && error.name === 'CLIError';
    // citty colours its messages; a one-line error must stay plain text.
    // eslint-disable-next-line no-control-regex
    const message = describeError(error).replace(/\u001b\[[0-9;]*m/g, '');
    const hint = isUsage ? ' (see flashkv --help)' : '';
    process.stderr.write(`flashkv: ${message}${hint}\n`);
    if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    return exitCode;
  }
}

process.exitCode = await cli(process.argv.slice(2));
