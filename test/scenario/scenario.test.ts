import { describe, expect, it } from 'vitest';
import { KvsError } from '../../src/status.js';
import { parseScenario } from '../../src/scenario/scenario.js';
import { runScenario, scenarioReportJson } from '../../src/scenario/run-scenario.js';
import { hashKey } from '../../src/format/hash.js';

type Json = Record<string, unknown>;

function run(scenario: Json, image?: Uint8Array) {
  return runScenario(parseScenario(scenario), image);
}

function statsOf(result: unknown): Json {
  return (result as { stats: Json }).stats;
}

function expectInvalid(scenario: unknown, fieldNamed: string): void {
  let error: unknown;
  try {
    parseScenario(scenario);
  } catch (caught) {
    error = caught;
  }
  expect(KvsError.is(error, 'INVALID_ARGUMENT')).toBe(true);
  expect((error as Error).message).toContain(fieldNamed);
}

describe('exact u64 statistics', () => {
  // One 1017-byte entry fills sector 0 of a 2 × 1024 B image. Reopened as 4 × 512 B, sector 0
  // accounts 1024 valid bytes and a writable count of 512 - 1024 wrapped to 16 bits (65024):
  // its recoverable bytes are 512 - 1024 - 65024 = -65536 as size_t. Sector 1 (the value's
  // tail, no magic) is corrupt with 512 recoverable bytes; sectors 2 and 3 are erased.
  // pw_kvs's sum: 2^64 - 65536 + 512 = 18446744073709486592.
  const written = run({
    sector_size: 1024,
    sector_count: 2,
    ops: [{ op: 'init' }, { op: 'put', key: 'k', value_len: 1000, value_byte: 0 }],
  });
  const image = new Uint8Array(2048).fill(0xff);
  image.set(written.image);
  const reopened = run(
    {
      sector_size: 512,
      sector_count: 4,
      recovery: 'manual',
      ops: [{ op: 'init' }, { op: 'stats' }],
    },
    image,
  );

  it('wraps per-sector recoverable bytes as size_t and sums them mod 2^64', () => {
    expect(reopened.results[0]!.status).toBe('DATA_LOSS');
    const stats = statsOf(reopened.results[1]);
    expect(stats.reclaimable_bytes).toBe(18446744073709486592n);
    expect(stats.in_use_bytes).toBe(1024);
    // Sector 0's wrapped 65024 and sector 3's 512; sector 2 is the spare empty sector.
    expect(stats.writable_bytes).toBe(65024 + 512);
  });

  it('prints the u64 exactly in the JSON report', () => {
    const json = scenarioReportJson(reopened);
    expect(json).toContain('"reclaimable_bytes":18446744073709486592,');
    // And everything else as JSON.stringify does.
    const parsed = JSON.parse(json) as { results: Json[] };
    expect(parsed.results).toHaveLength(2);
  });

  it('keeps small values as plain numbers', () => {
    const report = run({
      ops: [{ op: 'init' }, { op: 'put', key: 'a', value_str: 'b' }, { op: 'stats' }],
    });
    expect(statsOf(report.results[2]).reclaimable_bytes).toBe(0);
    expect(scenarioReportJson(report)).toBe(
      JSON.stringify({ results: report.results, flash: report.flash }),
    );
  });

  it('never unquotes a key that looks like the bigint marker', () => {
    const report = run({ ops: [{ op: 'init' }, { op: 'put', key: 'u64:1', value_str: 'x' }] });
    expect(JSON.parse(scenarioReportJson(report, 1))).toEqual({
      results: report.results,
      flash: report.flash,
    });
  });
});

describe('stats before init', () => {
  it('after reboot and before init reports what pw_kvs does: no space, nothing initialized', () => {
    const report = run({
      sector_size: 512,
      sector_count: 4,
      ops: [
        { op: 'stats' },
        { op: 'init' },
        { op: 'put', key: 'a', value_str: 'b' },
        { op: 'reboot' },
        { op: 'stats' },
        { op: 'init' },
        { op: 'stats' },
      ],
    });
    const beforeInit = {
      writable_bytes: 0,
      in_use_bytes: 0,
      reclaimable_bytes: 0,
      sector_erase_count: 0,
      corrupt_sectors_recovered: 0,
      missing_redundant_entries_recovered: 0,
      size: 0,
      transaction_count: 0,
      error_detected: false,
      total_entries_with_deleted: 0,
      max_size: 256,
      redundancy: 1,
      initialized: false,
      max_key_value_size_bytes: 496,
    };
    expect(statsOf(report.results[0])).toEqual(beforeInit);
    expect(statsOf(report.results[4])).toEqual(beforeInit);
    expect(statsOf(report.results[6])).toMatchObject({
      writable_bytes: 3 * 512 - 32,
      in_use_bytes: 32,
      size: 1,
      transaction_count: 1,
      initialized: true,
    });
  });
});

describe('partition_alignment', () => {
  const ops = [{ op: 'init' }, { op: 'put', key: 'k', value_str: 'v' }, { op: 'stats' }];

  it('pads entries to a partition alignment larger than the flash alignment', () => {
    const flashOnly = run({ sector_size: 1024, alignment: 16, ops });
    const padded = run({ sector_size: 1024, alignment: 16, partition_alignment: 64, ops });
    expect(statsOf(flashOnly.results[2]).in_use_bytes).toBe(32);
    expect(statsOf(padded.results[2]).in_use_bytes).toBe(64);
    expect(padded.flash.bytes_written).toBe(64);
    // The header's alignment units say 64 bytes: (3 + 1) × 16.
    const at = padded.image.findIndex((byte) => byte !== 0xff);
    expect(at).toBe(flashOnly.image.findIndex((byte) => byte !== 0xff));
    expect(padded.image[at + 8]).toBe(3);
    expect(flashOnly.image[at + 8]).toBe(0);
    // The entry's padding is zeros, the rest of the sector erased.
    expect([...padded.image.subarray(at + 18, at + 64)].every((byte) => byte === 0)).toBe(true);
    expect(padded.image[at + 64]).toBe(0xff);
  });

  it('defaults to the flash alignment', () => {
    expect(parseScenario({ alignment: 32, ops: [] }).partitionAlignment).toBe(32);
  });

  it('refuses a partition alignment that is not a multiple of the flash alignment', () => {
    expect(() =>
      run({ sector_size: 1024, alignment: 32, partition_alignment: 48, ops: [] }),
    ).toThrow(KvsError);
  });
});

describe('unknown or unsupported scenario fields are errors', () => {
  it('refuses an unknown top-level field, naming it', () => {
    expectInvalid({ ops: [], partition_alignmnet: 64 }, 'partition_alignmnet');
  });

  it('refuses an unknown field of an op, naming the op', () => {
    expectInvalid({ ops: [{ op: 'put', key: 'a', value_str: 'b', offset: 3 }] }, "'offset'");
    expectInvalid({ ops: [{ op: 'init', force: true }] }, 'op #0 (init)');
  });

  it('refuses unknown fields of extra formats and torn power cuts', () => {
    expectInvalid({ extra_formats: [{ magic: 1, crc: 'x' }], ops: [] }, "'crc'");
    expectInvalid(
      { ops: [{ op: 'schedule_power_cut', after_ops: 1, torn: { landed: 3 } }] },
      "'landed'",
    );
  });

  it('accepts a note and expected values, which are for the reader', () => {
    expect(parseScenario({ note: 'why this case exists', ops: [] }).ops).toEqual([]);
    expect(parseScenario({ expected: { '6b31': ['00'] }, ops: [] }).ops).toEqual([]);
    expectInvalid({ note: 3, ops: [] }, 'note');
    expectInvalid({ expected: [], ops: [] }, 'expected');
  });

  it('refuses a key_hash_char other than signed or unsigned', () => {
    expectInvalid({ key_hash_char: 'arm', ops: [] }, 'key_hash_char');
  });
});

describe('key_hash_char', () => {
  // Key bytes ≥ 0x80: the two hashes differ, so an image written with one cannot be read
  // with the other; ASCII keys hash the same either way.
  const key = 'c3a9'; // "é"
  const write = (char: string) =>
    run({
      sector_size: 512,
      key_hash_char: char,
      ops: [{ op: 'init' }, { op: 'put', key_hex: key, value_str: 'v' }],
    });
  const readBack = (char: string, image: Uint8Array) =>
    run(
      {
        sector_size: 512,
        key_hash_char: char,
        ops: [
          { op: 'init' },
          { op: 'get', key_hex: key },
          { op: 'put', key_hex: key, value_str: 'w' },
        ],
      },
      image,
    );

  it('writes the same entry bytes either way: the hash lives only in RAM', () => {
    expect(write('signed').image).toEqual(write('unsigned').image);
  });

  it('finds a key by the hash it computes: an image opens under either choice', () => {
    const image = write('unsigned').image;
    expect(readBack('unsigned', image).results[1]!.status).toBe('OK');
    expect(readBack('signed', image).results[1]!.status).toBe('OK');
  });

  it('decides which keys collide: "é" collides with "5laA1" on ARM, with "2hcE2" on x86', () => {
    const puts = (char: string) =>
      run({
        sector_size: 512,
        key_hash_char: char,
        ops: [
          { op: 'init' },
          { op: 'put', key_hex: key, value_str: 'v' },
          { op: 'put', key: '5laA1', value_str: 'v' },
          { op: 'put', key: '2hcE2', value_str: 'v' },
        ],
      }).results.map((result) => result.status);
    expect(puts('unsigned')).toEqual(['OK', 'OK', 'ALREADY_EXISTS', 'OK']);
    expect(puts('signed')).toEqual(['OK', 'OK', 'OK', 'ALREADY_EXISTS']);
  });

  it('hashes bytes ≥ 0x80 differently, ASCII bytes alike', () => {
    const bytes = Uint8Array.of(0xc3, 0xa9);
    expect(hashKey(bytes, 'unsigned')).toBe((0xc3 * 65599 + 0xa9 * 65599 * 65599) % 2 ** 32);
    expect(hashKey(bytes, 'signed')).toBe(
      (((-0x3d * 65599 - 0x57 * 65599 * 65599) % 2 ** 32) + 2 ** 32) % 2 ** 32,
    );
    const ascii = new TextEncoder().encode('key-1');
    expect(hashKey(ascii, 'signed')).toBe(hashKey(ascii, 'unsigned'));
  });
});
