// @ts-check
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The benchmark harness's Node side (processes, files, Chromium, esbuild); src/bench/bench.ts is
// core: it runs the workloads in browsers and embedded engines too.
const NODE_BENCH = [
  'src/bench/scale-bench.ts',
  'src/bench/inspector-bench.ts',
  'src/bench/bundle.ts',
  'src/bench/embedded.ts',
  'src/bench/side-by-side.ts',
  'src/bench/diff-fuzz.ts',
  'src/bench/fleet-bench.ts',
];

const CORE_MESSAGE =
  'The core must not use Node APIs: it runs unchanged in browsers and other engines. ' +
  'Put Node-only code in src/node or src/cli.';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'test/fixtures/', 'docs/api/'] },
  js.configs.recommended,
  {
    // CommonJS config files (dependency-cruiser reads .cjs).
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { module: 'writable', require: 'readonly' },
    },
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Everything under src/ except src/node, src/cli and NODE_BENCH is the core.
    files: ['src/**/*.ts'],
    ignores: ['src/node/**', 'src/cli/**', ...NODE_BENCH],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          // Every built-in by its bare name (fs, path, fs/promises, …); node:* by pattern.
          paths: builtinModules
            .filter((name) => !name.startsWith('_'))
            .map((name) => ({ name, message: CORE_MESSAGE })),
          patterns: [{ group: ['node:*'], message: CORE_MESSAGE }],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'Buffer', message: 'Use Uint8Array and DataView in the core.' },
        { name: 'process', message: CORE_MESSAGE },
        { name: 'require', message: CORE_MESSAGE },
        { name: '__dirname', message: CORE_MESSAGE },
        { name: '__filename', message: CORE_MESSAGE },
      ],
    },
  },
);
