import { type ImageBytes, changedSectorsOf } from './open.js';
import { problemKind } from './report.js';

/** One problem a check reports (the `problems` items of the `check` report). */
export interface CheckProblem {
  /** corrupt_data, damaged_padding, unknown_format, missing_copies, no_empty_sector, too_many_keys, init_status, init_would_rewrite, other_config. */
  readonly kind: string;
  readonly message: string;
  readonly sector?: number;
  readonly address?: number;
}

/** The verdict on an image: its problems and the sectors pw_kvs's init would rewrite. */
export interface CheckVerdict {
  readonly ok: boolean;
  readonly problems: CheckProblem[];
  readonly initChanges: number[];
}

/**
 * Judges an opened image: the scan's problems, `otherConfigHint` when the config looks wrong,
 * init's status, and (when nothing else is wrong) the sectors init would rewrite.
 */
export function checkImage(image: ImageBytes, otherConfigHint?: string): CheckVerdict {
  const initChanges = changedSectorsOf(image);
  const problems: CheckProblem[] = image.scan.problems.map((problem) => ({
    kind: problemKind(problem.kind),
    message: problem.message,
    ...(problem.sector === undefined ? {} : { sector: problem.sector }),
    ...(problem.address === undefined ? {} : { address: problem.address }),
  }));
  if (otherConfigHint !== undefined) {
    problems.push({ kind: 'other_config', message: otherConfigHint });
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
