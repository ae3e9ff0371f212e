/**
 * The whole test suite, as CI runs it: Debian packages it needs, the viewer build, type
 * checks, Vitest (unit tests and integration tests on PGlite, PostgreSQL, the filesystem and
 * S3) and Playwright (Chromium). The last line is the total: `N passed, N failed`.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { bin, buildViewerIfStale, repo, run } from './lib.js';
import { ensureSystemPackages } from './system-packages.js';
import { typecheck } from './typecheck.js';

interface Tally {
  name: string;
  passed: number;
  failed: number;
  seconds: number;
}

const tallies: Tally[] = [];
const resultsDir = join(repo, '.test-results');
rmSync(resultsDir, { recursive: true, force: true });
mkdirSync(resultsDir, { recursive: true });

async function phase(name: string, body: () => Promise<{ passed: number; failed: number }>): Promise<void> {
  const started = Date.now();
  process.stdout.write(`\n=== ${name}\n`);
  let result: { passed: number; failed: number };
  try {
    result = await body();
  } catch (error) {
    process.stdout.write(`${name} could not run: ${(error as Error).message}\n`);
    result = { passed: 0, failed: 1 };
  }
  tallies.push({ name, ...result, seconds: Math.round((Date.now() - started) / 1000) });
}

await phase('system packages', async () => {
  ensureSystemPackages();
  return { passed: 1, failed: 0 };
});

await phase('viewer build', async () => {
  await buildViewerIfStale();
  return { passed: 1, failed: 0 };
});

await phase('type check', async () => {
  const results = await typecheck();
  for (const r of results) if (!r.ok) process.stdout.write(`type errors in ${r.project}\n`);
  return { passed: results.filter((r) => r.ok).length, failed: results.filter((r) => !r.ok).length };
});

await phase('vitest (unit, PGlite, PostgreSQL, filesystem, S3)', async () => {
  const output = join(resultsDir, 'vitest.json');
  const code = await run(bin('.', 'vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${output}`]);
  if (!existsSync(output)) throw new Error(`vitest exited with ${code} and wrote no results`);
  const report = JSON.parse(readFileSync(output, 'utf8')) as { numPassedTests: number; numFailedTests: number; numFailedTestSuites: number };
  // A test file that fails to load counts as a failure even though none of its tests ran.
  const failed = report.numFailedTests + report.numFailedTestSuites;
  return { passed: report.numPassedTests, failed: failed || (code === 0 ? 0 : 1) };
});

await phase('playwright (Chromium)', async () => {
  const output = join(repo, 'tests/test-results/results.json');
  rmSync(output, { force: true });
  const code = await run(bin('tests', 'playwright'), ['test'], { cwd: join(repo, 'tests') });
  if (!existsSync(output)) throw new Error(`playwright exited with ${code} and wrote no results`);
  const report = JSON.parse(readFileSync(output, 'utf8')) as { stats: { expected: number; unexpected: number; flaky: number }; errors?: unknown[] };
  const failed = report.stats.unexpected + report.stats.flaky + (report.errors?.length ?? 0);
  return { passed: report.stats.expected, failed: failed || (code === 0 ? 0 : 1) };
});

process.stdout.write('\n=== summary\n');
for (const t of tallies) process.stdout.write(`${t.name}: ${t.passed} passed, ${t.failed} failed (${t.seconds} s)\n`);
const passed = tallies.reduce((sum, t) => sum + t.passed, 0);
const failed = tallies.reduce((sum, t) => sum + t.failed, 0);
process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 ? 0 : 1);
