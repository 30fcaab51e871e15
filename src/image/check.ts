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

/**
 * Judges an opened image: a truncated file first, the scan's problems, a config that looks
 * wrong, init's status, and (when nothing else is wrong) the sectors init would rewrite. The
 * problems of the file come from `image.fileProblems` (an image opened by `openImageFile`),
 * else from `otherConfigHint` (bytes opened with `openImageBytes`).
 */
export function checkImage(
  image: ImageBytes & { readonly fileProblems?: readonly FileProblem[] },
  otherConfigHint?: string,
): CheckVerdict {
  const initChanges = changedSectors(image);
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

/** What a sector is, in one word, as `check` labels it: CORRUPT, empty, full or ok. */
export function sectorLabel(
  sector: { readonly corruptBytes: number; readonly freeBytes: number },
  sectorSizeBytes: number,
): 'CORRUPT' | 'empty' | 'full' | 'ok' {
  if (sector.corruptBytes > 0) return 'CORRUPT';
  if (sector.freeBytes === sectorSizeBytes) return 'empty';
  return sector.freeBytes === 0 ? 'full' : 'ok';
}
