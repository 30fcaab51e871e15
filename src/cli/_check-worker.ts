// A worker thread of `flashkv check DUMP...`: checks the dumps it is given, posts the rows back.
import { parentPort, workerData } from 'node:worker_threads';
import { checkRow } from './_check.js';
import type { ConfigArgs } from './_image.js';

const { paths, args } = workerData as { paths: string[]; args: ConfigArgs };
parentPort?.postMessage(paths.map((path) => checkRow(path, args)));
