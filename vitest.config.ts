import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    // One worker per core (vitest's default leaves one core idle): many files spend their time
    // waiting on spawned CLIs and Chromium, so on this 2-core machine two workers halve the run.
    maxWorkers: availableParallelism(),
  },
});
