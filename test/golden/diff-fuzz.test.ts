import { readFileSync, readdirSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { differences, withPwKvsListedKeys } from '../../src/scenario/compare.js';
import { type OpResult, runScenario } from '../../src/scenario/run-scenario.js';
import { parseScenario } from '../../src/scenario/scenario.js';

// Differences the differential fuzzer found (npm run diff-fuzz, docs/diff-fuzz.md), shrunk and
// recorded with the real pw_kvs's results and final image, so no oracle is needed here. Each one
// is a key whose key_length byte was damaged so that it runs into zero padding: pw_kvs lists the
// key cut at its first 0x00 byte, flashkv the whole key (docs/compatibility.md, "Found by
// differential fuzzing"). Everything else — statuses, values, stats, the image, the counters —
// must match pw_kvs exactly.
const DIR = new URL('../fixtures/diff-fuzz/', import.meta.url);
const NAMES = readdirSync(DIR)
  .filter((name) => name.endsWith('.json'))
  .map((name) => name.slice(0, -'.json'.length))
  .sort();

type Json = Record<string, unknown>;

function load(name: string) {
  const record = JSON.parse(readFileSync(new URL(`${name}.json`, DIR), 'utf8')) as {
    scenario: Json;
    expected: { results: Json[]; flash: Json; image_out: string };
  };
  const image = (file: string) =>
    new Uint8Array(gunzipSync(readFileSync(new URL(`${file}.gz`, DIR))));
  const imageIn =
    typeof record.scenario.image_in === 'string' ? image(record.scenario.image_in) : undefined;
  return { ...record, imageIn, imageOut: image(record.expected.image_out) };
}

function listedKeys(results: readonly Json[]): string[] {
  return results
    .filter((result) => result.op === 'list')
    .flatMap((result) => (result.items as Json[]).map((item) => String(item.key_hex)));
}

describe('differences found by differential fuzzing, recorded from pw_kvs', () => {
  it('has cases', () => {
    expect(NAMES.length).toBeGreaterThan(0);
  });

  it.each(NAMES)('%s: matches pw_kvs but for the whole listed key', (name) => {
    const testCase = load(name);
    const report = runScenario(parseScenario(testCase.scenario), testCase.imageIn);
    expect(differences(withPwKvsListedKeys(report), testCase.expected, testCase.imageOut)).toEqual(
      [],
    );
    // The deviation itself: where pw_kvs's key stops at a 0x00, flashkv's goes on past it.
    const ours = listedKeys(report.results as OpResult[]);
    const theirs = listedKeys(testCase.expected.results);
    expect(ours).toHaveLength(theirs.length);
    const cut = ours.filter((key, i) => key !== theirs[i]);
    expect(cut.length).toBeGreaterThan(0);
    for (const [i, key] of ours.entries()) {
      if (key === theirs[i]) continue;
      expect(key.startsWith(`${theirs[i]!}00`)).toBe(true);
    }
  });
});
