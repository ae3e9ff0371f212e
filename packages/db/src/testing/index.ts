export { startTestPostgres, type TestPostgresServer } from './postgres-server.js';
export { startTestEmbeddedPostgres, type TestEmbeddedServer } from './embedded-test-server.js';
export { createEmptyTestDatabase, createTemplateDatabase, createTestDb, databaseUrl, testDbKinds, urlAs, TEMPLATE_DATABASE, type TestDb, type TestDbKind } from './test-db.js';
export { freePort } from '../embedded-server.js';
