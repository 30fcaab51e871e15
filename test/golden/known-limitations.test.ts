import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAGIC } from '../../src/format/entry-format.js';
import { parseScenario } from '../../src/scenario/scenario.js';
import { runScenario } from '../../src/scenario/run-scenario.js';

// Cases where pw_kvs aborts or writes the wrong bytes, and what flashkv does instead (docs/compatibility.md,
// "Where flashkv departs"). Each fixture's note says what pw_kvs's source does there.
function load(name: string) {
  const json = JSON.parse(
    readFileSync(new URL(`../fixtures/known-limitations/${name}.json`, import.meta.url), 'utf8'),
  ) as unknown;
  return runScenario(parseScenario(json));
}

describe('where pw_kvs fails and flashkv finishes', () => {
  it('reopened with smaller sectors: pw_kvs aborts on the put, flashkv stores the key elsewhere', () => {
    const report = load('resized-sectors-abort');
    expect(report.results.map((result) => result.status)).toEqual([
      'OK', // write_raw
      'OK', // init repairs the sector holding the entry's tail
      'OK', // stats
      'OK', // put: pw_kvs aborts here
      'OK', // get
      'OK', // reboot
      'OK', // init
      'OK', // list
    ]);
    const stats = (report.results[2] as unknown as { stats: Record<string, unknown> }).stats;
    // Sector 1's wrapped counters: pw_kvs's size_t arithmetic, reproduced exactly.
    expect(stats.writable_bytes).toBe(65024 + 512 + 512);
    expect(stats.reclaimable_bytes).toBe(2n ** 64n - 65536n);
    expect(report.results[4]).toMatchObject({ size: 3, value_hex: '6e6577' });
    const list = report.results[7] as unknown as { items: { key: string; value_hex: string }[] };
    expect(list.items).toEqual([expect.objectContaining({ key: 'n', value_hex: '6e6577' })]);
    // Nothing was written into sector 1, whose accounting the long entry broke.
    const newEntry = report.image.findIndex(
      (_byte, i) => i % 16 === 0 && report.image[i + 16] === 0x6e && report.image[i + 9] === 1,
    );
    expect(newEntry).toBeGreaterThanOrEqual(0);
    expect(Math.floor(newEntry / 512)).not.toBe(1);
  });

  it('max_entries 1, redundancy 3: every copy carries the configured magic (pw_kvs writes an address)', () => {
    const report = load('swapped-address-list-magic');
    expect(report.results.map((result) => result.status)).toEqual(['OK', 'OK', 'OK', 'OK', 'OK']);
    expect(report.results[4]).toMatchObject({ size: 1, value_hex: '62' });
    const magics = [];
    for (let sector = 0; sector < 4; sector++) {
      const view = new DataView(report.image.buffer, report.image.byteOffset + sector * 512, 4);
      magics.push(view.getUint32(0, true));
    }
    expect(magics.filter((magic) => magic === DEFAULT_MAGIC)).toHaveLength(3);
    expect(magics.filter((magic) => magic === 0xffffffff)).toHaveLength(1);
  });
});
