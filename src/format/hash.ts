/**
 * The 32-bit hash that identifies a key in RAM: h = Σ byte_i × 65599^(i+1) mod 2^32, with each
 * byte sign-extended first (pw_kvs hashes `char`, which is signed on the platforms whose images
 * flashkv reads). Two keys with the same hash cannot both be stored.
 */
export function hashKey(key: Uint8Array): number {
  let hash = 0;
  let coefficient = 65599;
  for (let i = 0; i < key.length; i++) {
    const byte = key[i]!;
    const signed = byte >= 0x80 ? byte - 0x100 : byte;
    hash = (hash + Math.imul(coefficient, signed)) >>> 0;
    coefficient = Math.imul(coefficient, 65599) >>> 0;
  }
  return hash >>> 0;
}
