import { defineConfig } from 'vitest/config';

// `npm run test:e2e`: the storefront loop in Debian's Chromium (playwright-core). Kept out of
// `npm test`, which must not need a browser; `.ci/run` runs both.
export default defineConfig({
  test: {
    name: 'e2e',
    environment: 'node',
    include: ['test/e2e/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
