/**
 * Runs the test runners and counts their tests from each runner's own report: Vitest's JSON
 * and Playwright's JSON. Counting is kept apart from running so the counting can be tested on
 * real runs of small fixture projects (`test-runners.test.ts`).
 *
 * The rules, so that the closing line never reads better than the run was:
 * - passed, failed and skipped are tests (todo tests count as skipped);
 * - a test file that fails to load counts as one failure, named;
 * - a runner that crashes, or reports fewer tests than it discovered, counts every test it
 *   did not report as failed, and says so with its name.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { relative } from 'node:path';

import { bin, repo } from './lib.js';

export interface Tally {
  name: string;
  passed: number;
  failed: number;
  skipped: number;
  /** Why failures were counted that are not failing tests (crashes, files that did not load). */
  problems: string[];
  /**
   * The failing tests, `file › name: the first lines of its error`: the summary repeats them at the
   * end, where a log cut to its tail still shows which test failed and why.
   */
  failures: string[];
}

/** Runs a command, echoing its output, and resolves to its exit code and what it printed. */
function runCapturing(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; quiet?: boolean }): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (!options.quiet) process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (!options.quiet) process.stderr.write(chunk);
    });
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), stdout }));
    child.on('error', () => resolve({ code: 127, stdout }));
  });
}

interface VitestReport {
  success?: boolean;
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults: { name: string; status: string; message?: string; assertionResults: { status: string; fullName: string; failureMessages?: string[] }[] }[];
}

/** Counts a Vitest JSON report. `discovered` is how many tests a listing found, when it was asked. */
export function countVitest(name: string, report: VitestReport | undefined, exitCode: number, discovered?: number): Tally {
  const tally: Tally = { name, passed: 0, failed: 0, skipped: 0, problems: [], failures: [] };
  if (report) {
    for (const file of report.testResults) {
      for (const test of file.assertionResults) {
        if (test.status === 'failed') tally.failures.push(`${relative(repo, file.name)} › ${test.fullName}: ${errorGist(test.failureMessages?.[0])}`);
      }
    }
    tally.passed = report.numPassedTests;
    tally.failed = report.numFailedTests;
    tally.skipped = report.numPendingTests + report.numTodoTests;
    for (const file of report.testResults) {
      if (file.status === 'failed' && file.assertionResults.length === 0) {
        tally.failed++;
        tally.problems.push(`${relative(repo, file.name)} did not load: ${firstLine(file.message)}`);
      }
    }
  }
  const reported = tally.passed + tally.failed + tally.skipped;
  if (discovered !== undefined && discovered > reported) {
    tally.problems.push(`${name} reported ${reported} of the ${discovered} tests it discovered (exit ${exitCode}; its output above says why)`);
    tally.failed += discovered - reported;
  }
  if (!report) tally.problems.push(`${name} crashed (exit ${exitCode}) and wrote no report`);
  const failedSilently = (exitCode !== 0 || report?.success === false) && tally.failed === 0;
  if (failedSilently) {
    tally.problems.push(`${name} failed (exit ${exitCode}) outside any test: see its output above`);
    tally.failed = 1;
  }
  return tally;
}

/** The first lines of a test's error, without colours or stack: what was expected and what came. */
function errorGist(text: string | undefined): string {
  const lines = (text ?? '').replace(/\u001b\[[\d;]*m/g, '').split('\n').map((line) => line.trim());
  const told = lines.filter((line) => line && !line.startsWith('at ')).slice(0, 3);
  return told.length > 0 ? told.join(' · ').slice(0, 300) : 'no message';
}

function firstLine(text: string | undefined): string {
  return (text ?? '').split('\n').find((line) => line.trim())?.trim().slice(0, 200) ?? 'no message';
}

/**
 * Vitest: one run over the projects of `root`'s config. When the run ends without a trustworthy
 * report (a crash, a global setup that threw), the tests are listed without the global setup
 * (`YUNZHEN_TEST_LIST_ONLY`) so the count of tests that did not run is known.
 */
export async function runVitest(options: { name: string; root: string; output: string; quiet?: boolean; env?: NodeJS.ProcessEnv }): Promise<Tally> {
  rmSync(options.output, { force: true });
  const vitest = bin('.', 'vitest');
  const { code } = await runCapturing(vitest, ['run', '--root', options.root, '--reporter=default', '--reporter=json', `--outputFile.json=${options.output}`], {
    cwd: options.root,
    env: options.env,
    quiet: options.quiet,
  });
  const report = existsSync(options.output) ? (JSON.parse(readFileSync(options.output, 'utf8')) as VitestReport) : undefined;
  const trustworthy = report && report.success !== false;
  if (trustworthy) return countVitest(options.name, report, code);
  const listing = await runCapturing(vitest, ['list', '--root', options.root, '--json'], {
    cwd: options.root,
    env: { ...options.env, YUNZHEN_TEST_LIST_ONLY: '1' },
    quiet: true,
  });
  return countVitest(options.name, report, code, parseListing<unknown[]>(listing.stdout, '[')?.length);
}


interface PlaywrightSuite {
  title: string;
  file?: string;
  specs?: { title: string; file: string; line: number; tests: { status: string; results?: { error?: { message?: string } }[] }[] }[];
  suites?: PlaywrightSuite[];
}

interface PlaywrightReport {
  stats: { expected: number; unexpected: number; flaky: number; skipped: number };
  errors?: { message?: string }[];
  suites?: PlaywrightSuite[];
}

/** How many tests a Playwright JSON report names (a listing names every discovered test). */
export function playwrightTestCount(report: PlaywrightReport): number {
  const visit = (suite: PlaywrightSuite): number =>
    (suite.specs ?? []).reduce((sum, spec) => sum + spec.tests.length, 0) + (suite.suites ?? []).reduce((sum, child) => sum + visit(child), 0);
  return (report.suites ?? []).reduce((sum, suite) => sum + visit(suite), 0);
}

/** The tests a Playwright report says failed (`unexpected`) or failed before passing (`flaky`), named with their first error. */
function playwrightFailures(report: PlaywrightReport): string[] {
  const failures: string[] = [];
  const visit = (suite: PlaywrightSuite, titles: string[]) => {
    for (const spec of suite.specs ?? []) {
      for (const test of spec.tests) {
        if (test.status !== 'unexpected' && test.status !== 'flaky') continue;
        const error = test.results?.find((result) => result.error)?.error?.message;
        failures.push(`${spec.file}:${spec.line} › ${[...titles, spec.title].join(' › ')}: ${errorGist(error)}`);
      }
    }
    for (const child of suite.suites ?? []) visit(child, child.file === undefined || child.title !== child.file ? [...titles, child.title] : titles);
  };
  for (const suite of report.suites ?? []) visit(suite, []);
  return failures;
}

/** Counts a Playwright JSON report. A flaky test failed once: it counts as failed (the suite runs without retries). */
export function countPlaywright(name: string, report: PlaywrightReport | undefined, exitCode: number, discovered?: number): Tally {
  const tally: Tally = { name, passed: 0, failed: 0, skipped: 0, problems: [], failures: [] };
  if (report) {
    tally.failures = playwrightFailures(report);
    tally.passed = report.stats.expected;
    tally.failed = report.stats.unexpected + report.stats.flaky;
    tally.skipped = report.stats.skipped;
    for (const error of report.errors ?? []) tally.problems.push(`${name}: ${firstLine(error.message)}`);
  } else {
    tally.problems.push(`${name} crashed (exit ${exitCode}) and wrote no report`);
  }
  const reported = tally.passed + tally.failed + tally.skipped;
  if (discovered !== undefined && discovered > reported) {
    tally.problems.push(`${name} reported ${reported} of the ${discovered} tests it discovered`);
    tally.failed += discovered - reported;
  }
  if ((exitCode !== 0 || (report?.errors?.length ?? 0) > 0) && tally.failed === 0) {
    tally.problems.push(`${name} failed (exit ${exitCode}) outside any test: see its output above`);
    tally.failed = 1;
  }
  return tally;
}

/** Playwright: lists the tests first (no browser, no global setup), then runs them. */
export async function runPlaywright(options: { name: string; cwd: string; output: string; config?: string; quiet?: boolean; env?: NodeJS.ProcessEnv }): Promise<Tally> {
  const playwright = bin('tests', 'playwright');
  const config = options.config ? ['--config', options.config] : [];
  const listing = await runCapturing(playwright, ['test', ...config, '--list', '--reporter=json'], { cwd: options.cwd, env: options.env, quiet: true });
  const listed = parseListing<PlaywrightReport>(listing.stdout, '{');
  const discovered = listed ? playwrightTestCount(listed) : undefined;
  rmSync(options.output, { force: true });
  const { code } = await runCapturing(playwright, ['test', ...config, '--reporter=list,json'], { cwd: options.cwd, env: { ...options.env, PLAYWRIGHT_JSON_OUTPUT_FILE: options.output }, quiet: options.quiet });
  const report = existsSync(options.output) ? (JSON.parse(readFileSync(options.output, 'utf8')) as PlaywrightReport) : undefined;
  return countPlaywright(options.name, report, code, discovered);
}

/** The JSON a listing printed, from its first `[` or `{` (runners may print a banner before it). */
function parseListing<T>(stdout: string, opening: '[' | '{'): T | undefined {
  const start = stdout.indexOf(opening);
  if (start < 0) return undefined;
  try {
    return JSON.parse(stdout.slice(start)) as T;
  } catch {
    return undefined;
  }
}

export interface Check {
  name: string;
  ok: boolean;
  seconds: number;
}

/**
 * The summary: checks first (install, build, type checks; they are not tests), then each
 * runner, then the closing line CI reads. A failed check adds one failure to that line, so
 * a broken build can never read as green.
 */
export function summary(checks: Check[], tallies: (Tally & { seconds?: number })[]): { text: string; failed: number } {
  const lines = ['checks (not counted as tests):'];
  for (const check of checks) lines.push(`  ${check.ok ? 'ok    ' : 'FAILED'} ${check.name} (${check.seconds} s)`);
  lines.push('tests:');
  for (const t of tallies) {
    lines.push(`  ${t.name}: ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped${t.seconds === undefined ? '' : ` (${t.seconds} s)`}`);
    for (const problem of t.problems) lines.push(`    ! ${problem}`);
    for (const failure of t.failures) lines.push(`    ✗ ${failure}`);
  }
  const failedChecks = checks.filter((c) => !c.ok).length;
  if (failedChecks) lines.push(`${failedChecks} check(s) failed: each counts as one failure below`);
  const passed = tallies.reduce((sum, t) => sum + t.passed, 0);
  const failed = tallies.reduce((sum, t) => sum + t.failed, 0) + failedChecks;
  const skipped = tallies.reduce((sum, t) => sum + t.skipped, 0);
  lines.push(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  return { text: lines.join('\n') + '\n', failed };
}
