import type { OpResult, ScenarioReport } from './run-scenario.js';

type Json = Record<string, unknown>;

/** The fields of an op result that must match pw_kvs exactly (vectors README). */
export function comparable(result: Json): Json {
  const projected: Json = { op: result.op, status: result.status };
  switch (result.op) {
    case 'get':
      projected.size = result.size;
      if (result.value_hex !== undefined) projected.value_hex = result.value_hex;
      break;
    case 'value_size':
      projected.size = result.size;
      break;
    case 'list':
      projected.items = (result.items as Json[]).map((item) => ({
        key_hex: item.key_hex,
        status: item.status,
        value_hex: item.value_hex,
      }));
      break;
    case 'stats':
      projected.stats = result.stats;
      break;
    case 'check_for_errors':
      projected.errors = result.errors;
      break;
  }
  return projected;
}

/** JSON text of a value whose integers may be bigints (u64 statistics), printed exactly. */
export function exactJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    typeof item === 'bigint' ? `${item}n` : item,
  );
}

/** Offset of the first differing byte, or -1 when equal. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** A short description of every way `report` differs from the expected record; empty if none. */
export function differences(
  report: ScenarioReport,
  expected: { results: Json[]; flash: Json },
  imageOut: Uint8Array,
): string[] {
  const problems: string[] = [];
  const actual = report.results as OpResult[];
  if (actual.length !== expected.results.length) {
    problems.push(`ran ${actual.length} ops, expected ${expected.results.length}`);
  }
  for (let i = 0; i < Math.min(actual.length, expected.results.length); i++) {
    const a = exactJson(comparable(actual[i]!));
    const e = exactJson(comparable(expected.results[i]!));
    if (a !== e) {
      problems.push(`op #${i}: got ${a.slice(0, 400)}\n        want ${e.slice(0, 400)}`);
      break;
    }
  }
  const at = firstDifference(report.image, imageOut);
  if (at !== -1) problems.push(`image differs first at 0x${at.toString(16)}`);
  if (report.flash.bytes_written !== expected.flash.bytes_written) {
    problems.push(
      `bytes_written ${report.flash.bytes_written}, want ${String(expected.flash.bytes_written)}`,
    );
  }
  if (
    JSON.stringify(report.flash.sector_erase_counts) !==
    JSON.stringify(expected.flash.sector_erase_counts)
  ) {
    problems.push(
      `sector_erase_counts ${JSON.stringify(report.flash.sector_erase_counts)}, want ${JSON.stringify(expected.flash.sector_erase_counts)}`,
    );
  }
  return problems;
}

/**
 * What kind of difference `report` has from the expected record, as a short stable label (the
 * first differing op's name and field, or `image`, `bytes_written`, `sector_erase_counts`,
 * `op_count`), or null when it matches. Shrinking keeps a case only while its label holds, so
 * that it does not wander off to another difference.
 */
export function differenceKind(
  report: ScenarioReport,
  expected: { results: Json[]; flash: Json },
  imageOut: Uint8Array,
): string | null {
  const actual = report.results as OpResult[];
  if (actual.length !== expected.results.length) return 'op_count';
  for (let i = 0; i < actual.length; i++) {
    const a = comparable(actual[i]!);
    const e = comparable(expected.results[i]!);
    if (exactJson(a) === exactJson(e)) continue;
    for (const field of Object.keys({ ...e, ...a })) {
      if (exactJson(a[field]) !== exactJson(e[field])) {
        if (field === 'stats') {
          const as = (a.stats ?? {}) as Json;
          const es = (e.stats ?? {}) as Json;
          const stat = Object.keys({ ...es, ...as }).find(
            (name) => exactJson(as[name]) !== exactJson(es[name]),
          );
          return `${String(e.op)}.stats.${stat ?? '?'}`;
        }
        return `${String(e.op)}.${field}`;
      }
    }
  }
  if (firstDifference(report.image, imageOut) !== -1) return 'image';
  if (report.flash.bytes_written !== expected.flash.bytes_written) return 'bytes_written';
  if (
    JSON.stringify(report.flash.sector_erase_counts) !==
    JSON.stringify(expected.flash.sector_erase_counts)
  ) {
    return 'sector_erase_counts';
  }
  return null;
}

/**
 * `report` with every listed key cut at its first 0x00 byte, as pw_kvs's iteration returns it
 * (it reads the key as a C string). flashkv lists the whole key on purpose
 * (docs/compatibility.md); comparing this projection shows that nothing else differs.
 */
export function withPwKvsListedKeys(report: ScenarioReport): ScenarioReport {
  const results = report.results.map((result) => {
    if (result.op !== 'list') return result;
    const items = (result.items as Json[]).map((item) => {
      const hex = String(item.key_hex);
      let cut = hex.length;
      for (let i = 0; i < hex.length; i += 2) {
        if (hex.slice(i, i + 2) === '00') {
          cut = i;
          break;
        }
      }
      return cut === hex.length ? item : { ...item, key_hex: hex.slice(0, cut) };
    });
    return { ...result, items };
  });
  return { ...report, results };
}
