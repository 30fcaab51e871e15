import { validateImageConfig } from '../image/config.js';
import { KvsError } from '../status.js';
import { type WearOptions, type WearReport, simulateWear } from './simulate.js';
import { SECONDS_PER_YEAR } from './workload.js';

/** One sector count the recommendation tried. */
export interface SectorCountTrial {
  readonly sectorCount: number;
  /** Predicted lifetime in years; 0 when the workload does not fit; Infinity if never worn. */
  readonly lifetimeYears: number;
  /** Why the count cannot work (the store's error), when it does not fit. */
  readonly failure: string | undefined;
  /** The simulation, when the workload fits. */
  readonly report: WearReport | undefined;
  /**
   * The smaller count tried that lives longest, when it lives longer than this one. pw_kvs
   * never collects a sector that holds only valid entries, so one more sector can leave data
   * that never changes pinned in one more sector, and fewer sectors sharing the wear.
   */
  readonly outlivedBy: number | undefined;
}

/** The result of a sector-count recommendation. */
export interface Recommendation {
  readonly targetYears: number;
  /** The smallest count whose lifetime meets the target; undefined if none up to the limit. */
  readonly sectorCount: number | undefined;
  /** Every count tried, smallest first. */
  readonly trials: readonly SectorCountTrial[];
}

/** Options of {@link recommendSectorCount}: those of a simulation, plus the target. */
export interface RecommendOptions extends WearOptions {
  /** Lifetime to reach, in years (> 0). */
  readonly targetYears: number;
  /** Largest sector count to try. Defaults to 256 (pw_kvs's usual kMaxUsableSectors). */
  readonly maxSectorCount?: number;
  /** Called before each count is simulated. */
  readonly onTrial?: (sectorCount: number) => void;
}

/**
 * Finds the smallest sector count (same sector size and everything else) whose predicted
 * lifetime meets `targetYears`, trying every count from the smallest the store accepts
 * (2, or redundancy + 1) upwards, and reports each count's lifetime. A count the workload does
 * not fit in (RESOURCE_EXHAUSTED) counts as lifetime 0. Lifetimes are what the store does, so
 * they can dip as the count grows (see {@link SectorCountTrial.outlivedBy}); the counts are
 * tried in order, so the answer is still the smallest that meets the target. Throws INVALID_ARGUMENT for a bad
 * target or limit, and any other simulation error.
 */
export function recommendSectorCount(options: RecommendOptions): Recommendation {
  const { targetYears } = options;
  if (!Number.isFinite(targetYears) || targetYears <= 0) {
    throw new KvsError('INVALID_ARGUMENT', `target years must be a number > 0, got ${targetYears}`);
  }
  const maxSectorCount = options.maxSectorCount ?? 256;
  const first = Math.max(2, options.config.redundancy + 1);
  if (!Number.isSafeInteger(maxSectorCount) || maxSectorCount < first) {
    throw new KvsError(
      'INVALID_ARGUMENT',
      `the largest sector count must be an integer ≥ ${first}, got ${maxSectorCount}`,
    );
  }
  const trials: SectorCountTrial[] = [];
  let longest: SectorCountTrial | undefined;
  for (let sectorCount = first; sectorCount <= maxSectorCount; sectorCount++) {
    options.onTrial?.(sectorCount);
    const config = { ...options.config, sectorCount };
    validateImageConfig(config);
    let trial: Omit<SectorCountTrial, 'outlivedBy'>;
    try {
      const report = simulateWear({ ...options, config });
      trial = {
        sectorCount,
        lifetimeYears: report.lifetimeSeconds / SECONDS_PER_YEAR,
        failure: undefined,
        report,
      };
    } catch (error) {
      if (!KvsError.is(error) || error.code !== 'RESOURCE_EXHAUSTED') throw error;
      trial = { sectorCount, lifetimeYears: 0, failure: error.message, report: undefined };
    }
    const outlivedBy =
      longest !== undefined && longest.lifetimeYears > trial.lifetimeYears
        ? longest.sectorCount
        : undefined;
    trials.push({ ...trial, outlivedBy });
    if (longest === undefined || trial.lifetimeYears > longest.lifetimeYears)
      longest = trials.at(-1);
    if (trial.lifetimeYears >= targetYears) return { targetYears, sectorCount, trials };
  }
  return { targetYears, sectorCount: undefined, trials };
}
