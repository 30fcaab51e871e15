import { execSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Builds dist/ once per run, so the CLI tests spawn the code under test, never a stale build,
 * and the inspector page (dist/web) the browser tests open.
 */
export default function setup(): void {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  execSync('npx tsc -p tsconfig.build.json', { cwd: root, stdio: 'inherit' });
  execSync('npm run build:web --silent', { cwd: root, stdio: 'inherit' });
}
