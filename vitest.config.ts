import { defineConfig } from 'vitest/config';

// One Vitest run over every package. Each project runs the tests that sit beside its code.
export default defineConfig({
  test: {
    globalSetup: ['./vitest.global-setup.ts'],
    projects: ['packages/*', 'server'],
  },
});
