import { problemKind } from '../image/report.js';
import { describeError } from './_errors.js';
import { type ConfigArgs, type OpenedImage, changedSectors, openImage } from './_image.js';

/** One problem `check` reports. */
export interface CheckProblem {
  /** corrupt_data, unknown_format, missing_copies, no_empty_sector, too_many_keys, init_status, init_would_rewrite, other_config. */
  readonly kind: string;
  readonly message: string;
  readonly sector?: number;
  readonly address?: number;
}

/** Everything `check` finds in one image: the scan's problems and what init would do. */
export function checkProblems(image: OpenedImage): {
  problems: CheckProblem[];
  initChanges: number[];
} {
  const initChanges = changedSectors(image);
  const problems: CheckProblem[] = image.scan.problems.map((problem) => ({
    kind: problemKind(problem.kind),
    message: problem.message,
    ...(problem.sector === undefined ? {} : { sector: problem.sector }),
    ...(problem.address === undefined ? {} : { address: problem.address }),
  }));
  if (image.otherConfigHint !== undefined) {
    problems.push({ kind: 'other_config', message: image.otherConfigHint });
  }
  if (image.initStatus !== 'OK') {
    problems.push({ kind: 'init_status', message: `pw_kvs's init reports ${image.initStatus}` });
  }
  if (problems.length === 0 && initChanges.length > 0) {
    problems.push({
      kind: 'init_would_rewrite',
      message: `pw_kvs's init would rewrite sectors ${initChanges.join(', ')}`,
    });
  }
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
