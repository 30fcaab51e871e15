import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { defineCommand } from 'citty';
import type { KeyValueStore } from '../../engine/key-value-store.js';
import type { MemoryFlash } from '../../flash/memory-flash.js';
import { type ImageConfig, describeImageConfig } from '../../image/config.js';
import { scanImage } from '../../image/scan.js';
import { utf8Encode } from '../../utf8.js';
import { EXIT_PROBLEMS, cliFail, describeError, isUserError, orFail } from '../_errors.js';
import {
  CONFIG_ARGS,
  FORCE_ARG,
  lockImage,
  openImage,
  requireOpen,
  resolveConfig,
} from '../_image.js';
import { flush, io, print, printError, setExitCode } from '../_io.js';
import { bytes, preview, sectorMap, table } from '../_output.js';
import { checkKey, decodeHex, plural } from '../_report.js';
import { showBytes } from '../../image/report.js';
import { storeOn } from '../../image/open.js';

/** The image `npm start` and a bare `flashkv shell` open. */
const DEFAULT_IMAGE = 'flashkv.img';

const HELP = [
  ['put KEY VALUE', 'store VALUE (the rest of the line; hex:0011ff for bytes) under KEY'],
  ['get KEY', 'print the value of KEY'],
  ['ls', 'list the keys and values'],
  ['rm KEY', 'delete KEY'],
  ['stats', 'keys, space and transactions'],
  ['map', 'the sector map: valid / stale / free / corrupt bytes'],
  ['gc [heavy]', 'run maintenance (heavy: collect every sector)'],
  ['help', 'this list'],
  ['exit', 'leave (also Ctrl-D)'],
];

/** A word of a shell line: its text, and whether it was quoted (then never hex:). */
interface Word {
  readonly text: string;
  readonly quoted: boolean;
}

/** A key or value as typed: `hex:0011ff` is bytes, anything else (or quoted) is UTF-8 text. */
function wordBytes(where: string, word: Word): Uint8Array {
  if (!word.quoted && /^hex:/i.test(word.text)) return decodeHex(where, word.text.slice(4));
  return utf8Encode(word.text);
}

/** The shell's state: one store on an in-memory copy, saved after every change. */
class Session {
  constructor(
    readonly path: string,
    readonly flash: MemoryFlash,
    readonly store: KeyValueStore,
    readonly config: ImageConfig,
    private readonly write: (bytes: Uint8Array) => void,
  ) {}

  private save(): void {
    this.write(this.flash.bytes);
  }

  /** Runs one command line; returns false to leave. Throws CliError or KvsError on failure. */
  run(line: string): boolean {
    const words: Word[] = [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => ({
      text: m[1] ?? m[2] ?? m[3]!,
      quoted: m[3] === undefined,
    }));
    const [first, ...rest] = words;
    if (first === undefined) return true;
    const command = first.text;
    const key = (): Uint8Array => {
      if (rest[0] === undefined) cliFail(`${command}: missing the key`);
      return checkKey(`${command}: key`, wordBytes(`${command}: key`, rest[0]));
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
        // One hex:… word is bytes; otherwise the value is the rest of the line (quotes keep spaces).
        const value =
          rest.length === 2
            ? wordBytes('put: value', rest[1]!)
            : utf8Encode(
                rest
                  .slice(1)
                  .map((word) => word.text)
                  .join(' '),
              );
        this.store.put(name, value);
        this.save();
        print(`ok: ${showBytes(name)} = ${preview(value)}`);
        return true;
      }
      case 'get': {
        const name = key();
        const value = this.store.get(name);
        if (value === undefined) cliFail(`get: key ${showBytes(name)} not found`);
        print(showBytes(value));
        return true;
      }
      case 'ls': {
        const rows = [...this.store.items()].map((item) => {
          const value = item.value();
          return [showBytes(item.key), value.length, preview(value, 60)];
        });
        print(rows.length === 0 ? '(no keys)' : table(['key', 'size', 'value'], rows));
        return true;
      }
      case 'rm':
      case 'delete': {
        const name = key();
        if (!this.store.delete(name)) cliFail(`rm: key ${showBytes(name)} not found`);
        this.save();
        print(`deleted ${showBytes(name)}`);
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
        const heavy = rest[0]?.text === 'heavy';
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
    `${plural(session.store.size, 'key')}. Every change is saved to the file as pw_kvs would write it.`,
    '',
    'Try:  put greeting hello world   get greeting   put raw hex:00ff   ls   map   stats   gc   rm greeting',
    'help lists the commands; Ctrl-C cancels the line; exit or Ctrl-D leaves. Outside the shell: flashkv check / dump / export.',
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
    // The image stays locked for the session: other flashkv commands wait for it, then give up.
    const locked = await lockImage(path);
    try {
      const save = (bytes: Uint8Array): void => {
        orFail(() => locked.write(bytes));
      };
      let session: Session;
      const created = !existsSync(locked.target);
      if (created) {
        if (args.image !== undefined && args.create !== true) {
          cliFail(`image file ${path} does not exist (pass --create to make an erased one)`);
        }
        const { config } = resolveConfig(path, args);
        const { flash, store } = storeOn(config);
        store.init();
        save(flash.bytes);
        session = new Session(path, flash, store, config, save);
      } else {
        const file = locked.read();
        const image = openImage(path, args, { forWriting: true, force: args.force === true }, file);
        requireOpen(image);
        session = new Session(path, image.flash, image.store, image.config, (bytes) => {
          const whole = new Uint8Array(image.file);
          whole.set(bytes, image.window.offset);
          save(whole);
        });
      }
      await prompt(session, created);
    } finally {
      await locked.unlock();
    }
  },
});

async function prompt(session: Session, created: boolean): Promise<void> {
  const streams = io();
  const interactive = streams.stdin.isTTY === true;
  if (interactive) print(banner(session, created));
  flush();
  const lines = createInterface({
    input: streams.stdin,
    output: streams.stdout as NodeJS.WritableStream,
    terminal: interactive,
    history: interactive ? loadHistory() : [],
    historySize: HISTORY_SIZE,
    prompt: 'flashkv> ',
  });
  // Ctrl-C drops the line being typed, as a shell does; Ctrl-D or exit leaves.
  lines.on('SIGINT', () => {
    lines.write(null, { ctrl: true, name: 'e' });
    lines.write(null, { ctrl: true, name: 'u' });
    streams.stdout.write('^C\n');
    lines.prompt();
  });
  let failed = false;
  if (interactive) lines.prompt();
  for await (const line of lines) {
    let keepGoing = true;
    if (interactive) saveHistory(line);
    try {
      keepGoing = session.run(line);
    } catch (error) {
      if (!isUserError(error)) throw error;
      failed = true;
      printError(`error: ${describeError(error)}`);
    }
    flush();
    if (!keepGoing) break;
    if (interactive) lines.prompt();
  }
  lines.close();
  if (failed && !interactive) setExitCode(EXIT_PROBLEMS);
}
