import { fileURLToPath } from 'node:url';

import { defineConfig } from 'vitest/config';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * One Vitest run over every package. Each project runs the tests that sit beside its code.
 *
 * Timeouts are for a busy 2-core machine, not a quiet one: CI must pass with something else
 * running. Under load the slowest tests (fuzzing, PDF rendering, DICOMweb round trips through
 * pydicom) took 7–24 s, against Vitest's 5 s default; 60 s leaves room for twice that and still
 * ends a hung test long before CI's limit. Hooks start servers (PostgreSQL databases, S3, the
 * Yunzhen server), so they get more. Tests that do more than that name their own timeout.
 */
function project(name: string, root: string) {
  return { extends: true, test: { name, root: here(`./${root}/`), include: ['**/*.test.ts'], exclude: ['**/node_modules/**', '**/dist/**', '**/runner-fixtures/**'] } };
}

export default defineConfig({
  test: {
    globalSetup: [here('./vitest.global-setup.ts')],
    // Two files at a time, even on 2 cores: most tests wait on PostgreSQL, S3, spawned servers
    // and OCR workers rather than compute, and one at a time (Vitest's default there) took 11–13 min.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    // Inline so that every project inherits the timeouts above (a project found by directory would not).
    projects: [
      ...['db', 'dicom', 'report', 'storage', 'uploader'].map((name) => project(`@yunzhen/${name}`, `packages/${name}`)),
      project('@yunzhen/server', 'server'),
      project('@yunzhen/viewer', 'viewer'),
      project('scripts', 'scripts'),
    ],
  },
});
