import { defineConfig } from '@playwright/test';

/** A small project the suite runner's own tests run for real (see scripts/test-runners.test.ts). */
export default defineConfig({
  testDir: '.',
  testMatch: '*.check.ts',
  globalSetup: './setup.ts',
  workers: 1,
  retries: 0,
});
