// Building blocks for flashkv's own tools (CLI, inspector, tests): stable enough to share
// between them, not part of the public API.
export { Entry } from './engine/entry.js';
export type { EntryReadResult, KeyReadResult } from './engine/entry.js';
export { EntryCache, NO_ADDRESS } from './engine/entry-cache.js';
export { SectorDescriptor, Sectors } from './engine/sectors.js';
export { describeKey } from './engine/key-value-store.js';
export {
  CHECKSUM_OFFSET,
  ENTRY_HEADER_SIZE,
  MAX_KEY_LENGTH,
  MIN_ALIGNMENT_BYTES,
  TOMBSTONE_VALUE_SIZE,
  alignUp,
  alignDown,
  alignmentBytesToUnits,
  alignmentUnitsToBytes,
  decodeEntryHeader,
  encodeEntryHeader,
  entrySize,
  entrySizeFor,
} from './format/entry-header.js';
export type { EntryHeader } from './format/entry-header.js';
export { crc16Ccitt, crc32, checksumMatches, isChecksumName } from './format/checksum.js';
export { hashKey } from './format/hash.js';
export { bytesToHex, hexInputToBytes, hexToBytes, keyToText, printableText } from './bytes.js';
export { parseScenario, SCENARIO_OPS } from './scenario/scenario.js';
export type { Scenario, ScenarioOp } from './scenario/scenario.js';
export { runScenario, scenarioReportJson, scenarioStoreOptions } from './scenario/run-scenario.js';
export type { FlashReport, OpResult, ScenarioReport } from './scenario/run-scenario.js';
export {
  DEFAULT_IMAGE_CONFIG,
  describeImageConfig,
  geometryOf,
  imageConfigToJson,
  parseImageConfig,
  partitionOptionsOf,
  storeOptionsOf,
  validateImageConfig,
} from './image/config.js';
export type { ImageConfig } from './image/config.js';
export { detectImageConfig } from './image/detect.js';
export type { DetectedImageConfig } from './image/detect.js';
export { scanImage } from './image/scan.js';
export type {
  CorruptRegion,
  ImageProblem,
  ImageProblemKind,
  ImageScan,
  ScannedEntry,
  ScannedEntryState,
  SectorReport,
  SectorSpan,
  SpanKind,
  UnknownFormat,
} from './image/scan.js';
export * from './wear/index.js';
export {
  changedSectors,
  differingSectors,
  openImageBytes,
  otherConfigHint,
  refuseDataLoss,
  repairDataLoss,
  repairImage,
  storeOn,
} from './image/open.js';
export type { DataLossRefusal, ImageBytes, RepairResult } from './image/open.js';
export { checkImage, sectorLabel } from './image/check.js';
export type { CheckProblem, CheckVerdict } from './image/check.js';
export { diffImages } from './image/diff.js';
export type { ImageDiff } from './image/diff.js';
