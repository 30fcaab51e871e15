// Command-line conventions: --version, help [COMMAND], -q, the layout of every command's help.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS, ROOT, flashkv, spawnFlashkv } from './_cli.js';

const VERSION = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

async function provision(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'flashkv-conventions-'));
  writeFileSync(join(dir, 'keys.csv'), 'key,type,encoding,value\na,data,string,x\n');
  const image = join(dir, 'a.img');
  expect((await flashkv(['create', image, '--from', join(dir, 'keys.csv')])).status).toBe(0);
  return image;
}

describe('flashkv --version and help', () => {
  it("-V and --version print package.json's version (the built binary)", () => {
    for (const flag of ['-V', '--version']) {
      const run = spawnFlashkv([flag]);
      expect(run.status, flag).toBe(0);
      expect(run.stdout, flag).toBe(`${VERSION}\n`);
    }
  });

  it('help [COMMAND] is --help; an unknown command is a usage error', async () => {
    const top = await flashkv(['help']);
    expect(top.status).toBe(0);
    expect(top.stdout).toBe((await flashkv(['--help'])).stdout);
    for (const flag of ['--verbose', '--quiet', '--version']) expect(top.stdout).toContain(flag);
    for (const command of COMMANDS) expect(top.stdout).toContain(`  ${command} `);
    const put = await flashkv(['help', 'put']);
    expect(put.status).toBe(0);
    expect(put.stdout).toBe((await flashkv(['put', '--help'])).stdout);
    const unknown = await flashkv(['help', 'nosuch']);
    expect(unknown.status).toBe(2);
    expect(unknown.stdout).toBe('');
  });

  it('every command leads with its description and examples, config flags under one heading', async () => {
    for (const command of COMMANDS) {
      const text = (await flashkv([command, '--help'])).stdout;
      const lines = text.split('\n');
      expect(lines[0], command).toMatch(new RegExp(`^flashkv ${command}: \\S`));
      const examples = lines.indexOf('Examples:');
      expect(examples, command).toBeGreaterThan(0);
      expect(lines[examples + 1], command).toMatch(new RegExp(`^  flashkv ${command}`));
      // The examples come before any option.
      const firstFlag = lines.findIndex((line) => /^ {2}-/.test(line));
      expect(firstFlag, command).toBeGreaterThan(examples);
      // The shared config flags are listed once, all under their heading.
      const config = lines.findIndex((line) => line.startsWith('Config options'));
      const global = lines.indexOf('Global options:');
      expect(global, command).toBeGreaterThan(0);
      if (config >= 0) {
        for (const flag of ['--sector-size ', '--detect ', '--offset ', '--target-arch ']) {
          const rows = lines.filter((line) => line.startsWith(`  ${flag}`));
          expect(rows, `${command} ${flag}`).toHaveLength(1);
          const at = lines.indexOf(rows[0]!);
          expect(at > config && at < global, `${command} ${flag}`).toBe(true);
        }
      }
      // Every flag, --no-* forms included, says what it does.
      for (const line of lines.filter((row) => /^ {2}-/.test(row))) {
        expect(line.trim().split(/\s{2,}/).length, `${command}: ${line}`).toBeGreaterThan(1);
      }
    }
    const repair = (await flashkv(['repair', '--help'])).stdout;
    expect(repair).toMatch(/^ {2}--no-backup {2,}\S/m);
  });
});

describe('flashkv -q', () => {
  it('prints nothing but errors, anywhere before --; the exit code still tells', async () => {
    const image = await provision();
    const listed = await flashkv(['ls', image]);
    expect(listed.stdout).not.toBe('');
    for (const args of [
      ['-q', 'ls', image],
      ['ls', image, '--quiet'],
      ['ls', image, '--detect', '-q'],
      ['check', image, '-q', '--json'],
    ]) {
      const run = await flashkv(args);
      expect(run.status, args.join(' ')).toBe(0);
      expect(run.stdout, args.join(' ')).toBe('');
      expect(run.stderr, args.join(' ')).toBe('');
    }
    // Without -q, --detect says what it inferred.
    expect((await flashkv(['ls', image, '--detect'])).stderr).not.toBe('');
    const missing = await flashkv(['-q', 'get', image, 'nokey']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).not.toBe('');
    // After --, -q is a value.
    expect((await flashkv(['put', image, 'b', '-q', '--', '-q'])).status).toBe(0);
    expect((await flashkv(['get', image, 'b'])).stdout).toBe('"-q"\n');
  });
});
