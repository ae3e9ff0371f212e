import type { TestProject } from 'vitest/node';

import { startTestEmbeddedPostgres } from './packages/db/src/testing/embedded-test-server.js';
import { startTestPostgres } from './packages/db/src/testing/postgres-server.js';
import { EMBEDDED_APP_ROLE, ensureApplicationRole } from './packages/db/src/embedded-server.js';
import { createTemplateDatabase, urlAs } from './packages/db/src/testing/test-db.js';

/**
 * Starts what integration tests share: the embedded PostgreSQL server (the production
 * default) and a Debian PostgreSQL server of another major version (unless `DATABASE_URL`
 * names one to use), each with a migrated template database that every test file copies.
 * S3 servers are started per test file, since tests stop them on purpose.
 */
export default async function setup(project: TestProject) {
  // Listing tests (`vitest list`, which the suite runner does to count tests a crash kept from running) needs no server.
  if (process.env.YUNZHEN_TEST_LIST_ONLY) return;
  const stops: Array<() => unknown> = [];
  const teardown = async () => {
    for (const stop of stops.reverse()) await stop();
  };
  try {
    const [embedded, postgres] = await Promise.all([
      startTestEmbeddedPostgres(),
      process.env.DATABASE_URL ? undefined : startTestPostgres(),
    ]);
    stops.push(() => embedded.stop());
    if (postgres) stops.push(() => postgres.stop());
    const postgresAdminUrl = process.env.DATABASE_URL ?? postgres!.adminUrl;
    // The role the app under test connects as, so that every test runs under row-level security.
    const appPassword = 'test-application-role';
    await Promise.all([embedded.adminUrl, postgresAdminUrl].map((url) => ensureApplicationRole(url, EMBEDDED_APP_ROLE, appPassword)));
    await Promise.all([createTemplateDatabase(embedded.adminUrl), createTemplateDatabase(postgresAdminUrl)]);
    project.provide('embeddedAdminUrl', embedded.adminUrl);
    project.provide('postgresAdminUrl', postgresAdminUrl);
    project.provide('embeddedAppUrl', urlAs(embedded.adminUrl, EMBEDDED_APP_ROLE, appPassword));
    project.provide('postgresAppUrl', urlAs(postgresAdminUrl, EMBEDDED_APP_ROLE, appPassword));
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}
