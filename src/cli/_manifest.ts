import { dirname, extname, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { utf8Decode, utf8Encode } from '../utf8.js';
import { cliFail, orFail } from './_errors.js';
import { readUserFile, readUserInput } from './_io.js';
import { bytesToHex, printableText } from '../bytes.js';
import { checkKey, decodeHex } from './_report.js';
import {
  VALUE_TYPES,
  type ValueType,
  decodeTyped,
  encodeTyped,
  isValueType,
} from '../image/value-types.js';

/** One key of a manifest, its value already encoded. */
export interface ManifestEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  /** The value's type when the manifest gave one (u8..u64, i8..i64, f32, f64). */
  readonly type?: ValueType;
}

/** A manifest: the keys to put, in order, and an optional config object (JSON manifests). */
export interface Manifest {
  readonly config?: unknown;
  readonly entries: readonly ManifestEntry[];
}

/** Value encodings a manifest row may use (nvs_partition_gen's, plus raw files). */
export const ENCODINGS = ['string', 'hex', 'base64', 'binary', 'file', ...VALUE_TYPES] as const;
type Encoding = (typeof ENCODINGS)[number];

/** A row as written, before its value is encoded. */
interface Row {
  readonly where: string;
  readonly key: Uint8Array;
  readonly type: string;
  readonly encoding: string;
  readonly value: unknown;
}

function fail(where: string, problem: string): never {
  return cliFail(`${where}: ${problem}`);
}

function decodeBase64(where: string, text: string): Uint8Array {
  const compact = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) {
    fail(where, `expected base64, got ${JSON.stringify(text)}`);
  }
  return new Uint8Array(Buffer.from(compact, 'base64'));
}

/** A number of `type`, failing with one line that starts with `where`. */
function encodeNumber(where: string, type: ValueType, text: string): Uint8Array {
  return orFail(() => encodeTyped(type, text), { prefix: `${where}: ` });
}

/** Encodes a row's value (files are read relative to `folder`). */
function encodeRow(row: Row, folder: string): Uint8Array {
  const { where } = row;
  if (row.type === 'namespace') {
    fail(
      where,
      'namespace rows are an NVS idea; pw_kvs keys are flat (--namespace-prefixes stores keys as ns/key)',
    );
  }
  if (row.type !== 'data' && row.type !== 'file') {
    fail(where, `type must be data or file, got ${JSON.stringify(row.type)}`);
  }
  // nvs_partition_gen calls hex text in a file hex2bin.
  const named = row.encoding === 'hex2bin' ? 'hex' : row.encoding;
  if (!(ENCODINGS as readonly string[]).includes(named)) {
    fail(
      where,
      `unknown encoding ${JSON.stringify(row.encoding)} (one of ${ENCODINGS.join(', ')}, hex2bin)`,
    );
  }
  const encoding = named as Encoding;
  if (row.value === undefined || row.value === null) fail(where, 'missing value');
  if (typeof row.value === 'object') fail(where, 'value must be text or a number');
  const text = String(row.value);
  if (row.type === 'file' || encoding === 'file') {
    const contents = readUserFile(resolve(folder, text), `file of ${where}`);
    if (encoding === 'file' || encoding === 'binary' || encoding === 'string') return contents;
    const fileText = Buffer.from(contents).toString('utf8');
    if (encoding === 'hex') return decodeHex(`${where} (file ${text})`, fileText);
    if (encoding === 'base64') return decodeBase64(`${where} (file ${text})`, fileText);
    fail(where, `a file value takes encoding binary, string, hex or base64, not ${encoding}`);
  }
  switch (encoding) {
    case 'string':
      return utf8Encode(text);
    case 'hex':
      return decodeHex(where, text);
    case 'base64':
      return decodeBase64(where, text);
    case 'binary':
      return fail(where, 'encoding binary needs type file (the value names the file)');
    default:
      return encodeNumber(where, encoding, text);
  }
}

function csvRows(path: string, text: string): Row[] {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      info: true,
      skip_empty_lines: true,
      comment: '#',
      comment_no_infix: true,
      trim: true,
      relax_column_count: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (error) {
    return fail(`manifest ${path}`, (error as Error).message);
  }
  if (records.length === 0)
    fail(`manifest ${path}`, 'the file is empty (expected a key,type,encoding,value header)');
  const header = records[0]!.record.map((name) => name.toLowerCase());
  const column = (name: string): number => header.indexOf(name);
  for (const name of ['key', 'encoding', 'value']) {
    if (column(name) < 0) {
      fail(
        `manifest ${path} line ${records[0]!.info.lines}`,
        `the header has no '${name}' column (expected key,type,encoding,value)`,
      );
    }
  }
  return records.slice(1).map(({ record, info }) => {
    const where = `manifest ${path} line ${info.lines}`;
    if (record.length !== header.length) {
      fail(where, `${record.length} fields, the header has ${header.length}`);
    }
    const type = column('type') < 0 ? 'data' : record[column('type')]! || 'data';
    return {
      where,
      key: utf8Encode(record[column('key')]!),
      type,
      encoding: record[column('encoding')]! || 'string',
      value: record[column('value')],
    };
  });
}

function jsonRows(path: string, json: unknown): { config?: unknown; rows: Row[] } {
  const where = `manifest ${path}`;
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    fail(where, 'expected an object {"config"?, "entries": [...]}');
  }
  const object = json as Record<string, unknown>;
  for (const field of Object.keys(object)) {
    if (field !== 'config' && field !== 'entries') fail(where, `unknown field '${field}'`);
  }
  if (!Array.isArray(object.entries)) fail(where, "missing array 'entries'");
  const rows = object.entries.map((entry: unknown, i): Row => {
    const at = `${where} entries[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      fail(at, 'expected an object {key, encoding, value}');
    }
    const fields = entry as Record<string, unknown>;
    for (const field of Object.keys(fields)) {
      if (!['key', 'key_hex', 'type', 'encoding', 'value'].includes(field)) {
        fail(at, `unknown field '${field}'`);
      }
    }
    let key: Uint8Array;
    if (typeof fields.key === 'string') key = utf8Encode(fields.key);
    else if (typeof fields.key_hex === 'string') key = decodeHex(`${at} key_hex`, fields.key_hex);
    else return fail(at, "missing 'key' (text) or 'key_hex'");
    const text = (name: string, fallback: string): string => {
      const value = fields[name] ?? fallback;
      if (typeof value !== 'string') fail(at, `'${name}' must be text`);
      return value;
    };
    return {
      where: `${at} (${JSON.stringify(fields.key ?? fields.key_hex)})`,
      key,
      type: text('type', 'data'),
      encoding: text('encoding', 'string'),
      value: fields.value,
    };
  });
  return { ...(object.config === undefined ? {} : { config: object.config }), rows };
}

/** Options of {@link readManifest}. */
export interface ReadManifestOptions {
  /**
   * Turn nvs_partition_gen's namespace rows into key prefixes: after a row `wifi,namespace,,`
   * the key `ssid` is stored as `wifi/ssid`. Without it a namespace row is an error.
   */
  namespacePrefixes?: boolean;
}

/**
 * Reads a manifest: CSV (`key,type,encoding,value`, as nvs_partition_gen) when the file ends in
 * .csv, else JSON. Every problem fails with one line naming the file and row.
 */
export async function readManifest(
  path: string,
  options: ReadManifestOptions = {},
): Promise<Manifest> {
  return parseManifest(path, manifestText(path, await readUserInput(path, 'manifest')), options);
}

/**
 * A manifest's bytes as text. Invalid UTF-8 fails naming its line, rather than becoming U+FFFD
 * in a key or value the firmware would then read: bytes that are not text go in a hex row.
 */
function manifestText(path: string, bytes: Uint8Array): string {
  const text = utf8Decode(bytes, true);
  if (text !== undefined) return text;
  // A newline byte is never inside a UTF-8 sequence, so some line holds the invalid bytes.
  let start = 0;
  for (let line = 1; ; line++) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline < 0 ? bytes.length : newline;
    if (utf8Decode(bytes.subarray(start, end), true) === undefined) {
      fail(
        `manifest ${path} line ${line}`,
        'not valid UTF-8: give a value that is not text as hex digits (encoding hex)',
      );
    }
    if (newline < 0) return utf8Decode(bytes)!;
    start = newline + 1;
  }
}

/**
 * Parses the text of a manifest read from `path` (`-`: stdin; file values are read relative
 * to its folder), as {@link readManifest}.
 */
export function parseManifest(
  path: string,
  text: string,
  options: ReadManifestOptions = {},
): Manifest {
  let parsed: { config?: unknown; rows: Row[] };
  // stdin (-) is CSV when it starts with the CSV header, else JSON.
  const isCsv = path === '-' ? /^\s*key\s*,/i.test(text) : extname(path).toLowerCase() === '.csv';
  if (isCsv) {
    parsed = { rows: csvRows(path, text) };
  } else {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      return fail(
        `manifest ${path}`,
        `not valid JSON (${(error as Error).message}); CSV manifests end in .csv`,
      );
    }
    parsed = jsonRows(path, json);
  }
  const folder = dirname(path);
  const seen = new Map<string, string>();
  let namespace: Uint8Array | undefined;
  const entries: ManifestEntry[] = [];
  for (const row of parsed.rows) {
    if (row.type === 'namespace' && options.namespacePrefixes === true) {
      namespace = utf8Encode(`${utf8Decode(row.key)}/`);
      continue;
    }
    const key = checkKey(
      row.where,
      namespace === undefined ? row.key : Uint8Array.from([...namespace, ...row.key]),
    );
    const id = bytesToHex(key);
    const first = seen.get(id);
    if (first !== undefined) fail(row.where, `key already given at ${first}`);
    seen.set(id, row.where);
    const type = row.type === 'data' && isValueType(row.encoding) ? row.encoding : undefined;
    entries.push({ key, value: encodeRow(row, folder), ...(type === undefined ? {} : { type }) });
  }
  return { ...(parsed.config === undefined ? {} : { config: parsed.config }), entries };
}

/** How an exported value is written: its type when known, else text when printable, else hex. */
function exportValue(
  value: Uint8Array,
  type: ValueType | undefined,
): { encoding: string; value: string } {
  const typed = type === undefined ? undefined : decodeTyped(type, value);
  if (typed !== undefined) return { encoding: type!, value: typed };
  const text = printableText(value);
  return text === undefined
    ? { encoding: 'hex', value: bytesToHex(value) }
    : { encoding: 'string', value: text };
}

/** Rows are joined into one flat string per this many characters (no long rope to keep). */
const MANIFEST_CHUNK_CHARS = 1 << 16;

/**
 * Writes a JSON manifest row by row: {@link manifestJson}'s text, made as the rows come (each
 * row is text as soon as it is added, so its key and value bytes need not be kept).
 */
export class JsonManifestWriter {
  /** Rows added so far. */
  count = 0;
  private readonly chunks: string[] = [];
  /** Text not yet joined into a chunk, and its length. */
  private parts: string[] = [];
  private partsChars = 0;

  constructor(config: unknown) {
    // The document without its entries, whose closing brace the entries go before.
    const head = JSON.stringify({ config }, null, 2);
    this.push(head === '{}' ? '{\n  "entries": [' : `${head.slice(0, -2)},\n  "entries": [`);
  }

  /** Adds the row of `entry` (its key as text when printable, its value by type or text). */
  add(entry: ManifestEntry): void {
    const keyText = printableText(entry.key);
    const shown = exportValue(entry.value, entry.type);
    this.push(
      (this.count === 0 ? '\n    {\n      ' : ',\n    {\n      ') +
        (keyText === undefined
          ? `"key_hex": "${bytesToHex(entry.key)}"`
          : `"key": ${JSON.stringify(keyText)}`) +
        // Encodings are plain names and hex is digits: only text needs JSON's escaping.
        `,\n      "encoding": "${shown.encoding}",\n      "value": ${shown.encoding === 'hex' ? `"${shown.value}"` : JSON.stringify(shown.value)}\n    }`,
    );
    this.count++;
  }

  /** The whole text, in chunks to write one after the other (it ends with a newline). */
  finish(): string[] {
    this.push(`${this.count === 0 ? ']' : '\n  ]'}\n}\n`);
    this.chunks.push(this.parts.join(''));
    this.parts = [];
    this.partsChars = 0;
    return this.chunks;
  }

  private push(text: string): void {
    this.parts.push(text);
    this.partsChars += text.length;
    if (this.partsChars >= MANIFEST_CHUNK_CHARS) {
      this.chunks.push(this.parts.join(''));
      this.parts = [];
      this.partsChars = 0;
    }
  }
}

/**
 * A JSON manifest of `entries` (with `config`), as `create` reads it: the text of
 * `JSON.stringify({ config, entries: rows }, null, 2)` and a newline.
 */
export function manifestJson(config: unknown, entries: readonly ManifestEntry[]): string {
  const writer = new JsonManifestWriter(config);
  for (const entry of entries) writer.add(entry);
  return writer.finish().join('');
}

/** A CSV manifest of `entries`; fails for keys that are not printable text (use JSON). */
export function manifestCsv(entries: readonly ManifestEntry[]): string {
  const rows = entries.map(({ key, value, type }) => {
    const keyText = printableText(key);
    if (keyText === undefined || /[\r\n]/.test(keyText)) {
      cliFail(`key 0x${bytesToHex(key)} is not printable text: export as JSON (--format json)`);
    }
    const { encoding, value: text } = exportValue(value, type);
    // Text with line breaks or edge spaces would not survive a trimmed CSV: write it as hex.
    return (text === text.trim() && !/[\r\n]/.test(text)) || encoding !== 'string'
      ? [keyText, 'data', encoding, text]
      : [keyText, 'data', 'hex', bytesToHex(value)];
  });
  return stringify([['key', 'type', 'encoding', 'value'], ...rows], { quoted_match: /^#/ });
}
