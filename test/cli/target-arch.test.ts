import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/cli/_image.js';
import { storeOn } from '../../src/image/open.js';

// "é" (c3 a9) and "5laA1" have the same key hash when `char` is unsigned (ARM), not when it
// is signed (x86): on an ARM device's image the second put must fail as pw_kvs's would.
const E_ACUTE = Uint8Array.of(0xc3, 0xa9);

function secondPut(args: Record<string, string>): string {
  const { config } = resolveConfig('image.bin', args, undefined, false);
  const { store } = storeOn(config);
  store.init();
  store.put(E_ACUTE, 'v');
  return store.putStatus('5laA1', 'v');
}

describe('--target-arch', () => {
  it('arm hashes key bytes as unsigned char: the keys collide', () => {
    expect(secondPut({ 'target-arch': 'arm' })).toBe('ALREADY_EXISTS');
  });

  it('x86 (and the default) hashes them as signed char: both keys are stored', () => {
    expect(secondPut({ 'target-arch': 'x86' })).toBe('OK');
    expect(secondPut({})).toBe('OK');
  });

  it('refuses another architecture by name', () => {
    expect(() => secondPut({ 'target-arch': 'mips' })).toThrow(/--target-arch/);
  });
});
