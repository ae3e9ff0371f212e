/**
 * The suite runner's own tests: real Vitest and Playwright runs of two small fixture projects,
 * counted as `pnpm test` counts the suite. A failing test, a skipped test, a file that does not
 * load and a global setup that crashes must each move the closing line the way they should.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, test } from 'vitest';

import { repo } from './lib.js';
import { runPlaywright, runVitest, summary, type Tally } from './test-runners.js';

const out = mkdtempSync(join(tmpdir(), 'runner-test-'));
let runs = 0;

function vitestFixture(env: Record<string, string>): Promise<Tally> {
  return runVitest({ name: 'fixture', root: join(repo, 'scripts/runner-fixtures/vitest'), output: join(out, `vitest-${runs++}.json`), quiet: true, env });
}

function playwrightFixture(env: Record<string, string>): Promise<Tally> {
  const cwd = join(repo, 'tests/runner-fixture');
  return runPlaywright({ name: 'fixture', cwd, config: join(cwd, 'playwright.config.ts'), output: join(out, `playwright-${runs++}.json`), quiet: true, env });
}

const closingLine = (tally: Tally) => summary([], [tally]).text.trimEnd().split('\n').at(-1);

describe.each([
  ['vitest', vitestFixture],
  ['playwright', playwrightFixture],
] as const)('%s, counted', (_runner, runFixture) => {
  test('all passing: every test counted as passed, nothing else', async () => {
    const tally = await runFixture({});
    expect(closingLine(tally)).toBe(_runner === 'vitest' ? '4 passed, 0 failed' : '3 passed, 0 failed');
    expect(tally.problems).toEqual([]);
  });

  test('a failing test and a skipped test each show in the line', async () => {
    const tally = await runFixture({ FIXTURE_FAIL: '1', FIXTURE_SKIP: '1' });
    expect(closingLine(tally)).toBe(_runner === 'vitest' ? '2 passed, 1 failed, 1 skipped' : '1 passed, 1 failed, 1 skipped');
    // Named in the summary with its error, so a log cut to its tail still says what failed.
    expect(tally.failures).toEqual([expect.stringMatching(/\.check\.ts(:\d+)? › fails when asked: .*(expected 1 to be 2|Expected: 2 · Received: 1)/)]);
    expect(summary([], [tally]).text).toContain(`✗ ${tally.failures[0]}`);
  });

  test('a crashing global setup counts every discovered test as failed, and says so', async () => {
    const tally = await runFixture({ FIXTURE_SETUP_CRASH: '1' });
    expect(closingLine(tally)).toBe(_runner === 'vitest' ? '0 passed, 4 failed' : '0 passed, 3 failed');
    expect(tally.problems.join('\n')).toMatch(/fixture/);
  });
});

test('vitest: a test file that does not load is a failure, named', async () => {
  const tally = await vitestFixture({ FIXTURE_LOAD_FAIL: '1' });
  expect(closingLine(tally)).toBe('3 passed, 1 failed');
  expect(tally.problems).toEqual([expect.stringMatching(/second\.check\.ts did not load: .*this file does not load/)]);
});

test('checks are listed apart and count only when they fail', () => {
  const tally: Tally = { name: 'vitest', passed: 5, failed: 0, skipped: 0, problems: [], failures: [] };
  const green = summary([{ name: 'viewer build', ok: true, seconds: 1 }], [tally]);
  expect(green.text.trimEnd().split('\n').at(-1)).toBe('5 passed, 0 failed');
  expect(green.text).toContain('ok     viewer build');
  const broken = summary([{ name: 'type check server', ok: false, seconds: 1 }], [tally]);
  expect(broken.text.trimEnd().split('\n').at(-1)).toBe('5 passed, 1 failed');
  expect(broken.failed).toBe(1);
});
