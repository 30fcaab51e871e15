// The help screens: citty parses the flags, this lays out what a user reads first. A command's
// help leads with its one-line description and its examples; its own options come next, the
// config flags every image command shares under one heading, the global flags last.
import type { ArgsDef, CommandDef } from 'citty';
import pc from 'picocolors';
import { CONFIG_ARGS } from './_image.js';

/** Flags every command takes, handled before the command runs (src/cli/main.ts). */
export const GLOBAL_FLAGS: readonly (readonly [string, string])[] = [
  ['-q, --quiet', 'Print nothing but errors: no results, warnings or progress (see the exit code)'],
  ['--verbose', 'On an error, print its stack trace too'],
  ['-h, --help', 'Show help (flashkv help COMMAND does the same)'],
  ['-V, --version', "Print flashkv's version"],
];

/** The exit codes, the same for every command. */
const EXIT_CODES = 'Exit codes: 0 ok, 1 problems found or key not found, 2 usage or input error.';

/** Help text is wrapped to this many columns. */
const WIDTH = 100;

interface ArgSpec {
  type?: string;
  description?: string;
  negativeDescription?: string;
  valueHint?: string;
  default?: unknown;
  required?: boolean;
  alias?: string | string[];
  options?: readonly string[];
}

/** A command's description split up: the summary, the details, the examples. */
interface DescriptionParts {
  summary: string;
  details: string[];
  examples: string[];
}

function descriptionParts(description: string): DescriptionParts {
  const [summary = '', ...rest] = description.split('\n');
  const lines = rest.map((line) => line.replace(/^ {2}/, ''));
  const at = lines.findIndex((line) => /^Examples?:$/.test(line.trim()));
  return at < 0
    ? { summary, details: lines, examples: [] }
    : {
        summary,
        details: lines.slice(0, at),
        examples: lines.slice(at + 1).map((line) => line.trim()),
      };
}

/** A command's one-line description. */
export function summaryOf(command: CommandDef): string {
  const meta = command.meta as { description?: string } | undefined;
  return descriptionParts(meta?.description ?? '').summary;
}

/** `text` cut into lines of at most `width` columns at spaces (a longer word stays whole). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  lines.push(line);
  return lines;
}

/** Rows of two columns: the left padded to the widest, the right wrapped beside it. */
function columns(rows: readonly (readonly [string, string])[], paint: (s: string) => string) {
  const left = Math.max(0, ...rows.map(([name]) => name.length));
  const out: string[] = [];
  for (const [name, text] of rows) {
    const [first = '', ...more] = wrap(text, Math.max(30, WIDTH - left - 4));
    out.push(`  ${paint(name)}${' '.repeat(left - name.length)}  ${first}`.trimEnd());
    for (const line of more) out.push(`  ${' '.repeat(left)}  ${line}`);
  }
  return out;
}

/** How a flag is written in help: its name, aliases and value (`--sector-size BYTES`). */
function flagName(name: string, spec: ArgSpec): string {
  const aliases = [spec.alias ?? []].flat().map((alias) => `-${alias}`);
  const flags = [...aliases, `--${name}`].join(', ');
  if (spec.type === 'boolean') return flags;
  const value =
    spec.type === 'enum' && spec.options !== undefined
      ? spec.options.join('|')
      : (spec.valueHint ?? name.replace(/-/g, '_').toUpperCase());
  return `${flags} ${value}`;
}

/** A flag's rows: itself, and for one that is on by default, its --no- form. */
function flagRows(name: string, spec: ArgSpec): [string, string][] {
  const described = (text: string | undefined): string =>
    [
      text ?? '',
      spec.required === true ? '(required)' : '',
      spec.default !== undefined && spec.type !== 'boolean' ? `(default: ${spec.default})` : '',
    ]
      .filter(Boolean)
      .join(' ');
  if (spec.type === 'boolean' && spec.default === true) {
    return [
      [`--${name}`, `${described(spec.description)} (the default)`],
      [`--no-${name}`, spec.negativeDescription ?? `Turns --${name} off`],
    ];
  }
  return [[flagName(name, spec), described(spec.description)]];
}

/** The help of the top level: the commands with their one-line descriptions. */
export function renderMainHelp(
  version: string,
  summary: string,
  commands: readonly (readonly [string, CommandDef])[],
  isPlain: boolean,
): string {
  const colors = pc.createColors(!isPlain);
  const heading = (text: string): string => colors.bold(text);
  return [
    `flashkv ${version}: ${summary}`,
    '',
    `${heading('Usage:')} flashkv COMMAND [options]    (flashkv help COMMAND: a command's options)`,
    '',
    heading('Commands:'),
    ...columns(
      commands.map(([name, command]) => [name, summaryOf(command)]),
      colors.cyan,
    ),
    '',
    heading('Global options:'),
    ...columns(GLOBAL_FLAGS, colors.cyan),
    '',
    EXIT_CODES,
    'Documentation: docs/cli.md, one section a command.',
  ].join('\n');
}

/**
 * The help of command `name`: its one-line description, usage and examples first, then the
 * details, its subcommands (`subCommands`, loaded by the caller), the arguments, its own
 * options, the config options (one heading) and the global ones.
 */
export function renderCommandHelp(
  name: string,
  command: CommandDef,
  isPlain: boolean,
  subCommands: readonly (readonly [string, CommandDef])[] = [],
): string {
  const colors = pc.createColors(!isPlain);
  const heading = (text: string): string => colors.bold(text);
  const meta = command.meta as { description?: string } | undefined;
  const parts = descriptionParts(meta?.description ?? '');
  const args = Object.entries((command.args ?? {}) as ArgsDef) as [string, ArgSpec][];
  const positionals = args.filter(([, spec]) => spec.type === 'positional');
  const flags = args.filter(([, spec]) => spec.type !== 'positional');
  // The shared flags themselves (a command's own --config, as wear's, is its own option).
  const shared = CONFIG_ARGS as Record<string, unknown>;
  const isConfig = (flag: string): boolean =>
    Object.hasOwn(shared, flag) && (command.args as Record<string, unknown>)[flag] === shared[flag];
  const own = flags.filter(([flag]) => !isConfig(flag));
  const config = flags.filter(([flag]) => isConfig(flag));
  const usage = [
    `flashkv ${name}`,
    ...(subCommands.length > 0 ? ['COMMAND'] : []),
    ...positionals.map(([arg, spec]) =>
      spec.required === false ? `[${arg.toUpperCase()}]` : arg.toUpperCase(),
    ),
    ...(name === 'check' || name === 'fleet ingest' ? ['…'] : []),
    ...flags
      .filter(([, spec]) => spec.required === true)
      .map(([flag, spec]) => flagName(flag, spec)),
    '[options]',
  ].join(' ');
  const lines = [`flashkv ${name}: ${parts.summary}`, '', `${heading('Usage:')} ${usage}`];
  if (parts.examples.length > 0) {
    lines.push('', heading('Examples:'), ...parts.examples.map((line) => `  ${line}`));
  }
  const details = parts.details.join('\n').trim();
  if (details !== '') lines.push('', ...parts.details.map((line) => line.trimEnd()));
  if (subCommands.length > 0) {
    lines.push(
      '',
      heading('Commands:'),
      ...columns(
        subCommands.map(([sub, def]) => [sub, summaryOf(def)]),
        colors.cyan,
      ),
    );
  }
  if (positionals.length > 0) {
    lines.push(
      '',
      heading('Arguments:'),
      ...columns(
        positionals.map(([arg, spec]) => [arg.toUpperCase(), spec.description ?? '']),
        colors.cyan,
      ),
    );
  }
  if (own.length > 0) {
    lines.push(
      '',
      heading('Options:'),
      ...columns(
        own.flatMap(([flag, spec]) => flagRows(flag, spec)),
        colors.cyan,
      ),
    );
  }
  if (config.length > 0) {
    lines.push(
      '',
      heading('Config options') +
        " (default: IMAGE.json beside the image, else pw_kvs's defaults):",
      ...columns(
        config.flatMap(([flag, spec]) => flagRows(flag, spec)),
        colors.cyan,
      ),
    );
  }
  lines.push('', heading('Global options:'), ...columns(GLOBAL_FLAGS, colors.cyan));
  return lines.join('\n');
}
