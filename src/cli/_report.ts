import { hexInputToBytes } from '../bytes.js';
import { MAX_KEY_LENGTH } from '../format/entry-header.js';
import { describeImageConfig } from '../image/config.js';
import { SCHEMA_VERSION } from '../image/report.js';
import { utf8Encode } from '../utf8.js';
import { EXIT_PROBLEMS, cliFail, orFail } from './_errors.js';
import type { OpenedImage } from './_image.js';
import { print, printWarning, setExitCode } from './_io.js';

/** Writes a warning line to stderr. */
export function warn(text: string): void {
  printWarning(`warning: ${text}`);
}

/**
 * Tells the user, on stderr, what they should know before trusting what a command shows: the
 * config detection guessed, problems the scan found, and repairs init made in memory.
 */
export function warnProblems(image: OpenedImage): void {
  printDetection(image);
  // Entries the config cannot read would silently vanish from a listing: say so in full.
  for (const problem of image.scan.problems) {
    if (problem.kind === 'unknown-format' || problem.kind === 'too-many-keys') {
      warn(`${image.path}: ${problem.message}`);
    }
  }
  const problems = image.scan.problems.length;
  if (problems > 0) {
    warn(`${image.path}: ${plural(problems, 'problem')} found; see flashkv check`);
  }
  if (image.initStatus !== 'OK') warn(`init reported ${image.initStatus}`);
}

/**
 * Warns on stderr, and sets exit code 1, for every key the image's reader sees now but
 * pw_kvs's init will drop at the next boot (an entry whose padding is damaged: see
 * `damaged-padding` in the scan). For commands that show keys (`ls`, `get`): what they show is
 * what the next boot sees, and the key a running device still reads is missing from it.
 * Returns the warnings printed, for a JSON report's `warnings`.
 */
export function warnKeysLostAtBoot(image: OpenedImage): string[] {
  const lines = image.scan.problems
    .filter((problem) => problem.kind === 'damaged-padding')
    .map((problem) => `${image.path}: ${problem.message}`);
  for (const line of lines) warn(line);
  if (lines.length > 0) setExitCode(EXIT_PROBLEMS);
  return lines;
}

/** The `warnings` field of a JSON report: what was printed to stderr for this image. */
export function warningsJson(
  image: OpenedImage,
  more: readonly string[] = [],
): { warnings: string[] } {
  return { warnings: [...image.warnings, ...more] };
}

/** With `--detect`, tells on stderr what config was inferred and what is uncertain. */
export function printDetection(image: OpenedImage): void {
  const { detected } = image.resolved;
  if (detected === undefined) return;
  printWarning(`detected: ${describeImageConfig(image.config)}`);
  for (const note of detected.notes) printWarning(`  note: ${note}`);
}

/**
 * Decodes hex text (pairs of digits; a 0x prefix and whitespace are allowed), failing with one
 * line that starts with `where`.
 */
export function decodeHex(where: string, text: string): Uint8Array {
  return orFail(() => hexInputToBytes(where, text));
}

/** A key argument as bytes (text, or hex with `isHex`), checked for pw_kvs's 1..63 bytes. */
export function keyArgument(text: string, isHex: boolean): Uint8Array {
  return checkKey('key', isHex ? decodeHex('key', text) : utf8Encode(text));
}

/** Fails with one line starting with `where` unless `key` is 1..63 bytes, as pw_kvs requires. */
export function checkKey(where: string, key: Uint8Array): Uint8Array {
  if (key.length === 0) cliFail(`${where}: the key is empty`);
  if (key.length > MAX_KEY_LENGTH) {
    cliFail(`${where}: the key is ${key.length} bytes, longer than pw_kvs's ${MAX_KEY_LENGTH}`);
  }
  return key;
}

/**
 * Prints one `--json` document of the report format (schema/flashkv-report.schema.json):
 * `schema_version`, `kind` (the command), then `body`.
 */
export function printJson(kind: string, body: Record<string, unknown>): void {
  print(JSON.stringify({ schema_version: SCHEMA_VERSION, kind, ...body }, null, 2));
}

/** A format index as a word: primary, legacy N, or unknown. */
export function formatName(formatIndex: number): string {
  if (formatIndex === 0) return 'primary';
  return formatIndex > 0 ? `legacy ${formatIndex}` : 'unknown';
}

/** `count` (with thousands separators) and the noun, plural when count is not 1. */
export function plural(count: number, noun: string): string {
  return `${count.toLocaleString('en-US')} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * Sector numbers as ranges, `sector 1` or `sectors 2–5, 9` (4 095 numbers on a line were
 * unreadable). `numbers` ascending.
 */
export function sectorRanges(numbers: readonly number[]): string {
  const ranges: string[] = [];
  for (let i = 0; i < numbers.length;) {
    let j = i;
    while (j + 1 < numbers.length && numbers[j + 1] === numbers[j]! + 1) j++;
    ranges.push(j === i ? `${numbers[i]}` : `${numbers[i]}–${numbers[j]}`);
    i = j + 1;
  }
  return `${numbers.length === 1 ? 'sector' : 'sectors'} ${ranges.join(', ')}`;
}

/** Fails (exit 2) when two of `flags` are given together: they ask for different things. */
export function refuseTogether(args: Record<string, unknown>, flags: readonly string[]): void {
  const given = flags.filter((flag) => args[flag] !== undefined && args[flag] !== false);
  if (given.length > 1) {
    cliFail(`--${given[0]} and --${given[1]} cannot be used together`);
  }
}
