// The wear and lifetime simulator: core code (no Node APIs), on the public engine.
export { recommendSectorCount } from './recommend.js';
export type { Recommendation, RecommendOptions, SectorCountTrial } from './recommend.js';
export { simulateWear } from './simulate.js';
export type {
  LatencyReport,
  SteadyState,
  WearOptions,
  WearReadStrategy,
  WearReport,
  WearSample,
} from './simulate.js';
export { DEFAULT_SPI_NOR_TIMING, parseTimingModel, timingModelToJson } from './timing.js';
export type { TimingModel } from './timing.js';
export {
  SECONDS_PER_DAY,
  SECONDS_PER_YEAR,
  parseWearConfig,
  parseWearWorkload,
} from './workload.js';
export type { WearConfig, WearKey, WearWorkload } from './workload.js';
