// Loads the reference cases produced by the real pw_kvs (vendored under test/fixtures/vectors,
// images gzip-compressed) so the suite runs on a fresh clone.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

export const VECTORS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/vectors');
const CASES_DIR = join(VECTORS_DIR, 'cases');
const HANGS_DIR = join(VECTORS_DIR, 'hangs');

type Json = Record<string, unknown>;

/** One reference case: the scenario, what pw_kvs did, and the images. */
export interface VectorCase {
  id: string;
  family: string;
  scenario: Json;
  expected: { results: Json[]; flash: Json; image_sha256: string };
  imageIn?: Uint8Array;
  imageOut: Uint8Array;
}

function readImage(folder: string, relative: string): Uint8Array {
  return new Uint8Array(gunzipSync(readFileSync(`${resolve(folder, relative)}.gz`)));
}

/** Case ids, sorted, optionally of one family. */
export function listCases(family?: string): string[] {
  return readdirSync(CASES_DIR)
    .filter((name) => name.endsWith('.json'))
    .map((name) => name.slice(0, -'.json'.length))
    .filter((id) => family === undefined || id.startsWith(`${family}-`))
    .sort();
}

/** Loads a case with its images. */
export function loadCase(id: string): VectorCase {
  const json = JSON.parse(readFileSync(join(CASES_DIR, `${id}.json`), 'utf8')) as Json;
  const scenario = json.scenario as Json;
  const expected = json.expected as VectorCase['expected'] & { image_out: string };
  const testCase: VectorCase = {
    id,
    family: json.family as string,
    scenario,
    expected,
    imageOut: readImage(CASES_DIR, expected.image_out),
  };
  if (typeof scenario.image_in === 'string')
    testCase.imageIn = readImage(CASES_DIR, scenario.image_in);
  return testCase;
}

/** Loads a scenario on which pw_kvs itself never returns, with its starting image. */
export function loadHang(name: string): { scenario: Json; note: string; imageIn: Uint8Array } {
  const json = JSON.parse(readFileSync(join(HANGS_DIR, `${name}.json`), 'utf8')) as Json;
  const scenario = json.scenario as Json;
  return {
    scenario,
    note: json.note as string,
    imageIn: readImage(HANGS_DIR, scenario.image_in as string),
  };
}
