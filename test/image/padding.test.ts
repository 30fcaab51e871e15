// Damaged padding, as the real pw_kvs sees it (test/fixtures/padding, recorded from the pw_kvs
// oracle): a non-zero byte in an entry's zero padding passes a read (verify-on-read counts the
// padding as zeros) but fails init (it checks the padding as stored), so the key a running
// device reads is gone, or older, after the next boot. The scan must call it corruption.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkImage } from '../../src/image/check.js';
import { openImageBytes } from '../../src/image/open.js';
import { PADDING_REASON, scanImage, valueBeforeBoot } from '../../src/image/scan.js';
import { parseScenario } from '../../src/scenario/scenario.js';
import { runScenario } from '../../src/scenario/run-scenario.js';
import { utf8Encode } from '../../src/utf8.js';
import { comparable } from '../golden/compare.js';
import {
  PADDING_CASES as CASES,
  paddingCase,
  paddingConfig as configOf,
  paddingDump,
} from '../helpers/padding.js';

const CAL5 = utf8Encode('cal/5');

describe('damaged padding: flashkv does what pw_kvs did', () => {
  it.each(CASES.map((testCase) => [testCase.id, testCase] as const))(
    '%s: the same statuses and values before and after the reboot',
    (_id, testCase) => {
      const report = runScenario(parseScenario(testCase.scenario));
      expect(report.results.map((result) => comparable(result as Record<string, unknown>))).toEqual(
        testCase.results.map(comparable),
      );
    },
  );

  it.each(CASES.map((testCase) => [testCase.id, testCase] as const))(
    '%s: the dump is the flash flashkv writes for the same ops',
    (_id, testCase) => {
      const dump = paddingDump(testCase.id);
      expect(createHash('sha256').update(dump).digest('hex')).toBe(testCase.dump_sha256);
      const prefix = {
        ...testCase.scenario,
        ops: testCase.scenario.ops.slice(0, testCase.prefix_ops),
      };
      expect(runScenario(parseScenario(prefix)).image).toEqual(dump);
    },
  );
});

describe('damaged padding: the scan calls it what init will make of it', () => {
  it('the only entry of a key: corrupt, its sector corrupt, the key lost at the next boot', () => {
    const testCase = paddingCase('lost');
    const config = configOf(testCase);
    const dump = paddingDump('lost');
    const scan = scanImage(dump, config);
    const entry = scan.entries.find((found) => found.address === 0x1020)!;
    expect(entry).toMatchObject({ keyText: 'cal/5', state: 'corrupt', reason: PADDING_REASON });
    expect(scan.entryCounts).toEqual({ live: 1, tombstone: 0, stale: 0, corrupt: 1 });
    expect(scan.sectors[1]!.corruptBytes).toBeGreaterThan(0);
    expect(scan.liveKeys).toBe(1);
    const kinds = scan.problems.map((problem) => problem.kind);
    expect(kinds).toEqual(['corrupt-data', 'damaged-padding']);
    expect(scan.problems[0]!.message).toContain(
      'entry of key cal/5 fails its checksum as stored (padding)',
    );
    expect(scan.problems[1]).toMatchObject({ sector: 1, address: 0x1020 });
    expect(scan.problems[1]!.message).toMatch(/^key cal\/5 will be lost at the next boot/);
    // What a running device reads now (pw_kvs's get before the reboot: "xyz").
    const before = testCase.results.find((result) => result.op === 'get')!;
    expect(before).toMatchObject({ status: 'OK', value_hex: '78797a' });
    expect(valueBeforeBoot(dump, scan, CAL5)).toEqual(utf8Encode('xyz'));
    // The store flashkv opens is the next boot: the key is gone, as pw_kvs's reboot found.
    expect(openImageBytes(dump, config).store.get(CAL5)).toBeUndefined();
  });

  it('a key written twice: the next boot reads its older value', () => {
    const testCase = paddingCase('older-value');
    const dump = paddingDump('older-value');
    const scan = scanImage(dump, configOf(testCase));
    const damaged = scan.problems.filter((problem) => problem.kind === 'damaged-padding');
    expect(damaged).toHaveLength(1);
    expect(damaged[0]!.message).toMatch(
      /^key cal\/5 will go back to an older value at the next boot/,
    );
    expect(scan.entries.map((entry) => entry.state)).toEqual(['live', 'live', 'corrupt']);
    const after = testCase.results.filter((result) => result.op === 'get').at(-1)!;
    expect(after).toMatchObject({ status: 'OK', value_hex: '6f6c64' });
    expect(openImageBytes(dump, configOf(testCase)).store.get(CAL5)).toEqual(utf8Encode('old'));
  });

  it('manual recovery: init reports DATA_LOSS, as pw_kvs did', () => {
    const testCase = paddingCase('manual-recovery');
    const init = testCase.results.filter((result) => result.op === 'init').at(-1)!;
    expect(init.status).toBe('DATA_LOSS');
    const scan = scanImage(paddingDump('manual-recovery'), configOf(testCase));
    expect(scan.problems.map((problem) => problem.kind)).toContain('damaged-padding');
  });

  it("a deleted key's tombstone: the key comes back with its older value", () => {
    const testCase = paddingCase('tombstone');
    const scan = scanImage(paddingDump('tombstone'), configOf(testCase));
    const damaged = scan.problems.filter((problem) => problem.kind === 'damaged-padding');
    expect(damaged.map((problem) => problem.message)).toEqual([
      expect.stringMatching(
        /^deleted key cal\/5 will come back with an older value at the next boot/,
      ),
    ]);
    expect(testCase.results.filter((result) => result.op === 'get').at(-1)).toMatchObject({
      status: 'OK',
      value_hex: '6f6c64',
    });
    // A tombstone has no value for a running device to read.
    expect(valueBeforeBoot(paddingDump('tombstone'), scan, CAL5)).toBeUndefined();
  });

  it('another intact copy keeps the key: corrupt data and a missing copy, nothing lost', () => {
    const testCase = paddingCase('redundant-copy');
    const scan = scanImage(paddingDump('redundant-copy'), configOf(testCase));
    expect(scan.problems.map((problem) => problem.kind)).toEqual([
      'corrupt-data',
      'missing-copies',
    ]);
    expect(scan.entries.map((entry) => [entry.state, entry.reason])).toEqual([
      ['corrupt', PADDING_REASON],
      ['live', undefined],
    ]);
  });

  it("the inspector's verdict (checkImage) carries the kind, sector and address as data", () => {
    const testCase = paddingCase('lost');
    const verdict = checkImage(openImageBytes(paddingDump('lost'), configOf(testCase)));
    expect(verdict.ok).toBe(false);
    expect(verdict.problems).toContainEqual(
      expect.objectContaining({ kind: 'damaged_padding', sector: 1, address: 0x1020 }),
    );
  });

  it('padding as zeros is no problem: the same entries, undamaged, scan clean', () => {
    const testCase = paddingCase('lost');
    const dump = paddingDump('lost');
    const repaired = dump.slice();
    repaired[0x1039] = 0; // The flipped byte back to zero.
    const scan = scanImage(repaired, configOf(testCase));
    expect(scan.problems).toEqual([]);
    expect(scan.liveKeys).toBe(2);
  });
});
