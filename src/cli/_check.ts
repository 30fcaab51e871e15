import { type CheckProblem, checkImage } from '../image/check.js';
import { describeError } from './_errors.js';
import { type ConfigArgs, type OpenedImage, openImage } from './_image.js';

/** Everything `check` finds in one image: the scan's problems and what init would do. */
export function checkProblems(image: OpenedImage): {
  problems: CheckProblem[];
  initChanges: number[];
} {
  const { problems, initChanges } = checkImage(image);
  return { problems, initChanges };
}

/** One row of a batch check (the `check_batch` report's `dumps` items). */
export interface CheckRow {
  readonly image: string;
  readonly ok: boolean;
  /** Set when the dump could not be opened at all (missing, empty, a size no config fits). */
  readonly error?: string;
  readonly live_keys: number;
  readonly entries: number;
  readonly corrupt_entries: number;
  readonly sectors: number;
  readonly sector_size_bytes: number;
  readonly init_status: string;
  readonly problems: CheckProblem[];
  readonly warnings: string[];
}

/** Checks one dump for a batch: never throws, never prints; a failure is the row's `error`. */
export function checkRow(path: string, args: ConfigArgs): CheckRow {
  try {
    const image = openImage(path, args, { forWriting: false, quiet: true });
    const { problems } = checkProblems(image);
    return {
      image: path,
      ok: problems.length === 0,
      live_keys: image.scan.liveKeys,
      entries: image.scan.entries.length,
      corrupt_entries: image.scan.entries.filter((entry) => entry.state === 'corrupt').length,
      sectors: image.config.sectorCount,
      sector_size_bytes: image.config.sectorSizeBytes,
      init_status: image.initStatus,
      problems,
      warnings: [...image.warnings],
    };
  } catch (error) {
    return {
      image: path,
      ok: false,
      error: describeError(error),
      live_keys: 0,
      entries: 0,
      corrupt_entries: 0,
      sectors: 0,
      sector_size_bytes: 0,
      init_status: 'UNKNOWN',
      problems: [],
      warnings: [],
    };
  }
}
