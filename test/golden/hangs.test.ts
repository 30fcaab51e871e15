import { describe, expect, it } from 'vitest';
import { FlashPartition } from '../../src/flash/flash-partition.js';
import { MemoryFlash } from '../../src/flash/memory-flash.js';
import { KeyValueStore } from '../../src/engine/key-value-store.js';
import { parseScenario } from '../../src/scenario/scenario.js';
import { runScenario, scenarioStoreOptions } from '../../src/scenario/run-scenario.js';
import { loadHang } from '../helpers/vectors.js';

function readableKeys(kvs: KeyValueStore): Map<string, string> {
  const values = new Map<string, string>();
  for (const item of kvs.items()) {
    try {
      values.set(Buffer.from(item.key).toString('hex'), Buffer.from(item.value()).toString('hex'));
    } catch {
      // Unreadable now; it was not readable "before" either.
    }
  }
  return values;
}

describe('damaged-dump-1: pw_kvs never returns from its partial maintenance', () => {
  const hang = loadHang('damaged-dump-1');
  const scenario = parseScenario(hang.scenario);

  it('finishes every operation with a status', () => {
    const report = runScenario(scenario, hang.imageIn);
    expect(report.results).toHaveLength(scenario.ops.length);
    expect(report.results.map((result) => result.op)).toEqual(scenario.ops.map((op) => op.op));
    // The op pw_kvs hangs on reports why it cannot relocate the damaged entry.
    expect(report.results[4]).toEqual({ op: 'partial_maintenance', status: 'INTERNAL' });
  });

  it('keeps every key that was readable before each operation', () => {
    const flash = new MemoryFlash({
      sectorSizeBytes: scenario.sectorSize,
      sectorCount: scenario.sectorCount,
      alignmentBytes: scenario.alignment,
      contents: hang.imageIn,
    });
    const kvs = new KeyValueStore(new FlashPartition(flash), scenarioStoreOptions(scenario));
    kvs.initStatus();
    const before = readableKeys(kvs);
    expect(before.size).toBeGreaterThan(0);
    for (let round = 0; round < 3; round++) {
      expect(kvs.partialMaintenanceStatus()).not.toBe('OK');
      kvs.fullMaintenanceStatus();
      kvs.heavyMaintenanceStatus();
      const after = readableKeys(kvs);
      for (const [key, value] of before) expect(after.get(key), key).toBe(value);
      // A fresh store over the same flash reads them too.
      const reopened = new KeyValueStore(new FlashPartition(flash), scenarioStoreOptions(scenario));
      reopened.initStatus();
      const reread = readableKeys(reopened);
      for (const [key, value] of before) expect(reread.get(key), key).toBe(value);
    }
  });
});
