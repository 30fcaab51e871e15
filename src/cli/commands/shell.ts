import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { defineCommand } from 'citty';
import type { KeyValueStore } from '../../engine/key-value-store.js';
import type { MemoryFlash } from '../../flash/memory-flash.js';
import { type ImageConfig, describeImageConfig } from '../../image/config.js';
import { keyToText, scanImage } from '../../image/scan.js';
import { KvsError } from '../../status.js';
import { utf8Encode } from '../../utf8.js';
import { CliError, EXIT_PROBLEMS, cliFail, setExitCode } from '../_errors.js';
import {
  CONFIG_ARGS,
  FORCE_ARG,
  openImage,
  requireOpen,
  resolveConfig,
  storeOn,
  writeFile,
} from '../_image.js';
import { print } from '../_io.js';
import { bytes, preview, printableText, sectorMap, table, toHex } from '../_output.js';

/** The image `npm start` and a bare `flashkv shell` open. */
const DEFAULT_IMAGE = 'flashkv.img';

const HELP = [
  ['put KEY VALUE', 'store VALUE (the rest of the line) under KEY'],
  ['get KEY', 'print the value of KEY'],
  ['ls', 'list the keys and values'],
  ['rm KEY', 'delete KEY'],
  ['stats', 'keys, space and transactions'],
  ['map', 'the sector map: valid / stale / free / corrupt bytes'],
  ['gc [heavy]', 'run maintenance (heavy: collect every sector)'],
  ['help', 'this list'],
  ['exit', 'leave (also Ctrl-D)'],
];

/** The shell's state: one store on an in-memory copy, saved after every change. */
class Session {
  constructor(
    readonly path: string,
    readonly flash: MemoryFlash,
    readonly store: KeyValueStore,
    readonly config: ImageConfig,
  ) {}

  private save(): void {
    writeFile(this.path, this.flash.bytes);
  }

  /** Runs one command line; returns false to leave. Throws CliError or KvsError on failure. */
  run(line: string): boolean {
    const words = [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map(
      (m) => m[1] ?? m[2] ?? m[3]!,
    );
    const [command, ...rest] = words;
    if (command === undefined) return true;
    const key = (): string => {
      if (rest[0] === undefined) cliFail(`${command}: missing the key`);
      return rest[0];
    };
    switch (command) {
      case 'exit':
      case 'quit':
        return false;
      case 'help':
        print(table([], HELP));
        return true;
      case 'put': {
        const name = key();
        if (rest.length < 2) cliFail('put: missing the value');
        // The value is the rest of the line as typed (quotes keep spaces).
        const value = rest.slice(1).join(' ');
        this.store.put(name, value);
        this.save();
        print(`ok: ${name} = ${preview(utf8Encode(value))}`);
        return true;
      }
      case 'get': {
        const value = this.store.get(key());
        if (value === undefined) cliFail(`get: key ${JSON.stringify(rest[0])} not found`);
        print(printableText(value) ?? toHex(value));
        return true;
      }
      case 'ls': {
        const rows = [...this.store.items()].map((item) => {
          const value = item.value();
          return [keyToText(item.key), value.length, preview(value, 60)];
        });
        print(rows.length === 0 ? '(no keys)' : table(['key', 'size', 'value'], rows));
        return true;
      }
      case 'rm':
      case 'delete': {
        if (!this.store.delete(key())) cliFail(`rm: key ${JSON.stringify(rest[0])} not found`);
        this.save();
        print(`deleted ${rest[0]}`);
        return true;
      }
      case 'stats': {
        const stats = this.store.storageStats();
        print(
          table(
            [],
            [
              [
                'keys',
                `${this.store.size} (index ${this.store.totalEntriesWithDeleted} of ${this.store.maxSize})`,
              ],
              ['in use', bytes(stats.inUseBytes)],
              ['reclaimable', bytes(stats.reclaimableBytes)],
              ['writable', bytes(stats.writableBytes)],
              ['transactions', this.store.transactionCount],
              ['sectors erased', `${stats.sectorEraseCount} this session`],
            ],
          ),
        );
        return true;
      }
      case 'map':
        print(
          sectorMap(scanImage(this.flash.bytes, this.config).sectors, this.config.sectorSizeBytes),
        );
        return true;
      case 'gc': {
        const heavy = rest[0] === 'heavy';
        if (rest[0] !== undefined && !heavy) cliFail('gc: expected nothing or "heavy"');
        const erasesBefore = this.store.storageStats().sectorEraseCount;
        if (heavy) this.store.heavyMaintenance();
        else this.store.fullMaintenance();
        this.save();
        const erased = this.store.storageStats().sectorEraseCount - erasesBefore;
        print(
          `${heavy ? 'heavy ' : ''}maintenance done: ${erased} sector${erased === 1 ? '' : 's'} erased`,
        );
        return true;
      }
      default:
        return cliFail(`unknown command ${JSON.stringify(command)} (try help)`);
    }
  }
}

const HISTORY_SIZE = 1000;
const HISTORY_FILE = join(homedir(), '.flashkv_history');

/** The prompt's history from earlier sessions, newest first (none if it cannot be read). */
function loadHistory(): string[] {
  try {
    const lines = readFileSync(HISTORY_FILE, 'utf8')
      .split('\n')
      .filter((line) => line !== '');
    return lines.slice(-HISTORY_SIZE).reverse();
  } catch {
    return [];
  }
}

/** Adds a line to the history file; history is a convenience, so failures are ignored. */
function saveHistory(line: string): void {
  if (line.trim() === '') return;
  try {
    appendFileSync(HISTORY_FILE, `${line}\n`);
  } catch {
    // A read-only home folder just means no history next time.
  }
}

function banner(session: Session, created: boolean): string {
  return [
    `flashkv shell on ${session.path}${created ? ' (new, erased)' : ''}: ${describeImageConfig(session.config)}`,
    `${session.store.size} keys. Every change is saved to the file as pw_kvs would write it.`,
    '',
    'Try:  put greeting hello world   get greeting   ls   map   put greeting bye   stats   gc   rm greeting',
    'help lists the commands; exit or Ctrl-D leaves. Outside the shell: flashkv check / dump / export on the file.',
  ].join('\n');
}

export default defineCommand({
  meta: {
    name: 'shell',
    description: [
      'An interactive prompt on an image: put, get, ls, rm, stats, map, gc.',
      '  Every change is saved atomically; the prompt keeps a history. Without IMAGE it opens ./flashkv.img',
      '  (4 × 4 KiB sectors), creating it when absent. With piped input it runs the commands and exits',
      '  (1 if any failed).',
      '  Examples:',
      '    flashkv shell',
      "    printf 'put a 1\\nls\\n' | flashkv shell factory.img",
    ].join('\n'),
  },
  args: {
    image: {
      type: 'positional',
      description: `Image file (default ${DEFAULT_IMAGE})`,
      required: false,
    },
    create: { type: 'boolean', description: 'Create the image (erased) when it does not exist' },
    ...CONFIG_ARGS,
    ...FORCE_ARG,
  },
  async run({ args }) {
    const path = args.image ?? DEFAULT_IMAGE;
    let session: Session;
    const created = !existsSync(path);
    if (created) {
      if (args.image !== undefined && args.create !== true) {
        cliFail(`image file ${path} does not exist (pass --create to make an erased one)`);
      }
      const { config } = resolveConfig(path, args, undefined);
      const { flash, store } = storeOn(config);
      store.init();
      writeFile(path, flash.bytes);
      session = new Session(path, flash, store, config);
    } else {
      const image = openImage(path, args, { forWriting: true, force: args.force === true });
      requireOpen(image);
      session = new Session(path, image.flash, image.store, image.config);
    }

    const interactive = process.stdin.isTTY === true;
    if (interactive) print(banner(session, created));
    const lines = createInterface({
      input: process.stdin,
      output: process.stdout,
      terminal: interactive,
      history: interactive ? loadHistory() : [],
      historySize: HISTORY_SIZE,
      prompt: 'flashkv> ',
    });
    let failed = false;
    if (interactive) lines.prompt();
    for await (const line of lines) {
      let keepGoing = true;
      if (interactive) saveHistory(line);
      try {
        keepGoing = session.run(line);
      } catch (error) {
        if (!(error instanceof CliError) && !KvsError.is(error)) throw error;
        failed = true;
        const message = KvsError.is(error) ? `${error.message} (${error.code})` : error.message;
        process.stderr.write(`error: ${message}\n`);
      }
      if (!keepGoing) break;
      if (interactive) lines.prompt();
    }
    lines.close();
    if (failed && !interactive) setExitCode(EXIT_PROBLEMS);
  },
});
