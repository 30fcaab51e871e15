// Byte-building helpers for the conformance suite: expected entries are spelled out field by
// field here, never through flashkv's encoder, as pw_kvs's tests spell them with bytes::Concat.

/** A u32, little-endian (the on-flash byte order). */
export function u32(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff];
}

/** A u16, little-endian. */
export function u16(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff];
}

/** The bytes of an ASCII/UTF-8 string (no terminating NUL). */
export function str(text: string): number[] {
  return [...new TextEncoder().encode(text)];
}

/** `count` zero bytes. */
export function zeros(count: number): number[] {
  return new Array<number>(count).fill(0);
}

/** Concatenates byte lists into one Uint8Array. */
export function concat(...parts: (readonly number[] | Uint8Array)[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((part) => [...part]));
}

/** UTF-8 bytes of `text`. */
export function text(value: string): Uint8Array {
  return new TextEncoder().encode(value);
}
