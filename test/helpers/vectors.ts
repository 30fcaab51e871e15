// Loads the reference cases produced by the real pw_kvs (vendored under test/fixtures/vectors,
// images gzip-compressed) so the suite runs on a fresh clone. Node-only: tests use it, src never.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

/** Root of the vendored reference cases (`cases/`, `images/`, `hangs/`, `README.md`). */
export const VECTORS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/vectors');
const CASES_DIR = join(VECTORS_DIR, 'cases');
const HANGS_DIR = join(VECTORS_DIR, 'hangs');

/** One operation of a scenario, as written in the case file (`{"op": "put", "key": …}`). */
export type VectorOp = Record<string, unknown> & { op: string };

/**
 * A scenario as written in a case file (the input format of `flashkv run`). Only `ops` and
 * `image_in` are typed; the configuration fields are read by the scenario parser.
 */
export type VectorScenario = Record<string, unknown> & {
  ops: VectorOp[];
  /** Starting flash contents, relative to the case file's folder; uncompressed name. */
  image_in?: string | null;
};

/** What pw_kvs reported for one operation: `op`, `status` and op-specific fields. */
export type VectorResult = Record<string, unknown> & { op: string; status: string };

/** What pw_kvs did: every op result, the flash counters and the final image. */
export interface VectorExpected {
  results: VectorResult[];
  /** `bytes_written`, `erase_calls`, `sector_erase_counts`, `bytes_read`, `read_calls`, `write_calls`. */
  flash: Record<string, unknown>;
  /** Final flash contents, relative to the case file's folder; uncompressed name. */
  image_out: string;
  /** Lower-case hex SHA-256 of the final flash contents. */
  image_sha256: string;
}

/** One reference case: the scenario, what pw_kvs did, and the images (decompressed). */
export interface VectorCase {
  id: string;
  family: string;
  scenario: VectorScenario;
  expected: VectorExpected;
  /** Present when the scenario has `image_in`; may be shorter than the flash. */
  imageIn?: Uint8Array;
  imageOut: Uint8Array;
}

/** A scenario on which pw_kvs itself never returns (see the vectors README). */
export interface VectorHang {
  id: string;
  note: string;
  scenario: VectorScenario;
  imageIn: Uint8Array;
}

/** Reads `<relative>.gz` resolved against `folder` and decompresses it. */
function readImage(folder: string, relative: string): Uint8Array {
  return new Uint8Array(gunzipSync(readFileSync(`${resolve(folder, relative)}.gz`)));
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

/** Case ids (`basic-000`, …), sorted, optionally only those of one family. */
export function listCases(family?: string): string[] {
  return readdirSync(CASES_DIR)
    .filter((name) => name.endsWith('.json'))
    .map((name) => name.slice(0, -'.json'.length))
    .filter((id) => family === undefined || id.startsWith(`${family}-`))
    .sort();
}

/** Loads a case with its images. Throws if the case or one of its images is missing. */
export function loadCase(id: string): VectorCase {
  const json = readJson(join(CASES_DIR, `${id}.json`));
  const scenario = json.scenario as VectorScenario;
  const expected = json.expected as VectorExpected;
  const testCase: VectorCase = {
    id,
    family: json.family as string,
    scenario,
    expected,
    imageOut: readImage(CASES_DIR, expected.image_out),
  };
  if (typeof scenario.image_in === 'string') {
    testCase.imageIn = readImage(CASES_DIR, scenario.image_in);
  }
  return testCase;
}

/** Names of the hang scenarios (`damaged-dump-1`, …), sorted. */
export function listHangs(): string[] {
  return readdirSync(HANGS_DIR)
    .filter((name) => name.endsWith('.json'))
    .map((name) => name.slice(0, -'.json'.length))
    .sort();
}

/** Loads a scenario on which pw_kvs itself never returns, with its starting image. */
export function loadHang(name: string): VectorHang {
  const json = readJson(join(HANGS_DIR, `${name}.json`));
  const scenario = json.scenario as VectorScenario;
  if (typeof scenario.image_in !== 'string') throw new Error(`hang ${name} has no image_in`);
  return {
    id: typeof json.id === 'string' ? json.id : name,
    note: json.note as string,
    scenario,
    imageIn: readImage(HANGS_DIR, scenario.image_in),
  };
}
