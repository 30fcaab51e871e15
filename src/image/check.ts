import type { FileProblem } from './open-file.js';
import { type ImageBytes, changedSectors } from './open.js';
import { problemKind } from './report.js';

/** One problem a check reports (the `problems` items of the `check` report). */
export interface CheckProblem {
  /** truncated, corrupt_data, damaged_padding, unknown_format, missing_copies, no_empty_sector, too_many_keys, init_status, init_would_rewrite, other_config. */
  readonly kind: string;
  readonly message: string;
  readonly sector?: number;
  readonly address?: number;
  /** With `truncated`: the bytes of the partition the file lacks. */
  readonly missing_bytes?: number;
}

/** The verdict on an image: its problems and the sectors pw_kvs's init would rewrite. */
export interface CheckVerdict {
  readonly ok: boolean;
  readonly problems: CheckProblem[];
  readonly initChanges: number[];
}

/** An image as {@link checkImage} and {@link imageProblems} take it. */
export type CheckedImage = ImageBytes & { readonly fileProblems?: readonly FileProblem[] };

/**
 * The problems of an image as stored, before init runs: a truncated file first, the scan's
 * problems, then a config that looks wrong. What `check`, `info`, the batch rows and the
 * inspector list. The problems of the file come from `image.fileProblems` (an image opened by
 * `openImageFile`), else from `otherConfigHint` (bytes opened with `openImageBytes`).
 */
export function imageProblems(image: CheckedImage, otherConfigHint?: string): CheckProblem[] {
  const fileProblems =
    image.fileProblems ??
    (otherConfigHint === undefined
      ? []
      : [{ kind: 'other_config' as const, message: otherConfigHint }]);
  const problems: CheckProblem[] = [];
  for (const problem of fileProblems) {
    if (problem.kind !== 'truncated') continue;
    problems.push({
      kind: problem.kind,
      message: problem.message,
      ...(problem.missingBytes === undefined ? {} : { missing_bytes: problem.missingBytes }),
    });
  }
  for (const problem of image.scan.problems) {
    problems.push({
      kind: problemKind(problem.kind),
      message: problem.message,
      ...(problem.sector === undefined ? {} : { sector: problem.sector }),
      ...(problem.address === undefined ? {} : { address: problem.address }),
    });
  }
  for (const problem of fileProblems) {
    if (problem.kind === 'other_config')
      problems.push({ kind: problem.kind, message: problem.message });
  }
  return problems;
}

/**
 * Judges an opened image: its problems as stored ({@link imageProblems}), init's status, and
 * (when nothing else is wrong) the sectors init would rewrite.
 */
export function checkImage(image: CheckedImage, otherConfigHint?: string): CheckVerdict {
  const initChanges = changedSectors(image);
  const problems = imageProblems(image, otherConfigHint);
  if (image.initStatus !== 'OK') {
    problems.push({ kind: 'init_status', message: `pw_kvs's init reports ${image.initStatus}` });
  }
  if (problems.length === 0 && initChanges.length > 0) {
    problems.push({
      kind: 'init_would_rewrite',
      message: `pw_kvs's init would rewrite sectors ${initChanges.join(', ')}`,
    });
  }
  return { ok: problems.length === 0, problems, initChanges };
}

/**
 * What a sector is, in one word, as `check` labels it: TRUNCATED (some of its bytes are past
 * the end of the file, `presentBytes` of the partition being there; they read as erased),
 * CORRUPT, empty, full or ok. `presentBytes` defaults to the whole partition.
 */
export function sectorLabel(
  sector: {
    readonly index: number;
    readonly corruptBytes: number;
    readonly freeBytes: number;
  },
  sectorSizeBytes: number,
  presentBytes = Infinity,
): 'TRUNCATED' | 'CORRUPT' | 'empty' | 'full' | 'ok' {
  if ((sector.index + 1) * sectorSizeBytes > presentBytes) return 'TRUNCATED';
  if (sector.corruptBytes > 0) return 'CORRUPT';
  if (sector.freeBytes === sectorSizeBytes) return 'empty';
  return sector.freeBytes === 0 ? 'full' : 'ok';
}
