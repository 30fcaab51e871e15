// Loads the damaged-padding cases recorded from the real pw_kvs (test/fixtures/padding): per
// case, a scenario with pw_kvs's results and the dump of the flash after the damage.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { ImageConfig } from '../../src/image/config.js';
import { caseConfig } from '../image/_images.js';
import type { VectorCase, VectorScenario } from './vectors.js';

/** One case: `scenario.ops[0 .. prefix_ops)` make the dump; the rest reads, reboots, reads. */
export interface PaddingCase {
  id: string;
  note: string;
  prefix_ops: number;
  scenario: VectorScenario;
  results: Record<string, unknown>[];
  dump: string;
  dump_sha256: string;
}

export const PADDING_FIXTURES = new URL('../fixtures/padding/', import.meta.url);

export const PADDING_CASES = (
  JSON.parse(readFileSync(new URL('cases.json', PADDING_FIXTURES), 'utf8')) as {
    cases: PaddingCase[];
  }
).cases;

export function paddingCase(id: string): PaddingCase {
  const found = PADDING_CASES.find((testCase) => testCase.id === id);
  if (found === undefined) throw new Error(`no padding case ${id}`);
  return found;
}

/** The case's dump: the flash of the running device after the damage. */
export function paddingDump(id: string): Uint8Array {
  return new Uint8Array(gunzipSync(readFileSync(new URL(`${id}.bin.gz`, PADDING_FIXTURES))));
}

/** The case's config as an image config. */
export function paddingConfig(testCase: PaddingCase): ImageConfig {
  return caseConfig({ scenario: testCase.scenario } as VectorCase);
}
