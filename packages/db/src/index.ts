import { sql, type Kysely } from 'kysely';

import { createAuditRepository } from './audit.js';
import { createConsultRepository } from './consults.js';
import { createDicomwebRepository } from './dicomweb.js';
import { createDeviceRepository } from './devices.js';
import { createMessageRepository } from './messages.js';
import { createBoardRepository } from './boards.js';
import { createTurnaroundRepository } from './turnaround.js';
import { createCredentialRepository } from './credentials.js';
import { createLoginThrottleRepository } from './login-throttle.js';
import { createOidcRepository } from './oidc.js';
import type { Database } from './schema.js';
import { createTenantRepository } from './tenants.js';
import { createStudyRepository } from './studies.js';
import { createReportRepository } from './reports.js';
import { createReferralRepository } from './referrals.js';
import { createPendingObjectRepository } from './pending-objects.js';
import { createPixelScanRepository } from './pixel-scans.js';
import { createUploadSessionRepository } from './upload-sessions.js';
import { createUserRepository } from './users.js';
import { createVaultRepository } from './vault.js';
import { createWebhookRepository } from './webhooks.js';

export * from './schema.js';
export { createDb, grantApplicationRole, isDatabaseUnavailable, isDiskFull, listenToChannel, migrateToLatest, type ChannelHandlers, type ChannelListener, type Db, type DbConfig, type DbRoleReport } from './create-db.js';
export { asSystem, asTenant, currentActor, type DbActor } from './db-actor.js';
export { EMBEDDED_APP_ROLE, EmbeddedPostgresError, ensureApplicationRole, startEmbeddedPostgres, type EmbeddedPostgres, type EmbeddedPostgresOptions } from './embedded-server.js';
export type { AuditRecord, AuditRepository } from './audit.js';
export type { ConsultRepository, NewConsult } from './consults.js';
export type { CredentialRepository, SessionRecord } from './credentials.js';
export type { LoginThrottleDecision, LoginThrottleRepository } from './login-throttle.js';
export type { OidcClientChanges, OidcClientFields, OidcRepository } from './oidc.js';
export type { DicomwebRepository, ImageScope, InstanceMatch, Paging, QidoFilters, Range, SeriesMatch, StudyMatch } from './dicomweb.js';
export { TenantConflictError, type IndexResult, type InstanceRecord, type StudyRepository } from './studies.js';
export type { VaultRepository } from './vault.js';
export type { ReportRepository, ReportWrite } from './reports.js';
export type { WebhookRepository } from './webhooks.js';
export { partnerVisibleStatuses, type ReferralRepository, type ReferralRow } from './referrals.js';
export { withAdvisoryLock } from './advisory-lock.js';
export type { PendingObjectRepository } from './pending-objects.js';
export { SERIES_SAMPLE_SIZE, type PixelScanPolicy, type PixelScanRepository, type PixelScanTarget } from './pixel-scans.js';
export type { UploadPart, UploadSession, UploadSessionRepository } from './upload-sessions.js';
export { claimDue, type ClaimOptions, type OutboxTable } from './outbox.js';
export { DuplicateAeTitleError, type AutoConsultCreated, type AutoConsultRule, type DeviceFields, type DeviceRepository } from './devices.js';
export type { TenantRepository } from './tenants.js';
export type { NewUser, UserRepository } from './users.js';
export type { MessageRepository, NewEmail, NewMessage } from './messages.js';
export { BOARD_CHANNEL, type BoardRepository, type NewBoardSession } from './boards.js';
export { defaultServiceMinutes, type Escalation, type TurnaroundRepository, type TurnaroundRow } from './turnaround.js';

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
    messages: createMessageRepository(db),
    boards: createBoardRepository(db),
    turnaround: createTurnaroundRepository(db),
    pendingObjects: createPendingObjectRepository(db),
    pixelScans: createPixelScanRepository(db),
    uploadSessions: createUploadSessionRepository(db),
    oidc: createOidcRepository(db),
    referrals: createReferralRepository(db),
  };
}

export type Repositories = ReturnType<typeof createRepositories>;

/**
 * Runs `task` over repositories of one transaction that holds the advisory lock `name` until
 * it ends: callers on other replicas queue behind it and then see what it committed (demo
 * seeding when several replicas start together).
 */
export function inLockedTransaction<T>(db: Kysely<Database>, name: string, task: (repos: Repositories) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (tx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${name}))`.execute(tx);
    return task(createRepositories(tx));
  });
}
