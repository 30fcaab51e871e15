import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SingleBar } from 'cli-progress';
import { defineCommand } from 'citty';
import { recommendSectorCount } from '../../wear/recommend.js';
import { type WearReadStrategy, type WearReport, simulateWear } from '../../wear/simulate.js';
import { DEFAULT_SPI_NOR_TIMING, parseTimingModel, timingModelToJson } from '../../wear/timing.js';
import {
  SECONDS_PER_DAY,
  SECONDS_PER_YEAR,
  parseWearConfig,
  parseWearWorkload,
} from '../../wear/workload.js';
import { EXIT_PROBLEMS, EXIT_USAGE, cliFail, failOn, orFail } from '../_errors.js';
import { io, print, printError, readJsonFile } from '../_io.js';
import { table } from '../_output.js';
import { printJson } from '../_report.js';
import { eraseCountsChart, eraseRateChart, latencyChart } from '../_wear-plot.js';

function positive(name: string, value: string, integer: boolean): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0 || (integer && !Number.isSafeInteger(parsed))) {
    cliFail(`--${name} must be ${integer ? 'an integer ≥ 1' : 'a number > 0'}, got ${value}`);
  }
  return parsed;
}

/** Parses a file's JSON with a core parser, turning its INVALID_ARGUMENT into one line. */
function load<T>(path: string, what: string, parse: (json: unknown, source: string) => T): T {
  const json = readJsonFile(path, what);
  return orFail(() => parse(json, `${what} ${path}`));
}

function lifetimeYears(seconds: number): number | null {
  return Number.isFinite(seconds) ? seconds / SECONDS_PER_YEAR : null;
}

function round(value: number, digits = 4): number {
  return Number(value.toPrecision(digits + 2));
}

/** The report as versioned snake_case JSON. */
function reportJson(report: WearReport): Record<string, unknown> {
  return {
    sector_count: report.sectorCount,
    sector_size: report.sectorSizeBytes,
    endurance: report.enduranceCycles,
    horizon_years: report.horizonSeconds / SECONDS_PER_YEAR,
    lifetime_years: lifetimeYears(report.lifetimeSeconds),
    lifetime_method: report.lifetimeMethod,
    first_worn_sector: report.firstWornSector ?? null,
    erase_counts: report.eraseCounts,
    erases_per_sector_per_day: report.erasesPerSectorPerDay.map((rate) => round(rate)),
    write_amplification: round(report.writeAmplification),
    flash_bytes_written: report.flashBytesWritten,
    value_bytes_written: report.valueBytesWritten,
    gc_events: report.gcEvents,
    writes_with_gc: report.writesWithGc,
    total_writes: report.totalWrites,
    simulated_writes: report.simulatedWrites,
    extrapolated_writes: report.extrapolatedWrites,
    steady_state:
      report.steadyState === undefined
        ? null
        : {
            cycle_writes: report.steadyState.cycleWrites,
            cycle_days: round(report.steadyState.cycleSeconds / SECONDS_PER_DAY),
            cycle_erase_counts: report.steadyState.cycleEraseCounts,
            confirmed_after_writes: report.steadyState.confirmedAfterWrites,
            confirmed_after_days: round(report.steadyState.confirmedAfterSeconds / SECONDS_PER_DAY),
          },
    latency_ms: {
      p50: round(report.latency.p50Ms),
      p99: round(report.latency.p99Ms),
      max: round(report.latency.maxMs),
      mean: round(report.latency.meanMs),
    },
    read_strategy: report.readStrategy,
  };
}

function describeYears(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'never (no sector is erased)';
  const years = seconds / SECONDS_PER_YEAR;
  return years >= 1
    ? `${years.toFixed(2)} years`
    : `${(seconds / SECONDS_PER_DAY).toFixed(1)} days`;
}

const METHODS: Record<WearReport['lifetimeMethod'], string> = {
  simulated: 'reached in the simulation',
  cycle: 'from the repeating erase pattern',
  rate: 'beyond the horizon, at the erase rate of its second half',
  never: '',
};

function summary(report: WearReport): string {
  const count = (n: number): string => n.toLocaleString('en-US');
  const worn =
    report.firstWornSector === undefined
      ? describeYears(report.lifetimeSeconds)
      : `${describeYears(report.lifetimeSeconds)} (sector ${report.firstWornSector} reaches ${count(report.enduranceCycles)} erases; ${METHODS[report.lifetimeMethod]})`;
  const steady = report.steadyState;
  const rows: [string, string][] = [
    ['partition', `${report.sectorCount} × ${count(report.sectorSizeBytes)} B sectors`],
    ['lifetime', worn],
    ['write amplification', `${report.writeAmplification.toFixed(3)} (flash bytes / value bytes)`],
    [
      'garbage collection',
      `${count(report.gcEvents)} sectors collected; ${((report.writesWithGc / report.totalWrites) * 100).toFixed(2)} % of writes wait for one`,
    ],
    [
      'write latency',
      `p50 ${report.latency.p50Ms.toFixed(3)} ms, p99 ${report.latency.p99Ms.toFixed(3)} ms, max ${report.latency.maxMs.toFixed(3)} ms ` +
        `(${report.readStrategy === 'pw_kvs' ? "pw_kvs's reads" : "flashkv's reads"})`,
    ],
    [
      'writes',
      `${count(report.totalWrites)} over ${(report.horizonSeconds / SECONDS_PER_YEAR).toFixed(2)} years: ` +
        `${count(report.simulatedWrites)} simulated, ${count(report.extrapolatedWrites)} extrapolated`,
    ],
  ];
  if (steady !== undefined) {
    rows.push([
      'steady state',
      `erase pattern repeats every ${count(steady.cycleWrites)} writes (${(steady.cycleSeconds / SECONDS_PER_DAY).toFixed(2)} days)`,
    ]);
  }
  const sectors = table(
    ['sector', 'erases', 'erases/day', 'worn out after'],
    report.eraseCounts.map((erases, s) => {
      const rate = report.erasesPerSectorPerDay[s]!;
      const wornAfter =
        rate === 0
          ? 'never'
          : describeYears(
              s === report.firstWornSector
                ? report.lifetimeSeconds
                : (report.enduranceCycles / rate) * SECONDS_PER_DAY,
            );
      return [s, count(erases), rate.toFixed(2), wornAfter];
    }),
  );
  return `${table([], rows)}\n\n${sectors}`;
}

export default defineCommand({
  meta: {
    name: 'wear',
    description: [
      'Simulate years of a workload on the real store: lifetime, wear per sector, GC, latency.',
      '  Runs the store on an in-memory flash (the config has the image config fields plus gc_on_write),',
      "  with the workload's keys written at their rates in time order; once the per-sector erase pattern",
      '  repeats, the rest of the horizon is extrapolated (--no-fast-forward simulates every write).',
      '  WORKLOAD: {"keys": [{"key": "log/last", "size": 64, "every_s": 60},',
      '             {"prefix": "cal/", "count": 200, "size": 32, "static": true},',
      '             {"key": "boot/count", "size": 4, "per_day": 10}]}',
      '  TIMING (ms; defaults: a typical SPI NOR): erase_sector_ms, program_call_ms, program_byte_ms,',
      '  read_call_ms, read_byte_ms.',
      '  Examples:',
      '    flashkv wear --config kvs.json --workload workload.json --plot wear-charts',
      '    flashkv wear --config kvs.json --workload workload.json --recommend --target-years 10',
    ].join('\n'),
  },
  args: {
    config: { type: 'string', description: 'Store config JSON (sector_size, sector_count, …)' },
    workload: { type: 'string', description: 'Workload JSON ({"keys": [...]})' },
    endurance: { type: 'string', description: 'Erases a sector survives', default: '100000' },
    years: { type: 'string', description: 'Horizon to simulate, in years', default: '10' },
    timing: { type: 'string', description: 'Timing model JSON (datasheet figures in ms)' },
    json: { type: 'boolean', description: 'Print the report as JSON' },
    plot: { type: 'string', description: 'Write SVG charts into this folder' },
    recommend: {
      type: 'boolean',
      description: 'Find the smallest sector count for --target-years',
    },
    'target-years': { type: 'string', description: 'Lifetime --recommend aims for', default: '10' },
    'max-sectors': {
      type: 'string',
      description: 'Largest count --recommend tries',
      default: '256',
    },
    'fast-forward': {
      type: 'boolean',
      description: 'Extrapolate once the erase pattern repeats',
      negativeDescription: 'Simulate every erase to the end, however long that takes',
      default: true,
    },
    reads: {
      type: 'enum',
      options: ['pw_kvs', 'flashkv'],
      default: 'pw_kvs',
      description: "Whose reads the latency counts: pw_kvs's (the firmware's) or flashkv's",
    },
  },
  run({ args }) {
    if (args.config === undefined)
      cliFail('missing --config CONFIG.json (see flashkv wear --help)');
    if (args.workload === undefined) {
      cliFail('missing --workload WORKLOAD.json (see flashkv wear --help)');
    }
    const enduranceCycles = positive('endurance', args.endurance, true);
    const horizonYears = positive('years', args.years, false);
    const targetYears = positive('target-years', args['target-years'], false);
    const maxSectorCount = positive('max-sectors', args['max-sectors'], true);
    const config = load(args.config, 'config', parseWearConfig);
    const workload = load(args.workload, 'workload', (json, source) =>
      parseWearWorkload(json, source, config),
    );
    const timing =
      args.timing === undefined
        ? DEFAULT_SPI_NOR_TIMING
        : load(args.timing, 'timing model', parseTimingModel);
    const bar = io().stderr.isTTY
      ? new SingleBar({
          format: ' {bar} {percentage}% {value}/{total} writes  {name}',
          clearOnComplete: true,
          stream: io().stderr as NodeJS.WritableStream,
        })
      : undefined;
    let label = '';
    bar?.start(1, 0, { name: label });
    const options = {
      config,
      workload,
      enduranceCycles,
      horizonYears,
      timing,
      fastForward: args['fast-forward'] !== false,
      readStrategy: args.reads as WearReadStrategy,
      onProgress: (done: number, total: number) => {
        bar?.setTotal(total);
        bar?.update(done, { name: label });
      },
    };

    try {
      if (args.recommend) {
        const recommendation = recommendSectorCount({
          ...options,
          targetYears,
          maxSectorCount,
          onTrial: (count) => {
            label = `${count} sectors`;
          },
        });
        bar?.stop();
        const best = recommendation.trials.find(
          (trial) => trial.sectorCount === recommendation.sectorCount,
        );
        if (args.json) {
          printJson('wear_recommendation', {
            target_years: targetYears,
            recommended_sector_count: recommendation.sectorCount ?? null,
            trials: recommendation.trials.map((trial) => ({
              sector_count: trial.sectorCount,
              lifetime_years: Number.isFinite(trial.lifetimeYears) ? trial.lifetimeYears : null,
              fits: trial.failure === undefined,
              failure: trial.failure ?? null,
              outlived_by: trial.outlivedBy ?? null,
            })),
            report: best?.report === undefined ? null : reportJson(best.report),
          });
        } else {
          print(
            table(
              ['sectors', 'lifetime', 'first worn sector', 'note'],
              recommendation.trials.map((trial) => [
                trial.sectorCount,
                trial.failure !== undefined
                  ? 'does not fit'
                  : describeYears(trial.lifetimeYears * SECONDS_PER_YEAR),
                trial.report?.firstWornSector ?? '',
                trial.outlivedBy === undefined
                  ? ''
                  : `shorter than with ${trial.outlivedBy} sectors (more sectors pinned by unchanging data)`,
              ]),
            ),
          );
          print(
            recommendation.sectorCount === undefined
              ? `\nno sector count up to ${maxSectorCount} lasts ${targetYears} years`
              : `\nsmallest sector count for ${targetYears} years: ${recommendation.sectorCount} × ${config.sectorSizeBytes} B`,
          );
        }
        if (args.plot !== undefined && best?.report !== undefined) {
          writePlots(args.plot, best.report, targetYears);
        }
        return;
      }
      const report = simulateWear(options);
      bar?.stop();
      if (args.json) {
        printJson('wear', { ...reportJson(report), timing_ms: timingModelToJson(timing) });
      } else {
        print(summary(report));
      }
      if (args.plot !== undefined) writePlots(args.plot, report, horizonYears);
    } catch (error) {
      bar?.stop();
      // A workload that does not fit is a finding about the config, not a usage error.
      failOn(error, {
        exitCode: (kvsError) =>
          kvsError.code === 'RESOURCE_EXHAUSTED' ? EXIT_PROBLEMS : EXIT_USAGE,
      });
    }
  },
});

function writePlots(folder: string, report: WearReport, targetYears: number): void {
  mkdirSync(folder, { recursive: true });
  const files: [string, string][] = [
    ['erase-counts.svg', eraseCountsChart(report)],
    ['erase-rate.svg', eraseRateChart(report, targetYears)],
    ['latency.svg', latencyChart(report)],
  ];
  for (const [name, svg] of files) writeFileSync(join(folder, name), svg);
  printError(`charts written to ${files.map(([name]) => join(folder, name)).join(', ')}`);
}
