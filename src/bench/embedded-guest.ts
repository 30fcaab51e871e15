// The benchmark as an embedded JavaScript engine runs it: this module is bundled (with the
// engine, the flash model and the format) into one script that an engine without Node's APIs
// evaluates, such as QuickJS. It defines one global function and touches nothing else.
import { parseBenchConfig, runBench } from './bench.js';

/** A millisecond clock the host gives the guest (an embedded engine may have none of its own). */
declare const flashkvHostClock: () => number;

/**
 * Runs one benchmark configuration (JSON text, the fields of bench/configs/*.json) and returns
 * its report as JSON text: strings are all that cross between the host and the engine.
 */
function flashkvRunBench(configJson: string): string {
  const config = parseBenchConfig(JSON.parse(configJson));
  return JSON.stringify(
    runBench(config, () => flashkvHostClock()),
    (_, value: unknown) => (typeof value === 'bigint' ? value.toString() : value),
  );
}

(globalThis as { flashkvRunBench?: typeof flashkvRunBench }).flashkvRunBench = flashkvRunBench;
