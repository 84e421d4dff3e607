import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One local Spark + Delta engine shared by the files that use it (see test/support/sparkGlobalSetup.ts).
    globalSetup: ['test/support/sparkGlobalSetup.ts'],
  },
});
