import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/** The database as the application sees it. Migrations do not import this: they are frozen in time. */
export interface Database {
  medical_union: MedicalUnionTable;
  tenant: TenantTable;
  app_user: AppUserTable;
  user_session: UserSessionTable;
  api_token: ApiTokenTable;
  audit_event: AuditEventTable;
}

type CreatedAt = ColumnType<Date, Date | undefined, never>;
type NullableDate = ColumnType<Date | null, Date | null | undefined, Date | null>;

export interface MedicalUnionTable {
  id: Generated<string>;
  name: string;
  created_at: CreatedAt;
}

/** `sending` hospitals send studies; `reading` centres read them; `both` do both. */
export type TenantKind = 'sending' | 'reading' | 'both';

export interface TenantTable {
  id: Generated<string>;
  name: string;
  kind: TenantKind;
  union_id: string | null;
  created_at: CreatedAt;
}

export type UserRole = 'radiographer' | 'specialist' | 'referring_doctor' | 'admin';
export const userRoles: readonly UserRole[] = ['radiographer', 'specialist', 'referring_doctor', 'admin'];

export interface AppUserTable {
  id: Generated<string>;
  tenant_id: string;
  email: string;
  display_name: string;
  role: UserRole;
  /** Only licensed staff may send studies or sign reports. */
  licensed: Generated<boolean>;
  /** argon2id PHC string; null means the account cannot log in with a password. */
  password_hash: string | null;
  disabled_at: NullableDate;
  created_at: CreatedAt;
}

export interface UserSessionTable {
  id_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: CreatedAt;
  expires_at: Date;
  revoked_at: NullableDate;
}

export interface ApiTokenTable {
  id: Generated<string>;
  token_hash: string;
  user_id: string;
  created_at: CreatedAt;
  expires_at: Date;
  revoked_at: NullableDate;
}

/** PS3.15 A.5.1 EventActionCode: Create, Read, Update, Delete, Execute. */
export type AuditAction = 'C' | 'R' | 'U' | 'D' | 'E';
/** PS3.15 A.5.1 EventOutcomeIndicator: 0 success, 4 minor failure, 8 serious failure, 12 major failure. */
export type AuditOutcome = 0 | 4 | 8 | 12;

export interface AuditEventTable {
  id: Generated<number>;
  occurred_at: CreatedAt;
  event_code: string;
  event_action: AuditAction;
  outcome: AuditOutcome;
  user_id: string | null;
  tenant_id: string | null;
  source_ip: string | null;
  request_id: string | null;
  object_type: string | null;
  object_id: string | null;
  detail: ColumnType<Record<string, unknown>, string | undefined, string>;
}

export type Tenant = Selectable<TenantTable>;
export type AppUser = Selectable<AppUserTable>;
export type NewAppUser = Insertable<AppUserTable>;
export type AuditEvent = Selectable<AuditEventTable>;
