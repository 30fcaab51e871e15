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
