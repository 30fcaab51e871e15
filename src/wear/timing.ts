import { KvsError } from '../status.js';

/**
 * Datasheet figures that turn a write's flash operations into time. A write's latency is
 * `eraseSectorMs` per erased sector + `programCallMs` per program call + `programByteMs` per
 * programmed byte + `readCallMs` per read call + `readByteMs` per byte read. CPU time (CRC,
 * index) is not modelled.
 */
export interface TimingModel {
  /** Time to erase one sector, in ms (for the configured sector size). */
  readonly eraseSectorMs: number;
  /** Fixed cost of one program call (command, address, busy polling), in ms. */
  readonly programCallMs: number;
  /** Cost of each programmed byte, in ms. */
  readonly programByteMs: number;
  /** Fixed cost of one read call (command, address, dummy cycles), in ms. */
  readonly readCallMs: number;
  /** Cost of each byte read, in ms. */
  readonly readByteMs: number;
}

/**
 * A typical SPI NOR flash: the typical (not maximum) figures of a Winbond W25Q64JV-class
 * part. 4 KiB sector erase 45 ms; page program 0.4 ms per 256-byte page, modelled as 8 µs per
 * call plus 1.5 µs per byte; reads at 50 MHz on one data line, 0.16 µs per byte plus 1 µs per
 * call for the command, the address and the bus turnaround. For another part or the
 * worst-case figures (erase up to 400 ms, page program up to 3 ms), pass your own model.
 */
export const DEFAULT_SPI_NOR_TIMING: TimingModel = Object.freeze({
  eraseSectorMs: 45,
  programCallMs: 0.008,
  programByteMs: 0.0015,
  readCallMs: 0.001,
  readByteMs: 0.00016,
});

/** The fields of a timing file, in ms, named as in JSON reports. */
const TIMING_FIELDS: Record<string, keyof TimingModel> = {
  erase_sector_ms: 'eraseSectorMs',
  program_call_ms: 'programCallMs',
  program_byte_ms: 'programByteMs',
  read_call_ms: 'readCallMs',
  read_byte_ms: 'readByteMs',
};

/**
 * Reads a timing file: any of `erase_sector_ms`, `program_call_ms`, `program_byte_ms`,
 * `read_call_ms`, `read_byte_ms` (numbers ≥ 0); missing ones come from
 * {@link DEFAULT_SPI_NOR_TIMING}. Throws INVALID_ARGUMENT naming `source` and the field.
 */
export function parseTimingModel(json: unknown, source: string): TimingModel {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new KvsError('INVALID_ARGUMENT', `${source}: a timing model must be a JSON object`);
  }
  const model: Record<keyof TimingModel, number> = { ...DEFAULT_SPI_NOR_TIMING };
  for (const [field, value] of Object.entries(json as Record<string, unknown>)) {
    const name = TIMING_FIELDS[field];
    if (name === undefined) {
      throw new KvsError(
        'INVALID_ARGUMENT',
        `${source}: unknown field '${field}' (fields: ${Object.keys(TIMING_FIELDS).join(', ')})`,
      );
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new KvsError(
        'INVALID_ARGUMENT',
        `${source}: '${field}' must be a number ≥ 0, got ${JSON.stringify(value)}`,
      );
    }
    model[name] = value;
  }
  return model;
}

/** A timing model as a timing file's JSON object (the inverse of {@link parseTimingModel}). */
export function timingModelToJson(model: TimingModel): Record<string, number> {
  return Object.fromEntries(
    Object.entries(TIMING_FIELDS).map(([field, name]) => [field, model[name]]),
  );
}
