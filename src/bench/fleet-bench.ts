// `npm run bench:fleet`: fleet ingest end to end into DuckDB, beside today's `check DIR` on the
// same files. Generates a fleet with seeded damage (src/bench/fleet-workload.ts) in a temporary
// folder, spawns the built CLI on it, and prints dumps/s, MB/s and peak memory.
//   node dist/bench/fleet-bench.js [--dumps N] [--large N] [--large-sectors N] [--no-check]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateFleet } from './fleet-workload.js';

const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));

function writeFleet(folder: string, count: number, sectorCount: number, seed: number): number {
  mkdirSync(folder, { recursive: true });
  let bytes = 0;
  for (const dump of generateFleet({ count, seed, sectorCount })) {
    writeFileSync(join(folder, dump.name), dump.bytes);
    if (dump.configJson !== undefined) {
      writeFileSync(join(folder, dump.name.replace(/\.bin$/, '.json')), dump.configJson);
    }
    bytes += dump.bytes.length;
  }
  return bytes;
}

interface Timed {
  seconds: number;
  status: number | null;
  stdout: string;
}

function timed(args: readonly string[]): Timed {
  const started = performance.now();
  const run = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    env: { ...process.env, NO_COLOR: '1' },
  });
  // check exits 1 for problems and 2 when some dump is unreadable: both are results here.
  if (run.status === null || run.status > 2 || (run.status === 2 && args[0] !== 'check')) {
    throw new Error(`flashkv ${args.join(' ')} failed (${run.status}): ${run.stderr}`);
  }
  return { seconds: (performance.now() - started) / 1000, status: run.status, stdout: run.stdout };
}

function row(label: string, dumps: number, bytes: number, seconds: number, rss?: number): string {
  const mb = bytes / 1e6;
  return [
    label.padEnd(34),
    `${seconds.toFixed(2).padStart(7)} s`,
    `${Math.round(dumps / seconds)
      .toString()
      .padStart(6)} dumps/s`,
    `${(mb / seconds).toFixed(1).padStart(7)} MB/s`,
    rss === undefined ? '' : `${Math.round(rss / 2 ** 20)} MiB peak RSS`,
  ].join('  ');
}

function bench(name: string, folder: string, dumps: number, bytes: number, check: boolean): void {
  const db = join(folder, '..', `${name}.duckdb`);
  const ingest = timed(['fleet', 'ingest', db, folder, '--json']);
  const report = JSON.parse(ingest.stdout) as { added: number; max_rss_bytes: number };
  console.log(
    row(`fleet ingest (${name})`, dumps, bytes, ingest.seconds, report.max_rss_bytes),
    `${report.added} added`,
  );
  const again = timed(['fleet', 'ingest', db, folder, '--json']);
  console.log(row(`fleet ingest again, all held`, dumps, bytes, again.seconds));
  if (check) {
    const checked = timed(['check', folder, '--csv']);
    console.log(row(`check DIR (${name})`, dumps, bytes, checked.seconds));
  }
}

const { values } = parseArgs({
  options: {
    dumps: { type: 'string', default: '20000' },
    large: { type: 'string', default: '100' },
    'large-sectors': { type: 'string', default: '256' },
    'no-check': { type: 'boolean', default: false },
  },
});
const root = mkdtempSync(join(tmpdir(), 'flashkv-fleet-bench-'));
try {
  const small = Number(values.dumps);
  const smallBytes = writeFleet(join(root, 'small'), small, 5, 1);
  console.log(
    `fleet of ${small} dumps of 20 KiB (${(smallBytes / 1e6).toFixed(1)} MB), seeded damage`,
  );
  bench('20 KiB', join(root, 'small'), small, smallBytes, values['no-check'] !== true);
  const large = Number(values.large);
  if (large > 0) {
    const sectors = Number(values['large-sectors']);
    const largeBytes = writeFleet(join(root, 'large'), large, sectors, 2);
    console.log(
      `\nfleet of ${large} dumps of ${(sectors * 4096) / 1024} KiB (${(largeBytes / 1e6).toFixed(1)} MB)`,
    );
    bench(
      `${(sectors * 4096) / 1024} KiB`,
      join(root, 'large'),
      large,
      largeBytes,
      values['no-check'] !== true,
    );
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
