#!/usr/bin/env node
// `npm run diff-fuzz -- --pw-kvs PATH --cases N --seed S`: differential fuzzing against the real
// pw_kvs. Random scenarios (src/scenario/random-scenario.ts) run on the pw_kvs oracle and on
// flashkv in this process; any difference in a status, value, listing, statistic, the flash
// counters or the final image is shrunk to a small scenario and saved, ready to run on both
// (`oracle run`, `flashkv run`) and to become a test/golden fixture.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { defineCommand, runMain } from 'citty';
import { SingleBar } from 'cli-progress';
import { differenceKind, differences, withPwKvsListedKeys } from '../scenario/compare.js';
import { type GeneratedCase, type ScenarioJson, randomCase } from '../scenario/random-scenario.js';
import { type ScenarioReport, runScenario } from '../scenario/run-scenario.js';
import { parseScenario } from '../scenario/scenario.js';
import { shrinkCase } from '../scenario/shrink.js';
import { KvsError } from '../status.js';

type Json = Record<string, unknown>;

/** What pw_kvs did with a case. */
export type OracleOutcome =
  | { kind: 'ran'; expected: { results: Json[]; flash: Json }; image: Uint8Array }
  /** The oracle refused the configuration (one on which pw_kvs aborts or hangs) or the input. */
  | { kind: 'refused'; message: string }
  /** pw_kvs aborted (a PW_CHECK) or crashed. */
  | { kind: 'aborted'; message: string }
  /** pw_kvs did not finish within the time limit. */
  | { kind: 'hung' }
  /** The oracle could not run an op as written (a generator bug). */
  | { kind: 'harness_error'; message: string };

/** Parses JSON whose integers may exceed 2^53 (pw_kvs's u64 statistics): those become bigints. */
export function parseExactJson(text: string): unknown {
  const marker = '\u0000u64:';
  const marked = text.replace(/"(?:[^"\\]|\\.)*"|-?\d{16,}(?![.eE\d])/g, (token) =>
    token.startsWith('"') ? token : `"\\u0000u64:${token}"`,
  );
  return JSON.parse(marked, (_key, value: unknown) => {
    if (typeof value !== 'string' || !value.startsWith(marker)) return value;
    const big = BigInt(value.slice(marker.length));
    return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  });
}

/** Runs one case on the pw_kvs oracle. */
export function runOracle(
  oracle: string,
  testCase: GeneratedCase,
  workDir: string,
  name: string,
  timeoutMs: number,
): Promise<OracleOutcome> {
  const scenario: Json = { ...testCase.scenario, image_out: join(workDir, `${name}.out.bin`) };
  if (testCase.imageIn !== undefined) {
    const imagePath = join(workDir, `${name}.in.bin`);
    writeFileSync(imagePath, testCase.imageIn);
    scenario.image_in = imagePath;
  }
  const scenarioPath = join(workDir, `${name}.json`);
  writeFileSync(scenarioPath, JSON.stringify(scenario));
  return new Promise((done) => {
    execFile(
      oracle,
      ['run', scenarioPath],
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 256 * 1024 * 1024 },
      (error, stdout) => {
        const finish = (outcome: OracleOutcome) => {
          rmSync(scenarioPath, { force: true });
          rmSync(join(workDir, `${name}.in.bin`), { force: true });
          rmSync(join(workDir, `${name}.out.bin`), { force: true });
          done(outcome);
        };
        if (error !== null) {
          const failure = error as Error & {
            code?: number | string;
            signal?: string;
            killed?: boolean;
          };
          if (failure.killed === true && failure.signal === 'SIGKILL')
            return finish({ kind: 'hung' });
          if (failure.code === 2) {
            let message = stdout.trim();
            try {
              message = String((JSON.parse(stdout) as Json).error);
            } catch {
              // not JSON: keep the text
            }
            return finish({ kind: 'refused', message });
          }
          if (failure.code !== 1) {
            return finish({
              kind: 'aborted',
              message: `exit ${String(failure.code ?? failure.signal)}`,
            });
          }
        }
        let output: Json;
        try {
          output = parseExactJson(stdout) as Json;
        } catch (problem) {
          return finish({ kind: 'aborted', message: `unreadable output: ${String(problem)}` });
        }
        const results = output.results as Json[];
        const harnessError = results.find((result) => 'error' in result);
        if (harnessError !== undefined || output.harness_errors !== 0) {
          return finish({ kind: 'harness_error', message: JSON.stringify(harnessError ?? output) });
        }
        const image = new Uint8Array(readFileSync(join(workDir, `${name}.out.bin`)));
        finish({ kind: 'ran', expected: { results, flash: output.flash as Json }, image });
      },
    );
  });
}

/** Runs one case on flashkv, in this process. */
export function runFlashkv(testCase: GeneratedCase): ScenarioReport | KvsError {
  try {
    return runScenario(parseScenario(testCase.scenario), testCase.imageIn);
  } catch (error) {
    if (error instanceof KvsError) return error;
    throw error;
  }
}

/** What {@link compareRuns} says of a difference that docs/compatibility.md documents. */
export const KNOWN_DEVIATION = 'known_deviation';

/**
 * The kind of difference between the two runs, null when they agree, or
 * {@link KNOWN_DEVIATION} when they differ only where flashkv departs from pw_kvs on purpose.
 */
export function compareRuns(
  flashkv: ScenarioReport | KvsError,
  pwKvs: OracleOutcome,
): string | null {
  if (pwKvs.kind !== 'ran') return null;
  if (flashkv instanceof KvsError) return `flashkv_refused.${flashkv.code}`;
  const kind = differenceKind(flashkv, pwKvs.expected, pwKvs.image);
  if (kind === null) return null;
  // A listed key holding 0x00 is whole in flashkv and cut in pw_kvs, on purpose.
  const known = differenceKind(withPwKvsListedKeys(flashkv), pwKvs.expected, pwKvs.image);
  return known === null ? KNOWN_DEVIATION : kind;
}

/** Totals of a run. */
export interface DiffFuzzSummary {
  seed: number;
  cases: number;
  compared: number;
  refused: number;
  aborted: number;
  hung: number;
  harnessErrors: number;
  /** Cases that differ only where flashkv departs from pw_kvs on purpose (not differences). */
  knownDeviations: number;
  differences: number;
  byKind: Record<string, number>;
  saved: string[];
  seconds: number;
}

/** Writes a shrunk difference: a scenario file both sides run, and a fixture-format record. */
function saveDifference(
  outDir: string,
  name: string,
  testCase: GeneratedCase,
  pwKvs: Extract<OracleOutcome, { kind: 'ran' }>,
  note: string,
): void {
  mkdirSync(join(outDir, 'cases'), { recursive: true });
  const scenario: ScenarioJson = { note, ...testCase.scenario };
  const fixtureScenario: ScenarioJson = { ...scenario };
  if (testCase.imageIn !== undefined) {
    writeFileSync(join(outDir, `${name}.in.bin`), testCase.imageIn);
    scenario.image_in = `${name}.in.bin`;
    fixtureScenario.image_in = `${name}.in.bin`;
    writeFileSync(join(outDir, 'cases', `${name}.in.bin.gz`), gzipSync(testCase.imageIn));
  }
  writeFileSync(join(outDir, `${name}.json`), `${JSON.stringify(scenario, null, 1)}\n`);
  writeFileSync(join(outDir, 'cases', `${name}.out.bin.gz`), gzipSync(pwKvs.image));
  const record = {
    id: name,
    family: 'diff-fuzz',
    scenario: fixtureScenario,
    expected: {
      results: pwKvs.expected.results.map((result) => {
        const copy = { ...result };
        delete copy.i; // the oracle's op index
        return copy;
      }),
      flash: pwKvs.expected.flash,
      image_out: `${name}.out.bin`,
      image_sha256: createHash('sha256').update(pwKvs.image).digest('hex'),
    },
  };
  writeFileSync(
    join(outDir, 'cases', `${name}.json`),
    `${JSON.stringify(record, (_key, value: unknown) => (typeof value === 'bigint' ? Number(value) : value), 1)}\n`,
  );
}

/** Options of {@link diffFuzz}. */
export interface DiffFuzzOptions {
  oracle: string;
  cases: number;
  seed: number;
  outDir: string;
  jobs: number;
  timeoutMs: number;
  /** How many differences of one kind are shrunk and saved (the rest are only counted). */
  perKind: number;
  maxShrinkTries: number;
  onCase?: (summary: DiffFuzzSummary) => void;
  onDifference?: (name: string, kind: string, problems: string[]) => void;
}

/** Runs the differential fuzzer: `cases` random cases, `jobs` at a time. */
export async function diffFuzz(options: DiffFuzzOptions): Promise<DiffFuzzSummary> {
  const started = Date.now();
  const workDir = mkdtempSync(join(tmpdir(), 'flashkv-diff-fuzz-'));
  const summary: DiffFuzzSummary = {
    seed: options.seed,
    cases: 0,
    compared: 0,
    refused: 0,
    aborted: 0,
    hung: 0,
    harnessErrors: 0,
    knownDeviations: 0,
    differences: 0,
    byKind: {},
    saved: [],
    seconds: 0,
  };
  let nextIndex = 0;
  let probe = 0;

  const one = async (index: number): Promise<void> => {
    const testCase = randomCase(options.seed, index);
    const pwKvs = await runOracle(
      options.oracle,
      testCase,
      workDir,
      `case-${index}`,
      options.timeoutMs,
    );
    summary.cases++;
    if (pwKvs.kind === 'refused') summary.refused++;
    else if (pwKvs.kind === 'aborted') summary.aborted++;
    else if (pwKvs.kind === 'hung') summary.hung++;
    else if (pwKvs.kind === 'harness_error') summary.harnessErrors++;
    if (pwKvs.kind !== 'ran') return;
    summary.compared++;
    const flashkv = runFlashkv(testCase);
    const kind = compareRuns(flashkv, pwKvs);
    if (kind === null) return;
    if (kind === KNOWN_DEVIATION) {
      summary.knownDeviations++;
      return;
    }
    summary.differences++;
    const seen = (summary.byKind[kind] = (summary.byKind[kind] ?? 0) + 1);
    if (seen > options.perKind) return;
    const shrunk = await shrinkCase(
      testCase,
      async (candidate) => {
        const outcome = await runOracle(
          options.oracle,
          candidate,
          workDir,
          `shrink-${index}-${probe++}`,
          options.timeoutMs,
        );
        return compareRuns(runFlashkv(candidate), outcome) === kind;
      },
      options.maxShrinkTries,
    );
    const final = await runOracle(
      options.oracle,
      shrunk.case,
      workDir,
      `final-${index}`,
      options.timeoutMs,
    );
    if (final.kind !== 'ran') return;
    const name = `seed${options.seed}-case${index}`;
    const report = runFlashkv(shrunk.case);
    const problems =
      report instanceof KvsError
        ? [`flashkv refused the scenario: ${report.code} ${report.message}`]
        : differences(report, final.expected, final.image);
    const note =
      `Found by differential fuzzing (npm run diff-fuzz -- --seed ${options.seed}, case ${index}), ` +
      `shrunk in ${shrunk.tries} tries; flashkv differed from pw_kvs: ${kind}.`;
    saveDifference(options.outDir, name, shrunk.case, final, note);
    summary.saved.push(name);
    options.onDifference?.(name, kind, problems);
  };

  const worker = async (): Promise<void> => {
    while (nextIndex < options.cases) {
      await one(nextIndex++);
      options.onCase?.(summary);
    }
  };
  try {
    await Promise.all(Array.from({ length: options.jobs }, () => worker()));
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  summary.seconds = (Date.now() - started) / 1000;
  return summary;
}

function wholeNumber(name: string, text: string, min: number): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new KvsError(
      'INVALID_ARGUMENT',
      `--${name} must be a whole number ≥ ${min}, got '${text}'`,
    );
  }
  return value;
}

const command = defineCommand({
  meta: {
    name: 'diff-fuzz',
    description:
      'Random scenarios on the real pw_kvs and on flashkv; every difference shrunk and saved.',
  },
  args: {
    'pw-kvs': { type: 'string', required: true, description: 'The pw_kvs oracle binary' },
    cases: { type: 'string', default: '1000', description: 'How many random scenarios' },
    seed: { type: 'string', default: '1', description: 'Seed of the run (each case has its own)' },
    out: {
      type: 'string',
      default: 'diff-fuzz-out',
      description: 'Folder for the shrunk differences',
    },
    jobs: { type: 'string', default: '2', description: 'Oracle processes at a time' },
    timeout: {
      type: 'string',
      default: '10000',
      description: 'Milliseconds before a pw_kvs run counts as hung',
    },
    'per-kind': {
      type: 'string',
      default: '3',
      description: 'Differences of one kind to shrink and save (the rest are counted)',
    },
    'shrink-tries': {
      type: 'string',
      default: '1500',
      description: 'Candidates the shrinker may run per difference',
    },
    json: { type: 'boolean', description: 'Print the summary as JSON' },
  },
  async run({ args }) {
    const cases = wholeNumber('cases', args.cases, 1);
    const bar = process.stderr.isTTY
      ? new SingleBar({
          format:
            ' {bar} {value}/{total} cases | {differences} differences | {skipped} skipped | {eta_formatted}',
          clearOnComplete: true,
        })
      : undefined;
    bar?.start(cases, 0, { differences: 0, skipped: 0 });
    const found: string[] = [];
    const summary = await diffFuzz({
      oracle: resolve(args['pw-kvs']),
      cases,
      seed: wholeNumber('seed', args.seed, 0),
      outDir: resolve(args.out),
      jobs: wholeNumber('jobs', args.jobs, 1),
      timeoutMs: wholeNumber('timeout', args.timeout, 1),
      perKind: wholeNumber('per-kind', args['per-kind'], 0),
      maxShrinkTries: wholeNumber('shrink-tries', args['shrink-tries'], 0),
      onCase(progress) {
        bar?.update(progress.cases, {
          differences: progress.differences,
          skipped: progress.refused + progress.aborted + progress.hung + progress.harnessErrors,
        });
      },
      onDifference(name, kind, problems) {
        found.push(`difference ${kind}: saved ${name}\n  ${problems.join('\n  ')}`);
        if (bar === undefined) process.stderr.write(`${found[found.length - 1]!}\n`);
      },
    });
    bar?.stop();
    if (bar !== undefined && found.length > 0) process.stderr.write(`${found.join('\n')}\n`);
    if (args.json) {
      process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    } else {
      const lines = [
        `seed ${summary.seed}: ${summary.cases} cases in ${summary.seconds.toFixed(1)} s`,
        `  compared with pw_kvs: ${summary.compared}`,
        `  skipped: ${summary.refused} refused by the oracle, ${summary.aborted} pw_kvs aborts, ${summary.hung} pw_kvs hangs, ${summary.harnessErrors} harness errors`,
        `  known deviations (docs/compatibility.md): ${summary.knownDeviations}`,
        `  differences: ${summary.differences}`,
        ...Object.entries(summary.byKind).map(([kind, count]) => `    ${kind}: ${count}`),
        ...(summary.saved.length > 0
          ? [`  saved in ${resolve(args.out)}: ${summary.saved.join(', ')}`]
          : []),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    if (summary.differences > 0) process.exitCode = 1;
  },
});

if (
  process.argv[1] !== undefined &&
  realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)
) {
  void runMain(command);
}
