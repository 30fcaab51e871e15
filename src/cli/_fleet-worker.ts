// A worker thread of `flashkv fleet ingest`: scans the dumps it is sent, a chunk at a time,
// and posts their rows back.
import { parentPort, workerData } from 'node:worker_threads';
import { scanDump } from './_fleet-scan.js';
import type { ConfigArgs } from './_image.js';

const { args, known } = workerData as { args: ConfigArgs; known: string[] };
const held = new Set(known);

parentPort?.on('message', (paths: string[]) => {
  parentPort?.postMessage(paths.map((path) => scanDump(path, args, (id) => held.has(id))));
});
