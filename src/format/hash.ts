/**
 * How pw_kvs's key hash reads a key byte: as a signed `char` (x86, and the platforms whose
 * images flashkv's reference cases come from) or an unsigned one (ARM, so most Cortex-M
 * firmware). The two hashes differ only for keys with a byte ≥ 0x80.
 */
export type KeyHashChar = 'signed' | 'unsigned';

/**
 * The 32-bit hash that identifies a key in RAM: h = Σ c_i × 65599^(i+1) mod 2^32, where c_i is
 * byte i read as pw_kvs's `char` is on the target: sign-extended for `signed` (the default),
 * as is for `unsigned`. Two keys with the same hash cannot both be stored.
 */
export function hashKey(key: Uint8Array, char: KeyHashChar = 'signed'): number {
  return hashKeyRange(key, 0, key.length, char);
}

/** {@link hashKey} of the key held in `bytes[start..end)`. */
export function hashKeyRange(
  bytes: Uint8Array,
  start: number,
  end: number,
  char: KeyHashChar = 'signed',
): number {
  const signExtend = char === 'signed';
  let hash = 0;
  let coefficient = 65599;
  for (let i = start; i < end; i++) {
    const byte = bytes[i]!;
    const value = signExtend && byte >= 0x80 ? byte - 0x100 : byte;
    hash = (hash + Math.imul(coefficient, value)) >>> 0;
    coefficient = Math.imul(coefficient, 65599) >>> 0;
  }
  return hash >>> 0;
}
