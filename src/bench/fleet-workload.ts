import { mulberry32 } from '../random.js';
import { utf8Encode } from '../utf8.js';
import { ENTRY_HEADER_SIZE } from '../format/entry-header.js';
import { DEFAULT_IMAGE_CONFIG, type ImageConfig, imageConfigToJson } from '../image/config.js';
import { storeOn } from '../image/open.js';
import { scanImage } from '../image/scan.js';

// A generated fleet of field dumps with known, seeded damage, for `fleet ingest`'s truth test
// and its benchmark: engine-made images (puts, overwrites and deletes over several sectors),
// each copy then damaged one way or none. Pure: specs in, bytes out; the caller writes files.

/** How a generated dump was damaged. */
export type FleetDamage =
  'none' | 'corruption' | 'erased-sector' | 'truncation' | 'padding' | 'wrong-config' | 'garbage';

/** One generated dump: its file name, bytes, damage and the config file to put beside it. */
export interface GeneratedDump {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly damage: FleetDamage;
  /** The JSON of the config file beside the dump (IMAGE.json), or undefined for none. */
  readonly configJson?: string;
}

/** Options of {@link generateFleet}. */
export interface FleetWorkloadOptions {
  /** Dumps to make. */
  readonly count: number;
  /** Seed of every choice. Defaults to 1. */
  readonly seed?: number;
  /** Bytes per sector. Defaults to 4096. */
  readonly sectorSizeBytes?: number;
  /** Sectors per dump. Defaults to 5 (20 KiB dumps). */
  readonly sectorCount?: number;
  /** Distinct base images the dumps are copies of. Defaults to 16. */
  readonly baseImages?: number;
  /** Share of dumps left undamaged. Defaults to 0.4. */
  readonly undamagedShare?: number;
}

/** A seeded generator of numbers in [0, 1). */
function unitRandom(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() / 2 ** 32;
}

/** An engine-made image: a seeded workload of puts and deletes filling part of the flash. */
function baseImage(config: ImageConfig, seed: number): Uint8Array {
  const { flash, store } = storeOn(config);
  store.init();
  const next = unitRandom(seed);
  const keys = 8 + Math.floor(next() * 24);
  const ops = Math.floor(config.sectorCount * config.sectorSizeBytes * (0.004 + next() * 0.012));
  for (let op = 0; op < ops; op++) {
    const key = `key-${Math.floor(next() * keys)}`;
    if (next() < 0.08) store.deleteStatus(key);
    else
      store.putStatus(key, new Uint8Array(1 + Math.floor(next() * 48)).fill((op * 7 + 1) & 0xff));
  }
  return flash.bytes.slice();
}

/** A copy of `base` with the device's serial number written last: every dump is its own. */
function withSerial(config: ImageConfig, base: Uint8Array, serial: number): Uint8Array {
  const { flash, store } = storeOn(config, base);
  store.init();
  store.putStatus('device/serial', utf8Encode(`SN-${serial}`));
  return flash.bytes.slice();
}

/** The non-erased byte offsets of an image (where damage shows). */
function writtenOffsets(bytes: Uint8Array): number[] {
  const offsets: number[] = [];
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0xff) offsets.push(i);
  return offsets;
}

/**
 * Makes `options.count` dumps: copies of engine-made images of `sectorCount` × `sectorSizeBytes`
 * (the default config's format), a share left whole, the others damaged one way each, chosen
 * by the seed: bytes flipped in written data, a sector erased, the file cut short, an entry's
 * padding changed, a config file beside it naming another magic, or bytes that are no image.
 */
export function* generateFleet(options: FleetWorkloadOptions): Generator<GeneratedDump> {
  const config: ImageConfig = {
    ...DEFAULT_IMAGE_CONFIG,
    sectorSizeBytes: options.sectorSizeBytes ?? 4096,
    sectorCount: options.sectorCount ?? 5,
  };
  const next = unitRandom(options.seed ?? 1);
  const bases = Array.from({ length: options.baseImages ?? 16 }, (_, i) =>
    baseImage(config, (options.seed ?? 1) * 1000 + i),
  );
  const written = bases.map(writtenOffsets);
  const paddings = bases.map((bytes) =>
    scanImage(bytes, config)
      .entries.filter((entry) => entry.state === 'live' && entry.valueSizeBytes !== null)
      .map((entry) => ({
        from: entry.address + ENTRY_HEADER_SIZE + entry.key.length + entry.valueSizeBytes!,
        to: entry.address + entry.sizeBytes,
      }))
      .filter((span) => span.to > span.from),
  );
  const undamaged = options.undamagedShare ?? 0.4;
  const width = String(options.count).length;
  for (let i = 0; i < options.count; i++) {
    const base = Math.floor(next() * bases.length);
    let bytes = withSerial(config, bases[base]!, i);
    const roll = next();
    const pick = (list: readonly number[]): number => list[Math.floor(next() * list.length)]!;
    let damage: FleetDamage = 'none';
    let configJson: string | undefined;
    if (roll >= undamaged) {
      const kind = Math.floor(((roll - undamaged) / (1 - undamaged)) * 100);
      if (kind < 35) {
        damage = 'corruption';
        const flips = 1 + Math.floor(next() * 4);
        for (let flip = 0; flip < flips; flip++) {
          const at = pick(written[base]!);
          bytes[at] = bytes[at]! ^ (1 << Math.floor(next() * 8));
        }
      } else if (kind < 45) {
        damage = 'erased-sector';
        const sector = Math.floor(next() * config.sectorCount);
        bytes.fill(0xff, sector * config.sectorSizeBytes, (sector + 1) * config.sectorSizeBytes);
      } else if (kind < 60) {
        damage = 'truncation';
        bytes = bytes.slice(0, Math.floor(bytes.length * (0.3 + next() * 0.65)));
      } else if (kind < 75 && paddings[base]!.length > 0) {
        damage = 'padding';
        const span = paddings[base]![Math.floor(next() * paddings[base]!.length)]!;
        const at = span.from + Math.floor(next() * (span.to - span.from));
        bytes[at] = bytes[at]! ^ 0x5a;
      } else if (kind < 95) {
        damage = 'wrong-config';
        configJson = JSON.stringify({
          ...(imageConfigToJson(config) as Record<string, unknown>),
          magic: 0x12345678,
        });
      } else {
        damage = 'garbage';
        bytes = new Uint8Array(1 + Math.floor(next() * 100)).map(() => Math.floor(next() * 256));
      }
    }
    yield {
      name: `dump-${String(i).padStart(width, '0')}.bin`,
      bytes,
      damage,
      ...(configJson === undefined ? {} : { configJson }),
    };
  }
}
