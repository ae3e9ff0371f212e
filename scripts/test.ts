/**
 * The whole test suite, as CI runs it: Debian packages it needs, the viewer build and type
 * checks (checks, listed but not counted as tests), Vitest (unit tests and integration tests
 * on the embedded PostgreSQL, a Debian PostgreSQL server, the filesystem and S3) and Playwright (Chromium). The last line is
 * the count of tests, `N passed, N failed` (`, N skipped` when any were): the line CI reads.
 * How tests are counted: `test-runners.ts`.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { buildViewerIfStale, repo } from './lib.js';
import { ensureSystemPackages } from './system-packages.js';
import { runPlaywright, runVitest, summary, type Check, type Tally } from './test-runners.js';
import { typecheck } from './typecheck.js';

const resultsDir = join(repo, '.test-results');
rmSync(resultsDir, { recursive: true, force: true });
mkdirSync(resultsDir, { recursive: true });

const checks: Check[] = [];
const tallies: (Tally & { seconds: number })[] = [];

async function check(name: string, body: () => Promise<boolean | void> | boolean | void): Promise<void> {
  const started = Date.now();
  process.stdout.write(`\n=== ${name}\n`);
  let ok: boolean;
  try {
    ok = (await body()) !== false;
  } catch (error) {
    process.stdout.write(`${name} failed: ${(error as Error).message}\n`);
    ok = false;
  }
  checks.push({ name, ok, seconds: Math.round((Date.now() - started) / 1000) });
}

async function tests(name: string, body: () => Promise<Tally>): Promise<void> {
  const started = Date.now();
  process.stdout.write(`\n=== ${name}\n`);
  const tally = await body();
  tallies.push({ ...tally, seconds: Math.round((Date.now() - started) / 1000) });
}

await check('system packages', () => ensureSystemPackages());
await check('viewer build', () => buildViewerIfStale());
for (const result of await typecheck()) checks.push({ name: `type check ${result.project}`, ok: result.ok, seconds: result.seconds });

await tests('vitest', () => runVitest({ name: 'vitest', root: repo, output: join(resultsDir, 'vitest.json') }));
await tests('playwright', () => runPlaywright({ name: 'playwright', cwd: join(repo, 'tests'), output: join(resultsDir, 'playwright.json') }));

const { text, failed } = summary(checks, tallies);
process.stdout.write(`\n=== summary\n${text}`);
process.exit(failed === 0 ? 0 : 1);
