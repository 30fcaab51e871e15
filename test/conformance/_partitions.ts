// pw_kvs's test partitions (fake_flash_test_partition.cc and
// fake_flash_test_logical_sector_partition.cc, with BUILD.gn's defines), for the tests that
// upstream builds once per partition.
import { FlashPartition } from '../../src/flash/flash-partition.js';
import { MemoryFlash } from '../../src/flash/memory-flash.js';

export interface TestPartition {
  readonly name: string;
  readonly alignmentBytes: number;
  readonly sectors: number;
  readonly sectorsPerLogicalSector: number;
}

/** 6 sectors of 4 KiB with 1-, 16-, 64- and 256-byte alignment, and 24 grouped by 4. */
export const TEST_PARTITIONS: readonly TestPartition[] = [
  { name: '1_alignment', alignmentBytes: 1, sectors: 6, sectorsPerLogicalSector: 1 },
  { name: '1_alignment_4_logical', alignmentBytes: 1, sectors: 24, sectorsPerLogicalSector: 4 },
  { name: '16_alignment', alignmentBytes: 16, sectors: 6, sectorsPerLogicalSector: 1 },
  { name: '64_alignment', alignmentBytes: 64, sectors: 6, sectorsPerLogicalSector: 1 },
  { name: '256_alignment', alignmentBytes: 256, sectors: 6, sectorsPerLogicalSector: 1 },
];

/** A new, erased FlashTestPartition(). */
export function testPartition(config: TestPartition): FlashPartition {
  const flash = new MemoryFlash({
    sectorSizeBytes: 4096,
    sectorCount: config.sectors,
    alignmentBytes: config.alignmentBytes,
  });
  return new FlashPartition(flash, { sectorsPerLogicalSector: config.sectorsPerLogicalSector });
}
