// Erased-flash checks for the image tools; entries themselves are decoded by
// src/format/entry-codec.ts.

/** True if the 4 bytes at `address` read as erased flash. */
export function isErasedWord(bytes: Uint8Array, address: number): boolean {
  return (
    bytes[address] === 0xff &&
    bytes[address + 1] === 0xff &&
    bytes[address + 2] === 0xff &&
    bytes[address + 3] === 0xff
  );
}

/** The first byte in [start, end) that is not 0xFF, or -1. */
export function firstUnerased(bytes: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; i++) if (bytes[i] !== 0xff) return i;
  return -1;
}
