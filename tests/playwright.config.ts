import { defineConfig } from '@playwright/test';

/** Browser tests: Debian's Chromium driven by Playwright against a real Yunzhen server (see global-setup.ts). */
export default defineConfig({
  testDir: './e2e',
  globalSetup: './global-setup.ts',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  // For a busy 2-core machine: the server, Chromium and another job share the cores. A test's
  // own explicit waits (first image, SR export) sit inside this; a plain expect waits 15 s.
  timeout: 90_000,
  expect: { timeout: 15_000 },
  reporter: [['list'], ['json', { outputFile: 'test-results/results.json' }]],
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
    trace: 'off',
  },
});
