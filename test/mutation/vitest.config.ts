import { defineConfig } from 'vitest/config';

// The mutation check's runs: no global setup (nothing here needs the built CLI).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
