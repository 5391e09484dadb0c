import { defineConfig } from 'vitest/config';

/**
 * Figure runs, not tests: they start real Redis and node processes, load them, and print `FIGURES`
 * lines (docs/SCALING.md quotes them). They assert nothing about speed.
 *   npx vitest run -c scripts/figures/vitest.config.ts
 * Sizes: FIG_USERS, FIG_SECONDS, FIG_CONCURRENCY, FIG_CONNECTIONS (see cluster.figures.ts).
 */
export default defineConfig({
  resolve: {
    // As in the main config: one graphql copy for yoga and our sources.
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    include: ['scripts/figures/**/*.figures.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 3_600_000,
    hookTimeout: 300_000,
    maxWorkers: 1,
    reporters: ['default'],
  },
});
