// The public API of flashkv: the store, the flash it runs on, and the errors it raises.
export { KvsError, STATUS_CODES, isStatusCode } from './status.js';
export type { ErrorCode, StatusCode } from './status.js';
export { ERASED_BYTE, isSupportedAlignment, validateGeometry } from './flash/flash-memory.js';
export type { FlashGeometry, FlashMemory, FlashResult } from './flash/flash-memory.js';
export { MemoryFlash } from './flash/memory-flash.js';
export type { FlashCounters, MemoryFlashOptions } from './flash/memory-flash.js';
export type { FaultSpec, PowerCutOptions } from './flash/faults.js';
export type { FlashPartitionOptions, RegionErasedResult } from './flash/flash-partition.js';
export { FlashPartition } from './flash/flash-partition.js';
export { KeyValueStore } from './engine/key-value-store.js';
export type {
  GcOnWrite,
  KeyHashChar,
  KeyValueStoreOptions,
  KvsItem,
  ReadStrategy,
  Recovery,
  StorageStats,
  SurplusKeys,
  ValueResult,
} from './engine/key-value-store.js';
export { DEFAULT_MAGIC, EntryFormats, entryFormat } from './format/entry-format.js';
export type { EntryFormat, EntryFormatSpec } from './format/entry-format.js';
export { Crc16Checksum, Crc32Checksum, IgnoreChecksum, createChecksum } from './format/checksum.js';
export type { ChecksumAlgorithm, ChecksumName } from './format/checksum.js';
