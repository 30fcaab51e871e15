import { bytesToHex } from '../bytes.js';
import { FlashPartition } from '../flash/flash-partition.js';
import { MemoryFlash } from '../flash/memory-flash.js';
import { KeyValueStore, type KeyValueStoreOptions } from '../engine/key-value-store.js';
import { entryFormat } from '../format/entry-format.js';
import type { FlashResult } from '../flash/flash-memory.js';
import type { StatusCode } from '../status.js';
import type { Scenario, ScenarioOp } from './scenario.js';
import { utf8Decode } from '../utf8.js';

/** One op's outcome, in the reference cases' JSON shape. */
export type OpResult = { op: string; status: StatusCode } & Record<string, unknown>;

/** Flash counters over a whole scenario. */
export interface FlashReport {
  bytes_written: number;
  erase_calls: number;
  sector_erase_counts: number[];
  bytes_read: number;
  read_calls: number;
  write_calls: number;
}

/** What running a scenario produced. */
export interface ScenarioReport {
  results: OpResult[];
  flash: FlashReport;
  /** The flash contents after the last op. */
  image: Uint8Array;
}

/** The key fields of a result: text when it decodes, and hex when it is not plain ASCII. */
function keyFields(key: Uint8Array): Record<string, string> {
  const ascii = key.every((byte) => byte < 0x80);
  const text = utf8Decode(key, true);
  const fields: Record<string, string> = {};
  if (text !== undefined) fields.key = text;
  if (!ascii || text === undefined) fields.key_hex = bytesToHex(key);
  return fields;
}

/** A read's result fields: status, size, and value_hex when anything was read. */
function readFields(buffer: Uint8Array, result: FlashResult): Record<string, unknown> {
  const fields: Record<string, unknown> = { status: result.status, size: result.size };
  if (result.status === 'OK' || result.size > 0) {
    fields.value_hex = bytesToHex(buffer.subarray(0, result.size));
  }
  return fields;
}

/** A u64 as a number when that is exact, else as a bigint (see {@link scenarioReportJson}). */
function exactNumber(value: bigint): number | bigint {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/**
 * The results and flash counters of a report as JSON text, as the reference cases hold them.
 * Integers are printed exactly, also the u64 statistics beyond 2^53 (JSON.stringify cannot
 * print a bigint).
 */
export function scenarioReportJson(report: ScenarioReport, indent?: number): string {
  const data = { results: report.results, flash: report.flash };
  // Bigints go out as marked strings, then lose their quotes; the marker is made longer
  // until no other string holds it, so no key or value text can be mistaken for one.
  const plain = JSON.stringify(data, (_key, value: unknown) =>
    typeof value === 'bigint' ? 0 : value,
  );
  let marker = 'u64:';
  while (plain.includes(marker)) marker = `#${marker}`;
  const text = JSON.stringify(
    data,
    (_key, value: unknown) => (typeof value === 'bigint' ? `${marker}${value}` : value),
    indent,
  );
  return text.replace(new RegExp(`"${marker}([0-9]+)"`, 'g'), '$1');
}

/** The store options a scenario describes. */
export function scenarioStoreOptions(scenario: Scenario): KeyValueStoreOptions {
  return {
    formats: [
      entryFormat({ magic: scenario.magic, checksum: scenario.checksum }),
      ...scenario.extraFormats.map((format) => entryFormat(format)),
    ],
    maxEntries: scenario.maxEntries,
    maxSectors: scenario.maxSectors,
    redundancy: scenario.redundancy,
    gcOnWrite: scenario.gcOnWrite,
    recovery: scenario.recovery,
    verifyOnRead: scenario.verifyOnRead,
    verifyOnWrite: scenario.verifyOnWrite,
    // Scenarios reproduce pw_kvs, which drops keys beyond max_entries at init.
    surplusKeys: 'treatAsCorrupt',
    // Injected read faults count flash calls: issue exactly pw_kvs's.
    readStrategy: 'pwKvs',
    // Stated even where it matches the scenario default: the runner reproduces pw_kvs, and
    // the library's own default is the hardened store.
    powerLossHardening: scenario.powerLossHardening,
    keyHashChar: scenario.keyHashChar,
  };
}

/**
 * Runs a scenario on a fresh in-memory flash (starting from `imageIn` when given) and reports
 * every op's status and data, the flash counters and the final image — the same record the
 * reference cases hold for pw_kvs. `overrides` change store options (for example the read
 * strategy) on top of the scenario's. Throws INVALID_ARGUMENT for a configuration that cannot be
 * built (bad geometry, image larger than the flash).
 */
export function runScenario(
  scenario: Scenario,
  imageIn?: Uint8Array,
  overrides: Partial<KeyValueStoreOptions> = {},
): ScenarioReport {
  const flash = new MemoryFlash({
    sectorSizeBytes: scenario.sectorSize,
    sectorCount: scenario.sectorCount,
    alignmentBytes: scenario.alignment,
    ...(imageIn === undefined ? {} : { contents: imageIn }),
  });
  const partition = new FlashPartition(flash, { alignmentBytes: scenario.partitionAlignment });
  const options = { ...scenarioStoreOptions(scenario), ...overrides };
  let kvs = new KeyValueStore(partition, options);
  const results: OpResult[] = [];
  for (const op of scenario.ops) {
    if (op.op === 'reboot') {
      kvs = new KeyValueStore(partition, options);
      results.push({ op: op.op, status: 'OK' });
      continue;
    }
    results.push(runOp(kvs, flash, scenario, op));
  }
  const counters = flash.counters;
  return {
    results,
    flash: {
      bytes_written: counters.bytesWritten,
      erase_calls: counters.eraseCalls,
      sector_erase_counts: [...counters.sectorEraseCounts],
      bytes_read: counters.bytesRead,
      read_calls: counters.readCalls,
      write_calls: counters.writeCalls,
    },
    image: flash.snapshot(),
  };
}

function runOp(
  kvs: KeyValueStore,
  flash: MemoryFlash,
  scenario: Scenario,
  op: ScenarioOp,
): OpResult {
  switch (op.op) {
    case 'init':
      return { op: op.op, status: kvs.initStatus() };
    case 'put':
      return {
        op: op.op,
        ...keyFields(op.key),
        value_size: op.value.length,
        status: kvs.putStatus(op.key, op.value),
      };
    case 'delete':
      return { op: op.op, ...keyFields(op.key), status: kvs.deleteStatus(op.key) };
    case 'get': {
      const buffer = new Uint8Array(op.bufferSize ?? scenario.sectorSize);
      const read = readFields(buffer, kvs.readStatus(op.key, buffer, op.offset));
      return { op: op.op, ...keyFields(op.key), ...read } as OpResult;
    }
    case 'value_size': {
      const { status, size } = kvs.valueSizeStatus(op.key);
      return { op: op.op, ...keyFields(op.key), status, size };
    }
    case 'partial_maintenance':
      return { op: op.op, status: kvs.partialMaintenanceStatus() };
    case 'full_maintenance':
      return { op: op.op, status: kvs.fullMaintenanceStatus() };
    case 'heavy_maintenance':
      return { op: op.op, status: kvs.heavyMaintenanceStatus() };
    case 'list': {
      const items = [];
      for (const item of kvs.items()) {
        const buffer = new Uint8Array(scenario.sectorSize);
        const read = readFields(buffer, item.readStatus(buffer));
        items.push({
          ...keyFields(item.key),
          key_hex: bytesToHex(item.key),
          status: read.status,
          value_hex: read.value_hex ?? '',
        });
      }
      return { op: op.op, status: 'OK', count: items.length, items };
    }
    case 'stats': {
      const stats = kvs.storageStats();
      return {
        op: op.op,
        status: 'OK',
        stats: {
          writable_bytes: stats.writableBytes,
          in_use_bytes: stats.inUseBytes,
          reclaimable_bytes: exactNumber(kvs.reclaimableBytesU64()),
          sector_erase_count: stats.sectorEraseCount,
          corrupt_sectors_recovered: stats.corruptSectorsRecovered,
          missing_redundant_entries_recovered: stats.missingRedundantEntriesRecovered,
          size: kvs.size,
          transaction_count: kvs.transactionCount,
          error_detected: kvs.errorDetected,
          total_entries_with_deleted: kvs.totalEntriesWithDeleted,
          max_size: kvs.maxSize,
          redundancy: kvs.redundancy,
          initialized: kvs.isReady,
          max_key_value_size_bytes: kvs.maxKeyValueSizeBytes,
        },
      };
    }
    case 'check_for_errors':
      return { op: op.op, status: 'OK', errors: kvs.checkForErrors() };
    case 'corrupt':
      flash.corruptByte(op.address, op.xor);
      return { op: op.op, status: 'OK', address: op.address };
    case 'write_raw':
      flash.writeRaw(op.address, op.bytes);
      return { op: op.op, status: 'OK', address: op.address };
    case 'erase_sector':
      flash.eraseSectorRaw(op.sector);
      return { op: op.op, status: 'OK', sector: op.sector };
    case 'inject_read_error':
      flash.injectReadError(op.fault);
      return { op: op.op, status: 'OK' };
    case 'inject_write_error':
      flash.injectWriteError(op.fault);
      return { op: op.op, status: 'OK' };
    case 'clear_injected_errors':
      flash.clearInjectedErrors();
      return { op: op.op, status: 'OK' };
    case 'schedule_power_cut':
      flash.schedulePowerCut(op.afterOps, { torn: op.torn, seed: op.seed });
      return { op: op.op, status: 'OK' };
    case 'power_up':
      flash.powerUp();
      return { op: op.op, status: 'OK' };
    case 'reboot':
      return { op: op.op, status: 'OK' };
  }
}
