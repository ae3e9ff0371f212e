export { startTestPostgres, type TestPostgresServer } from './postgres-server.js';
export { createTestDb, testDbKinds, type TestDb, type TestDbKind } from './test-db.js';
