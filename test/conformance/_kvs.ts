// Store helpers for the ported key_value_store_* tests.
import { expect } from 'vitest';
import type { KeyValueStore, KeyValueStoreOptions } from '../../src/engine/key-value-store.js';
import type { ChecksumAlgorithm } from '../../src/format/checksum.js';
import { text, u32 } from './_bytes.js';

/**
 * Options that make the store behave as pw_kvs exactly (as the scenario runner does): pw_kvs's
 * read calls one for one (the tests inject faults by call count), no power-loss hardening, and
 * surplus keys treated as corruption.
 */
export const PW_KVS: KeyValueStoreOptions = {
  readStrategy: 'pwKvs',
  powerLossHardening: false,
  surplusKeys: 'treatAsCorrupt',
};

/** A checksum whose u32 state is folded over the bytes by `step` (pw_kvs's ChecksumFunction). */
export class ChecksumFunction implements ChecksumAlgorithm {
  readonly sizeBytes = 4;
  #state = 0;
  constructor(
    readonly name: string,
    private readonly step: (bytes: Uint8Array, state: number) => number,
  ) {}
  reset(): void {
    this.#state = 0;
  }
  update(bytes: Uint8Array): void {
    this.#state = this.step(bytes, this.#state) >>> 0;
  }
  finish(): Uint8Array {
    return Uint8Array.from(u32(this.#state));
  }
}

/**
 * ASSERT_CONTAINS_ENTRY: a Get of `key` into a buffer one byte longer than `value` returns OK,
 * the value's length and the value.
 */
export function expectEntry(kvs: KeyValueStore, key: string, value: string): void {
  const expected = text(value);
  const buffer = new Uint8Array(expected.length + 1);
  expect(kvs.readStatus(key, buffer)).toEqual({ status: 'OK', size: expected.length });
  expect(buffer.subarray(0, expected.length)).toEqual(expected);
}

/** The status of a Get of `key` into a 64-byte buffer. */
export function getStatus(kvs: KeyValueStore, key: string, bufferBytes = 64): string {
  return kvs.readStatus(key, new Uint8Array(bufferBytes)).status;
}
