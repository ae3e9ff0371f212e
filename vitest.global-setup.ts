import type { TestProject } from 'vitest/node';

import { startTestPostgres } from './packages/db/src/testing/postgres-server.js';

/**
 * Starts what integration tests share: a real PostgreSQL server (unless `DATABASE_URL`
 * names one to use). S3 servers are started per test file, since tests stop them on purpose.
 */
export default async function setup(project: TestProject) {
  // Listing tests (`vitest list`, which the suite runner does to count tests a crash kept from running) needs no server.
  if (process.env.YUNZHEN_TEST_LIST_ONLY) return;
  const external = process.env.DATABASE_URL;
  if (external) {
    project.provide('postgresAdminUrl', external);
    return;
  }
  const server = await startTestPostgres();
  project.provide('postgresAdminUrl', server.adminUrl);
  return () => server.stop();
}
