import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SingleBar } from 'cli-progress';
import { defineCommand } from 'citty';
import { isChecksumName } from '../../format/checksum.js';
import { entryFormat } from '../../format/entry-format.js';
import {
  type TortureConfig,
  type TortureReport,
  failureScenario,
  runTorture,
} from '../../torture/torture.js';
import { validateGeometry } from '../../flash/flash-memory.js';
import { EXIT_OK, EXIT_PROBLEMS, cliFail, orFail } from '../_errors.js';
import { io, print, setExitCode } from '../_io.js';
import { printJson } from '../_report.js';
import { snakeCaseKeys } from '../../image/report.js';

function integer(name: string, value: string, min: number): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < min)
    cliFail(`--${name} must be an integer ≥ ${min}, got ${value}`);
  return parsed;
}

/** The configurations `--matrix` sweeps: geometries, alignments and redundancy 1–3. */
const MATRIX: { sectorSize: number; sectors: number; alignment: number; redundancy: number }[] = [
  { sectorSize: 512, sectors: 8, alignment: 16, redundancy: 1 },
  { sectorSize: 512, sectors: 8, alignment: 16, redundancy: 2 },
  { sectorSize: 512, sectors: 8, alignment: 1, redundancy: 1 },
  { sectorSize: 1024, sectors: 6, alignment: 64, redundancy: 1 },
  { sectorSize: 1024, sectors: 6, alignment: 64, redundancy: 2 },
  { sectorSize: 4096, sectors: 4, alignment: 256, redundancy: 1 },
  { sectorSize: 2048, sectors: 8, alignment: 16, redundancy: 3 },
  { sectorSize: 4096, sectors: 6, alignment: 16, redundancy: 2 },
];

export default defineCommand({
  meta: {
    name: 'torture',
    description: [
      'Cut power at every program/erase point of a workload and check recovery.',
      '  A seeded random workload (or random cut points), with or without torn writes; after each cut a fresh',
      '  store must keep every acknowledged write and still take writes.',
      '  Examples:',
      '    flashkv torture --ops 300 --redundancy 2 --torn',
      '    flashkv torture --matrix --seeds 5 --torn --json',
    ].join('\n'),
  },
  args: {
    'sector-size': { type: 'string', description: 'Bytes per sector', default: '512' },
    sectors: { type: 'string', description: 'Sectors in the partition', default: '8' },
    alignment: { type: 'string', description: 'Write alignment in bytes', default: '16' },
    redundancy: { type: 'string', description: 'Copies of every entry', default: '1' },
    'max-entries': { type: 'string', description: 'Index capacity', default: '64' },
    magic: { type: 'string', description: 'Entry format magic', default: '3528829097' },
    checksum: { type: 'string', description: 'crc16, crc32, none or ignore', default: 'crc16' },
    recovery: {
      type: 'enum',
      options: ['immediate', 'lazy', 'manual'],
      default: 'lazy',
      description: 'Error recovery',
    },
    hardening: { type: 'boolean', description: "Enable the store's power-loss hardening" },
    ops: { type: 'string', description: 'Workload operations', default: '300' },
    keys: { type: 'string', description: 'Distinct keys in the workload', default: '8' },
    'max-value': { type: 'string', description: 'Largest value in bytes', default: '40' },
    seed: { type: 'string', description: 'Workload seed', default: '1' },
    seeds: { type: 'string', description: 'Run this many consecutive seeds', default: '1' },
    schedule: {
      type: 'enum',
      options: ['linear', 'random', 'exhaustive'],
      default: 'linear',
      description:
        'Every cut point, random ones, or every point plus a second cut inside each recovery',
    },
    cuts: { type: 'string', description: 'Cuts for --schedule random', default: '100' },
    torn: {
      type: 'boolean',
      description: 'Cut writes and erases tear (part of the operation lands)',
    },
    matrix: {
      type: 'boolean',
      description: 'Sweep the built-in matrix of geometries and redundancies',
    },
    'failures-dir': {
      type: 'string',
      description: 'Where to write a scenario file per failure',
      default: 'torture-failures',
    },
    json: { type: 'boolean', description: 'Print the full report as JSON' },
  },
  run({ args }) {
    if (!isChecksumName(args.checksum))
      cliFail(`--checksum must be crc16, crc32, none or ignore, got ${args.checksum}`);
    const base = {
      ops: integer('ops', args.ops, 1),
      keys: integer('keys', args.keys, 1),
      maxValue: integer('max-value', args['max-value'], 0),
      seed: integer('seed', args.seed, 0),
      seeds: integer('seeds', args.seeds, 1),
      cuts: integer('cuts', args.cuts, 1),
      maxEntries: integer('max-entries', args['max-entries'], 1),
      magic: integer('magic', args.magic, 0),
    };
    const shapes = args.matrix
      ? MATRIX
      : [
          {
            sectorSize: integer('sector-size', args['sector-size'], 1),
            sectors: integer('sectors', args.sectors, 2),
            alignment: integer('alignment', args.alignment, 1),
            redundancy: integer('redundancy', args.redundancy, 1),
          },
        ];
    const runs: { config: TortureConfig; scenario: Record<string, unknown>; name: string }[] = [];
    for (const shape of shapes) {
      const geometry = {
        sectorSizeBytes: shape.sectorSize,
        sectorCount: shape.sectors,
        alignmentBytes: shape.alignment,
      };
      const checksum = args.checksum;
      orFail(() => {
        validateGeometry(geometry);
        entryFormat({ magic: base.magic, checksum });
      });
      for (let seed = base.seed; seed < base.seed + base.seeds; seed++) {
        const store = {
          formats: [{ magic: base.magic, checksum: args.checksum }],
          redundancy: shape.redundancy,
          maxEntries: base.maxEntries,
          recovery: args.recovery as 'immediate' | 'lazy' | 'manual',
          powerLossHardening: args.hardening === true,
        };
        runs.push({
          name: `${shape.sectors}×${shape.sectorSize} B, align ${shape.alignment}, redundancy ${shape.redundancy}, seed ${seed}`,
          config: {
            geometry,
            store,
            workload: { ops: base.ops, keys: base.keys, maxValueBytes: base.maxValue, seed },
            schedule: args.schedule as TortureConfig['schedule'],
            randomCuts: base.cuts,
            torn: args.torn === true,
          },
          scenario: {
            sector_size: shape.sectorSize,
            sector_count: shape.sectors,
            alignment: shape.alignment,
            magic: base.magic,
            checksum: args.checksum,
            redundancy: shape.redundancy,
            max_entries: base.maxEntries,
            recovery: args.recovery,
            power_loss_hardening: args.hardening === true,
          },
        });
      }
    }

    const bar = io().stderr.isTTY
      ? new SingleBar({
          format: ' {bar} {value}/{total} cuts  {name}',
          clearOnComplete: true,
          stream: io().stderr as NodeJS.WritableStream,
        })
      : undefined;
    bar?.start(1, 0, { name: '' });
    const totals = { cutPoints: 0, lost: 0, unrecoverable: 0, threw: 0 };
    const reports: { name: string; report: TortureReport }[] = [];
    let failureFiles = 0;
    for (const run of runs) {
      const report = runTorture(run.config, (done, total) => {
        bar?.setTotal(total);
        bar?.update(done, { name: run.name });
      });
      reports.push({ name: run.name, report });
      totals.cutPoints += report.cutPoints;
      totals.lost += report.committedWritesLost;
      totals.unrecoverable += report.unrecoverable;
      totals.threw += report.nonKvsErrors;
      for (const failure of report.failures) {
        mkdirSync(args['failures-dir'], { recursive: true });
        const file = join(args['failures-dir'], `failure-${++failureFiles}.json`);
        writeFileSync(
          file,
          `${JSON.stringify(failureScenario(run.config, run.scenario, failure), null, 1)}\n`,
        );
      }
    }
    bar?.stop();

    setExitCode(totals.lost + totals.unrecoverable + totals.threw === 0 ? EXIT_OK : EXIT_PROBLEMS);
    if (args.json) {
      // One JSON document and nothing else on stdout.
      printJson('torture', snakeCaseKeys({ totals, runs: reports }) as Record<string, unknown>);
      return;
    } else {
      for (const { name, report } of reports) {
        print(
          `${name}: ${report.cutPoints} cuts, lost ${report.committedWritesLost}, unrecoverable ${report.unrecoverable}, non-KvsError throws ${report.nonKvsErrors}`,
        );
      }
      if (failureFiles > 0)
        print(
          `${failureFiles} failure scenario(s) written to ${args['failures-dir']}/ (replay with flashkv run)`,
        );
      if (totals.threw > 0) print(`non-KvsError throws ${totals.threw}`);
    }
    print(
      `cut points ${totals.cutPoints}, committed writes lost ${totals.lost}, unrecoverable ${totals.unrecoverable}`,
    );
  },
});
