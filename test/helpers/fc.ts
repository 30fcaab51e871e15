// Shared fast-check parameters: a fixed seed so CI runs are reproducible. A failing property
// prints its seed and counterexample path in fast-check's report; rerun with FC_SEED=<seed>.

/** Default number of runs per property; override with FC_RUNS. */
const DEFAULT_NUM_RUNS = 100;

/**
 * Parameters for `fc.assert`: the seed from `FC_SEED` (defaults to 424242) and `numRuns`
 * from `FC_RUNS` (defaults to `numRuns`, or 100). Spread it to add options:
 * `fc.assert(property, { ...fcOptions(), verbose: true })`.
 */
export function fcOptions(numRuns: number = DEFAULT_NUM_RUNS): { seed: number; numRuns: number } {
  return {
    seed: Number(process.env.FC_SEED ?? 424242),
    numRuns: Number(process.env.FC_RUNS ?? numRuns),
  };
}
