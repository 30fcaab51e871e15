/**
 * Fails with a plain Error (not a KvsError: no caller can handle it) when an internal invariant
 * of the engine is broken; that is a bug in flashkv, never a state of the flash.
 */
export function assert(condition: boolean, invariant: string): asserts condition {
  if (!condition) throw new Error(`flashkv invariant broken: ${invariant}`);
}
