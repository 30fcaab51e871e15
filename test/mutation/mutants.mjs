// The fixed mutants of the mutation check (run.mjs): each replaces one exact piece of code in
// src/engine or src/format (the text must occur exactly once) with a plausible bug. A mutant
// the tests cannot notice is listed with `equivalent`: why no behaviour can tell it apart.

/** Fast tests that pin the engine and the format (a few seconds each run). */
export const DEFAULT_TESTS = [
  'test/engine',
  'test/format',
  'test/scenario',
  'test/golden/vectors.test.ts',
  'test/golden/known-limitations.test.ts',
];

const WITH_POWER_LOSS = [...DEFAULT_TESTS, 'test/power-loss'];

export const MUTANTS = [
  // ---- src/format ---------------------------------------------------------------------------
  {
    file: 'src/format/entry-header.ts',
    name: 'alignUp rounds down',
    find: 'return Math.ceil(value / alignment) * alignment;',
    replace: 'return Math.floor(value / alignment) * alignment;',
  },
  {
    file: 'src/format/entry-header.ts',
    name: 'alignUp rounds a power-of-two alignment down',
    find: 'return (value + alignment - 1) & -alignment;',
    replace: 'return value & -alignment;',
  },
  {
    file: 'src/format/entry-header.ts',
    name: 'alignment units off by one',
    find: 'return Math.ceil(alignmentBytes / 16) - 1;',
    replace: 'return Math.ceil(alignmentBytes / 16);',
  },
  {
    file: 'src/format/entry-header.ts',
    name: 'content size forgets the key',
    find: 'return ENTRY_HEADER_SIZE + header.keyLength + headerValueSize(header);',
    replace: 'return ENTRY_HEADER_SIZE + headerValueSize(header);',
  },
  {
    file: 'src/format/entry-header.ts',
    name: 'value size high byte misread',
    find: 'header.valueSize = bytes[offset + 10]! | (bytes[offset + 11]! << 8);',
    replace: 'header.valueSize = bytes[offset + 10]! | (bytes[offset + 11]! << 7);',
  },
  {
    file: 'src/format/entry-header.ts',
    name: 'a tombstone is not recognised',
    find: 'return header.valueSize === TOMBSTONE_VALUE_SIZE;',
    replace: 'return header.valueSize === TOMBSTONE_VALUE_SIZE - 1;',
  },
  {
    file: 'src/format/hash.ts',
    name: 'hash coefficient',
    find: 'let coefficient = 65599;',
    replace: 'let coefficient = 65597;',
  },
  {
    file: 'src/format/hash.ts',
    name: 'sign extension from 0x81',
    find: 'signExtend && byte >= 0x80',
    replace: 'signExtend && byte > 0x80',
  },
  {
    file: 'src/format/hash.ts',
    name: 'signedness ignored',
    find: "const signExtend = char === 'signed';",
    replace: 'const signExtend = true;',
  },
  {
    file: 'src/format/entry-format.ts',
    name: 'the erased magic is accepted',
    find: 'if (spec.magic === 0xffffffff) {',
    replace: 'if (spec.magic === 0xfffffffe) {',
  },
  {
    file: 'src/format/entry-format.ts',
    name: 'a magic listed twice is accepted',
    find: 'if (seen.has(format.magic)) {',
    replace: 'if (false) {',
  },
  // ---- src/engine/sectors.ts ----------------------------------------------------------------
  {
    file: 'src/engine/sectors.ts',
    name: 'valid bytes floor at equality',
    find: 'bytes > this.#validBytesCount ? 0 : this.#validBytesCount - bytes',
    replace: 'bytes >= this.#validBytesCount ? 0 : this.#validBytesCount - bytes',
    equivalent:
      'when bytes equals the count both branches give 0, so the result is the same for every input',
  },
  {
    file: 'src/engine/sectors.ts',
    name: 'writable counter not wrapped to 16 bits',
    find: 'this.#tailFreeBytes = bytes & 0xffff;',
    replace: 'this.#tailFreeBytes = bytes;',
  },
  {
    file: 'src/engine/sectors.ts',
    name: 'wrapped recoverable bytes ordered as small',
    find: 'return recoverable < 0 ? recoverable + 2 ** 32 : recoverable;',
    replace: 'return recoverable;',
  },
  {
    file: 'src/engine/sectors.ts',
    name: 'appends to a sector whose writable count exceeds it',
    find: 'if (!isEmpty && writable >= sizeBytes && writable <= sectorSize) {',
    replace: 'if (!isEmpty && writable >= sizeBytes) {',
  },
  {
    file: 'src/engine/sectors.ts',
    name: "GC relocation fallback keeps the fewest reclaimable bytes (pw_kvs's comment)",
    find: 'fallback.recoverableBytesOrder(sectorSize) < sector.recoverableBytesOrder(sectorSize)',
    replace:
      'fallback.recoverableBytesOrder(sectorSize) > sector.recoverableBytesOrder(sectorSize)',
  },
  {
    file: 'src/engine/sectors.ts',
    name: 'first tier of findSpace keeps a later sector on a tie',
    find: 'if (distance >= bestDistance) continue;',
    replace: 'if (distance > bestDistance) continue;',
    equivalent:
      'distances are (index - start - 1) mod count, distinct for distinct sectors: no two candidates tie',
  },
  {
    file: 'src/engine/sectors.ts',
    name: 'GC victim with valid bytes taken first',
    find: 'if (sector.validBytes === 0 && sector.hasRecoverableBytes(sectorSize) && !skip.has(sector)) {',
    replace: 'if (sector.hasRecoverableBytes(sectorSize) && !skip.has(sector)) {',
  },
  {
    file: 'src/engine/sectors.ts',
    name: 'the first empty sector counted as writable',
    find: 'if (!foundEmpty && sector.isEmpty(sectorSize)) {',
    replace: 'if (false) {',
  },
  {
    file: 'src/engine/sectors.ts',
    name: 'maintenance never forced',
    find: '(force || sector.validBytes === 0)',
    replace: '(sector.validBytes === 0)',
  },
  {
    file: 'src/engine/sectors.ts',
    name: 'hardening victims least reclaimable first',
    find: '.sort((a, b) => b.recoverableBytesOrder(sectorSize) - a.recoverableBytesOrder(sectorSize));',
    replace:
      '.sort((a, b) => a.recoverableBytesOrder(sectorSize) - b.recoverableBytesOrder(sectorSize));',
  },
  // ---- src/engine/entry-cache.ts ------------------------------------------------------------
  {
    file: 'src/engine/entry-cache.ts',
    name: 'backward shift moves entries that are home',
    find: 'if (distanceFromHome >= distanceToHole) {',
    replace: 'if (distanceFromHome > distanceToHole) {',
  },
  {
    file: 'src/engine/entry-cache.ts',
    name: 'an equal transaction id replaces the copies',
    find: 'if (transactionId > existingId) {',
    replace: 'if (transactionId >= existingId) {',
  },
  {
    file: 'src/engine/entry-cache.ts',
    name: 'two copies in one sector accepted',
    find: 'if (Math.floor(this.#addressSlots[base + i]! / sectorSizeBytes) === sector)',
    replace: 'if (false)',
  },
  {
    file: 'src/engine/entry-cache.ts',
    name: 'a damaged copy does not mark its sector',
    find: 'context.sectors.fromAddress(address).markCorrupt();',
    replace: '',
  },
  {
    file: 'src/engine/entry-cache.ts',
    name: 'fingerprint shortcut ignores the key',
    find: 'this.keyFingerprintMatches(index, key)',
    replace: 'true',
  },
  {
    file: 'src/engine/entry-cache.ts',
    name: 'a deleted key is found by findExisting',
    find: "(found.status === 'OK' && this.#deleted[found.index] !== 0)",
    replace: 'false',
  },
  // ---- src/engine/entry.ts ------------------------------------------------------------------
  {
    file: 'src/engine/entry.ts',
    name: 'the checksum field is not zeroed before checking',
    find: 'header.fill(0, CHECKSUM_OFFSET, CHECKSUM_OFFSET + 4);',
    replace: '',
  },
  {
    file: 'src/engine/entry.ts',
    name: 'padding left out of the checksum',
    find: 'updateChecksumZeros(algorithm, alignUp(content, this.alignmentBytes) - content);',
    replace: '',
  },
  {
    file: 'src/format/entry-codec.ts',
    name: 'the checksum field is counted as read, not as zeros, when checking in place',
    find: 'updateChecksumZeros(algorithm, fieldEnd - fieldStart);',
    replace: 'updateChecksumRange(algorithm, bytes, start + fieldStart, start + fieldEnd);',
  },
  {
    file: 'src/engine/entry.ts',
    name: 'a read at the end of the value is OUT_OF_RANGE',
    find: "if (offsetBytes > valueSize) return { status: 'OUT_OF_RANGE', size: 0 };",
    replace: "if (offsetBytes >= valueSize) return { status: 'OUT_OF_RANGE', size: 0 };",
  },
  // ---- src/engine/key-value-store.ts --------------------------------------------------------
  {
    file: 'src/engine/key-value-store.ts',
    name: 'an unchanged value skips the write even when the state differs',
    find: 'this.#cache.state(priorIndex) === state &&',
    replace: '',
  },
  {
    file: 'src/engine/key-value-store.ts',
    name: 'maintenance threshold 80 %',
    find: 'const GC_USAGE_THRESHOLD_PERCENTAGE = 70;',
    replace: 'const GC_USAGE_THRESHOLD_PERCENTAGE = 80;',
  },
  {
    file: 'src/engine/key-value-store.ts',
    name: 'a flash without an empty sector is not an error',
    find: 'if (!emptySectorFound) this.#errorFound = true;',
    replace: '',
  },
  {
    file: 'src/engine/key-value-store.ts',
    name: 'garbage collection on write gives up one sector earlier',
    find: 'if (collected > this.partition.sectorCount + 2) return',
    replace: 'if (collected > this.partition.sectorCount + 1) return',
  },
  {
    file: 'src/engine/key-value-store.ts',
    name: 'repair of corrupt sectors makes one pass',
    find: 'for (let pass = 1; pass <= 2; pass++) {',
    replace: 'for (let pass = 1; pass <= 1; pass++) {',
  },
  {
    file: 'src/engine/key-value-store.ts',
    name: 'hardening never checks that an empty sector is erased',
    find: "if (check.erased) return 'OK';",
    replace: "return 'OK';",
    tests: WITH_POWER_LOSS,
  },
  {
    file: 'src/engine/key-value-store.ts',
    name: 'hardening tries no other victim',
    find: 'for (const sector of this.#sectors.hardeningVictims()) {',
    replace: 'for (const sector of []) {',
    tests: WITH_POWER_LOSS,
  },
];
