import { mulberry32 } from '../random.js';
import { utf8Encode } from '../utf8.js';

/** One step of a torture workload. */
export type WorkloadOp =
  | { op: 'put'; key: Uint8Array; value: Uint8Array }
  | { op: 'delete'; key: Uint8Array }
  | { op: 'partial_maintenance' | 'full_maintenance' | 'heavy_maintenance' };

/** Shape of a generated workload. */
export interface WorkloadOptions {
  /** Operations to generate. */
  ops: number;
  /** Distinct keys drawn from (a small pool forces overwrites and garbage collection). */
  keys: number;
  /** Largest value in bytes. */
  maxValueBytes: number;
  seed: number;
}

/**
 * A seeded random workload: mostly puts (new keys and overwrites of a small pool), some
 * deletes, and now and then a maintenance pass.
 */
export function generateWorkload(options: WorkloadOptions): WorkloadOp[] {
  const random = mulberry32(options.seed);
  const keys = Array.from({ length: options.keys }, (_, i) => utf8Encode(`k${i}`));
  const ops: WorkloadOp[] = [];
  for (let i = 0; i < options.ops; i++) {
    const roll = random() % 100;
    const key = keys[random() % keys.length]!;
    if (roll < 75) {
      const value = new Uint8Array(random() % (options.maxValueBytes + 1));
      for (let j = 0; j < value.length; j++) value[j] = random() & 0xff;
      ops.push({ op: 'put', key, value });
    } else if (roll < 92) {
      ops.push({ op: 'delete', key });
    } else if (roll < 96) {
      ops.push({ op: 'partial_maintenance' });
    } else if (roll < 99) {
      ops.push({ op: 'full_maintenance' });
    } else {
      ops.push({ op: 'heavy_maintenance' });
    }
  }
  return ops;
}
