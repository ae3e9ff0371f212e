import type { Kysely } from 'kysely';

import { createAuditRepository } from './audit.js';
import { createConsultRepository } from './consults.js';
import { createDicomwebRepository } from './dicomweb.js';
import { createDeviceRepository } from './devices.js';
import { createCredentialRepository } from './credentials.js';
import { createLoginThrottleRepository } from './login-throttle.js';
import { createOidcRepository } from './oidc.js';
import type { Database } from './schema.js';
import { createTenantRepository } from './tenants.js';
import { createStudyRepository } from './studies.js';
import { createReportRepository } from './reports.js';
import { createUserRepository } from './users.js';
import { createVaultRepository } from './vault.js';
import { createWebhookRepository } from './webhooks.js';

export * from './schema.js';
export { createDb, isDatabaseUnavailable, isDiskFull, migrateToLatest, type Db, type DbConfig } from './create-db.js';
export { EmbeddedPostgresError, startEmbeddedPostgres, type EmbeddedPostgres, type EmbeddedPostgresOptions } from './embedded-server.js';
export type { AuditRecord, AuditRepository } from './audit.js';
export type { ConsultRepository, NewConsult } from './consults.js';
export type { CredentialRepository, SessionRecord } from './credentials.js';
export type { LoginThrottleDecision, LoginThrottleRepository } from './login-throttle.js';
export type { OidcClientFields, OidcRepository } from './oidc.js';
export type { DicomwebRepository, ImageScope, InstanceMatch, Paging, QidoFilters, Range, SeriesMatch, StudyMatch } from './dicomweb.js';
export { TenantConflictError, type IndexResult, type InstanceRecord, type StudyRepository } from './studies.js';
export type { VaultRepository } from './vault.js';
export type { ReportRepository, ReportWrite } from './reports.js';
export type { WebhookRepository } from './webhooks.js';
export { DuplicateAeTitleError, type DeviceFields, type DeviceRepository } from './devices.js';
export type { TenantRepository } from './tenants.js';
export type { NewUser, UserRepository } from './users.js';

/** Every repository over one database handle (or one transaction). */
export function createRepositories(db: Kysely<Database>) {
  return {
    tenants: createTenantRepository(db),
    users: createUserRepository(db),
    credentials: createCredentialRepository(db),
    loginThrottle: createLoginThrottleRepository(db),
    audit: createAuditRepository(db),
    studies: createStudyRepository(db),
    vault: createVaultRepository(db),
    consults: createConsultRepository(db),
    dicomweb: createDicomwebRepository(db),
    reports: createReportRepository(db),
    webhooks: createWebhookRepository(db),
    devices: createDeviceRepository(db),
    oidc: createOidcRepository(db),
  };
}

export type Repositories = ReturnType<typeof createRepositories>;
