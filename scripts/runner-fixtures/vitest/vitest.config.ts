import { defineConfig } from 'vitest/config';

/** A small project the suite runner's own tests run for real (see ../../test-runners.test.ts). */
export default defineConfig({
  test: { include: ['*.check.ts'], globalSetup: ['./setup.ts'] },
});
