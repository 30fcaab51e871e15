import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The built CLI (test/global-setup.ts builds it before the suite runs). */
export const CLI = join(ROOT, 'dist/cli/main.js');
