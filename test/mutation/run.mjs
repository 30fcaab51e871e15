/* global console, process */
// The mutation check (`npm run mutation`): applies each mutant of mutants.mjs, one at a time,
// to a copy of the project in a temporary folder (the worktree is never changed), and runs the
// fast tests that should notice it. A mutant the tests let pass "survives"; every survivor must
// be listed as equivalent (with the reason) or the check fails. Prints the score.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_TESTS, MUTANTS } from './mutants.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const copy = mkdtempSync(join(tmpdir(), 'flashkv-mutation-'));

function runTests(tests) {
  const result = spawnSync(
    process.execPath,
    [
      join(root, 'node_modules/vitest/vitest.mjs'),
      'run',
      '--config',
      'test/mutation/vitest.config.ts',
      '--bail',
      '1',
      ...tests,
    ],
    { cwd: copy, encoding: 'utf8', env: { ...process.env, CI: 'true' } },
  );
  return { passed: result.status === 0, output: `${result.stdout}\n${result.stderr}` };
}

try {
  for (const entry of ['src', 'test', 'package.json', 'tsconfig.json']) {
    cpSync(join(root, entry), join(copy, entry), { recursive: true });
  }
  symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'), 'dir');

  const baseline = runTests(DEFAULT_TESTS);
  if (!baseline.passed) {
    console.error(baseline.output);
    throw new Error('the unmutated code fails its tests: nothing to measure');
  }

  const survivors = [];
  let killed = 0;
  let equivalent = 0;
  for (const [i, mutant] of MUTANTS.entries()) {
    const path = join(copy, mutant.file);
    const original = readFileSync(path, 'utf8');
    const occurrences = original.split(mutant.find).length - 1;
    if (occurrences !== 1) {
      throw new Error(
        `mutant #${i + 1} (${mutant.file}): ${JSON.stringify(mutant.find)} occurs ${occurrences} times, not once; update mutants.mjs`,
      );
    }
    writeFileSync(path, original.replace(mutant.find, mutant.replace));
    const { passed } = runTests(mutant.tests ?? DEFAULT_TESTS);
    writeFileSync(path, original);
    const label = `#${String(i + 1).padStart(2)} ${mutant.file}: ${mutant.name}`;
    if (!passed && mutant.equivalent !== undefined) {
      survivors.push(`${label} (listed as equivalent, but a test kills it: drop the reason)`);
      console.log(`KILLED?   ${label}`);
    } else if (!passed) {
      killed++;
      console.log(`killed    ${label}`);
    } else if (mutant.equivalent !== undefined) {
      equivalent++;
      console.log(`equivalent ${label} — ${mutant.equivalent}`);
    } else {
      survivors.push(label);
      console.log(`SURVIVED  ${label}`);
    }
  }
  const scored = MUTANTS.length - equivalent;
  const score = ((100 * killed) / scored).toFixed(1);
  console.log(
    `\nmutation score: ${killed}/${scored} killed (${score} %); ${equivalent} equivalent, ${survivors.length} survived`,
  );
  if (survivors.length > 0) {
    console.error(`surviving mutants (add a test, or mark equivalent with the reason):`);
    for (const label of survivors) console.error(`  ${label}`);
    process.exitCode = 1;
  }
} finally {
  rmSync(copy, { recursive: true, force: true });
}
