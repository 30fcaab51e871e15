// Shrinks a failing scenario to a small one that still fails: drops operations (in halves, then
// quarters, … then one at a time), resets configuration fields to their defaults, and simplifies
// values, keys and faults, keeping every change under which the failure persists.
import type { GeneratedCase, ScenarioJson } from './random-scenario.js';

/** Says whether a candidate still shows the failure (and is a valid scenario for both sides). */
export type StillFails = (candidate: GeneratedCase) => Promise<boolean>;

/** What shrinking did. */
export interface ShrinkResult {
  case: GeneratedCase;
  /** Candidates tried (each one ran on both sides). */
  tries: number;
}

/** Configuration fields that can go back to their default. */
const OPTIONAL_FIELDS = [
  'extra_formats',
  'redundancy',
  'max_entries',
  'max_sectors',
  'gc_on_write',
  'recovery',
  'verify_on_read',
  'verify_on_write',
  'checksum',
  'magic',
  'partition_alignment',
];

function withOps(base: GeneratedCase, ops: Record<string, unknown>[]): GeneratedCase {
  return { ...base, scenario: { ...base.scenario, ops } };
}

function withConfig(base: GeneratedCase, scenario: ScenarioJson): GeneratedCase {
  return { ...base, scenario };
}

/** Simpler versions of one op, most simple first. */
function simplerOps(op: Record<string, unknown>): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const without = (...fields: string[]) => {
    if (!fields.some((field) => field in op)) return;
    const copy = { ...op };
    for (const field of fields) delete copy[field];
    out.push(copy);
  };
  if (typeof op.value_hex === 'string' && op.value_hex.length > 0) {
    const hex = op.value_hex;
    out.push({ ...op, value_hex: '' });
    if (hex.length > 2)
      out.push({ ...op, value_hex: hex.slice(0, 2 * Math.floor(hex.length / 4)) });
    if (hex.length > 2) out.push({ ...op, value_hex: hex.slice(0, hex.length - 2) });
    if (/[^0]/.test(hex)) out.push({ ...op, value_hex: '00'.repeat(hex.length / 2) });
  }
  if (typeof op.value_len === 'number' && op.value_len > 0) {
    const length = op.value_len;
    out.push({ ...op, value_len: 0 });
    if (length > 1) out.push({ ...op, value_len: Math.floor(length / 2) });
    out.push({ ...op, value_len: length - 1 });
    if (op.value_byte !== 0) out.push({ ...op, value_byte: 0 });
  }
  if (typeof op.key === 'string' && op.key.length > 1) {
    out.push({ ...op, key: op.key.slice(0, 1) });
    out.push({ ...op, key: op.key.slice(0, op.key.length - 1) });
  }
  if (typeof op.key_hex === 'string' && op.key_hex.length > 2) {
    out.push({ ...op, key_hex: op.key_hex.slice(0, 2) });
    out.push({ ...op, key_hex: op.key_hex.slice(0, op.key_hex.length - 2) });
  }
  without('buffer_size');
  without('offset');
  without('delay');
  without('times');
  without('address', 'size');
  if (op.op === 'corrupt' && op.xor !== 1) out.push({ ...op, xor: 1 });
  if (typeof op.hex === 'string' && op.hex.length > 2) out.push({ ...op, hex: op.hex.slice(0, 2) });
  return out;
}

/**
 * Shrinks `failing` while `stillFails` holds, spending at most `maxTries` candidates. The
 * result is a local minimum: no single step above makes a smaller case that still fails.
 */
export async function shrinkCase(
  failing: GeneratedCase,
  stillFails: StillFails,
  maxTries = 1500,
): Promise<ShrinkResult> {
  let best = failing;
  let tries = 0;
  const attempt = async (candidate: GeneratedCase): Promise<boolean> => {
    if (tries >= maxTries) return false;
    tries++;
    if (await stillFails(candidate)) {
      best = candidate;
      return true;
    }
    return false;
  };

  let progress = true;
  while (progress && tries < maxTries) {
    progress = false;

    // Drop runs of ops, longest runs first.
    for (
      let chunk = Math.ceil(best.scenario.ops.length / 2);
      chunk >= 1;
      chunk = chunk === 1 ? 0 : Math.ceil(chunk / 2)
    ) {
      for (let start = best.scenario.ops.length - chunk; start >= 0; start--) {
        const ops = best.scenario.ops;
        if (start + chunk > ops.length) continue;
        if (await attempt(withOps(best, [...ops.slice(0, start), ...ops.slice(start + chunk)]))) {
          progress = true;
        }
      }
    }

    // Start from an erased flash.
    if (best.imageIn !== undefined) {
      if (await attempt({ scenario: best.scenario })) progress = true;
    }

    // Configuration fields back to their defaults; fewer sectors.
    for (const field of OPTIONAL_FIELDS) {
      if (!(field in best.scenario)) continue;
      const rest = { ...best.scenario };
      delete rest[field];
      if (await attempt(withConfig(best, rest))) progress = true;
    }
    const count = best.scenario.sector_count;
    if (typeof count === 'number' && count > 2) {
      for (const fewer of [2, count - 1]) {
        if (await attempt(withConfig(best, { ...best.scenario, sector_count: fewer }))) {
          progress = true;
          break;
        }
      }
    }

    // Simpler values, keys and faults, op by op.
    for (let i = 0; i < best.scenario.ops.length; i++) {
      for (const simpler of simplerOps(best.scenario.ops[i]!)) {
        const ops = [...best.scenario.ops];
        ops[i] = simpler;
        if (await attempt(withOps(best, ops))) {
          progress = true;
          break;
        }
      }
    }
  }
  return { case: best, tries };
}
