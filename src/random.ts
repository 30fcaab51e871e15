// Seeded pseudo-random generators: every random choice flashkv makes (torture and fuzz
// workloads, torn power cuts, benchmark keys) comes from one of these, so a seed reproduces it.

/**
 * mulberry32: a small, fast 32-bit generator. Drives the torture and fuzz workloads; returns
 * unsigned 32-bit integers.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return (z ^ (z >>> 14)) >>> 0;
  };
}

/**
 * splitmix32: the 32-bit splitmix generator. Decides how much of a torn power cut lands;
 * returns unsigned 32-bit integers.
 */
export function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

const MASK_64 = (1n << 64n) - 1n;

/**
 * splitmix64, as docs/benchmarks.md defines it for the benchmark workloads (the same sequence
 * the pw_kvs harness draws): returns unsigned 64-bit integers.
 */
export function splitmix64(seed: bigint): () => bigint {
  let state = seed & MASK_64;
  return () => {
    state = (state + 0x9e3779b97f4a7c15n) & MASK_64;
    let z = state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK_64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK_64;
    return z ^ (z >> 31n);
  };
}
