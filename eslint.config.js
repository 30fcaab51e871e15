// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const NODE_MODULES = [
  'fs',
  'path',
  'os',
  'crypto',
  'zlib',
  'child_process',
  'url',
  'process',
  'readline',
  'util',
  'stream',
  'buffer',
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'test/fixtures/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The core runs in browsers and embedded engines: no Node APIs outside src/node and src/cli.
    files: ['src/**/*.ts'],
    ignores: ['src/node/**', 'src/cli/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'The core must not use Node APIs.' },
            ...NODE_MODULES.map((name) => ({
              group: [name],
              message: 'The core must not use Node APIs.',
            })),
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'Buffer', message: 'Use Uint8Array in the core.' },
        { name: 'process', message: 'The core must not use Node APIs.' },
      ],
    },
  },
);
