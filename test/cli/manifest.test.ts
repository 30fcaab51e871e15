import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ManifestEntry,
  manifestCsv,
  manifestJson,
  parseManifest,
} from '../../src/cli/_manifest.js';
import { type ValueType, decodeTyped } from '../../src/image/value-types.js';
import { fcOptions } from '../helpers/fc.js';

const dir = mkdtempSync(join(tmpdir(), 'flashkv-manifest-'));

/** Distinct keys of 1..63 bytes with values of 0..64 bytes. */
function entries(key: fc.Arbitrary<Uint8Array>): fc.Arbitrary<ManifestEntry[]> {
  return fc.uniqueArray(fc.record({ key, value: fc.uint8Array({ maxLength: 64 }) }), {
    maxLength: 12,
    selector: (entry) => Buffer.from(entry.key).toString('hex'),
  });
}

const anyKey = fc.uint8Array({ minLength: 1, maxLength: 63 });
// CSV keys are text: printable, no edge spaces (CSV fields are trimmed); # and quotes are fine.
const textKey = fc
  .string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 20 })
  .filter((text) => text === text.trim())
  .map((text) => new TextEncoder().encode(text));

function roundTrip(text: string, extension: string): ManifestEntry[] {
  const path = join(dir, `m.${extension}`);
  writeFileSync(path, text);
  return [...parseManifest(path, text).entries];
}

const plain = (list: readonly ManifestEntry[]): unknown =>
  list.map(({ key, value }) => [
    Buffer.from(key).toString('hex'),
    Buffer.from(value).toString('hex'),
  ]);

describe('manifests round-trip', () => {
  it('JSON: any keys and values come back as they went out, in order', () => {
    fc.assert(
      fc.property(entries(anyKey), (list) => {
        expect(plain(roundTrip(manifestJson({}, list), 'json'))).toEqual(plain(list));
      }),
      fcOptions(200),
    );
  });

  it('CSV: text keys and any values come back as they went out, in order', () => {
    fc.assert(
      fc.property(entries(textKey), (list) => {
        expect(plain(roundTrip(manifestCsv(list), 'csv'))).toEqual(plain(list));
      }),
      fcOptions(200),
    );
  });
});

describe('manifestJson', () => {
  /** The definition: the document as JSON.stringify indents it, and a newline. */
  function reference(config: unknown, list: readonly ManifestEntry[]): string {
    const rows = list.map(({ key, value, type }) => {
      const text = (bytes: Uint8Array): string | undefined => {
        try {
          const decoded = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
          // eslint-disable-next-line no-control-regex
          return /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(decoded)
            ? undefined
            : decoded;
        } catch {
          return undefined;
        }
      };
      const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
      const keyText = text(key);
      const valueText = text(value);
      const typed = type === undefined ? undefined : decodeTyped(type, value);
      const shown =
        typed !== undefined
          ? { encoding: type!, value: typed }
          : valueText === undefined
            ? { encoding: 'hex', value: hex(value) }
            : { encoding: 'string', value: valueText };
      return keyText === undefined ? { key_hex: hex(key), ...shown } : { key: keyText, ...shown };
    });
    return `${JSON.stringify({ config, entries: rows }, null, 2)}\n`;
  }

  // Keys and values that are often text (quotes, backslashes, line breaks, non-ASCII).
  const textish = fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 20 }),
    fc
      .string({ unit: 'binary', minLength: 1, maxLength: 20 })
      .map((text) => new TextEncoder().encode(text)),
    fc
      .constantFrom('a"b', 'c\\d', 'line\nbreak', 'tab\there', 'é')
      .map((text) => new TextEncoder().encode(text)),
  );

  it('writes exactly what JSON.stringify writes, for any config and entries', () => {
    const config = fc.oneof(
      fc.constant(undefined),
      fc.constant({}),
      fc.record({ sector_size: fc.nat(), formats: fc.array(fc.record({ magic: fc.nat() })) }),
    );
    const typedValue = fc.oneof(
      fc.record({ key: textish, value: textish }),
      fc.record({
        key: textish,
        value: fc.uint8Array({ minLength: 4, maxLength: 4 }),
        type: fc.constantFrom<ValueType>('u32', 'i32', 'f32', 'u16'),
      }),
    );
    const list = fc.uniqueArray(typedValue, {
      maxLength: 6,
      selector: (entry) => Buffer.from(entry.key).toString('hex'),
    });
    fc.assert(
      fc.property(config, list, (c, l) => {
        expect(manifestJson(c, l)).toBe(reference(c, l));
      }),
      fcOptions(500),
    );
    expect(manifestJson({ a: 1 }, [])).toBe(
      '{\n  "config": {\n    "a": 1\n  },\n  "entries": []\n}\n',
    );
  });
});
