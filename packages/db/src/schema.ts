import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/** The database as the application sees it. Migrations do not import this: they are frozen in time. */
export interface Database {
  medical_union: MedicalUnionTable;
  tenant: TenantTable;
  app_user: AppUserTable;
  user_session: UserSessionTable;
  api_token: ApiTokenTable;
  audit_event: AuditEventTable;
  audit_window: AuditWindowTable;
  patient: PatientTable;
  study: StudyTable;
  series: SeriesTable;
  instance: InstanceTable;
  vault_entry: VaultEntryTable;
  consult: ConsultTable;
  consult_study: ConsultStudyTable;
  consult_attachment: ConsultAttachmentTable;
  consult_annotation: ConsultAnnotationTable;
  report: ReportTable;
  report_version: ReportVersionTable;
  consult_reader: ConsultReaderTable;
  key_image: KeyImageTable;
  hospital_webhook: HospitalWebhookTable;
  webhook_delivery: WebhookDeliveryTable;
  login_throttle: LoginThrottleTable;
  dicom_device: DicomDeviceTable;
  device_study: DeviceStudyTable;
  consult_message: ConsultMessageTable;
  consult_message_read: ConsultMessageReadTable;
  email_outbox: EmailOutboxTable;
  service_level: ServiceLevelTable;
  notification: NotificationTable;
  pacs_delivery: PacsDeliveryTable;
  pending_object: PendingObjectTable;
  upload_session: UploadSessionTable;
  upload_part: UploadPartTable;
  oidc_payload: OidcPayloadTable;
  oidc_client: OidcClientTable;
  pixel_scan: PixelScanTable;
  board_session: BoardSessionTable;
  board_case: BoardCaseTable;
  board_participant: BoardParticipantTable;
  centre_relationship: CentreRelationshipTable;
  consult_referral: ConsultReferralTable;
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

/** `coordinator`: at an international department, sends foreign patients' records and images before they arrive. */
export type UserRole = 'radiographer' | 'specialist' | 'referring_doctor' | 'admin' | 'coordinator';
export const userRoles: readonly UserRole[] = ['radiographer', 'specialist', 'referring_doctor', 'admin', 'coordinator'];
/** The roles that send studies: they upload, keep the inbox and open consults. */
export const sendingRoles: readonly UserRole[] = ['radiographer', 'coordinator'];

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
  /** Keeps the deployment's configuration across hospitals (which centre may refer to which). */
  deployment_admin: Generated<boolean>;
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

/** An audit key recorded in a time window (see `recordOncePerWindow`). */
export interface AuditWindowTable {
  key: string;
  window_start: Date;
}

export type Tenant = Selectable<TenantTable>;
export type AppUser = Selectable<AppUserTable>;
export type NewAppUser = Insertable<AppUserTable>;
export type AuditEvent = Selectable<AuditEventTable>;

/** A patient by pseudonym; real identity lives only in the vault. */
export interface PatientTable {
  id: Generated<string>;
  tenant_id: string;
  pseudonym_id: string;
  pseudonym_name: string;
  sex: string | null;
  birth_date: string | null;
  created_at: CreatedAt;
}

/** All values are the de-identified ones written into the stored objects. */
export interface StudyTable {
  id: Generated<string>;
  tenant_id: string;
  patient_id: string;
  study_uid: string;
  /** `YYYY-MM-DD` (DICOM DA as a SQL date; null when absent or malformed). */
  study_date: ColumnType<string | null, string | null | undefined, string | null>;
  study_time: string | null;
  accession_number: string | null;
  study_description: string | null;
  study_id: string | null;
  patient_age: string | null;
  uploaded_by: string | null;
  created_at: CreatedAt;
}

export interface SeriesTable {
  id: Generated<string>;
  study_id: string;
  tenant_id: string;
  series_uid: string;
  modality: string | null;
  series_number: number | null;
  series_description: string | null;
  body_part: string | null;
  created_at: CreatedAt;
}

/** 'scanning': not yet OCR'd for burned-in text, not visible to the reading centre (see pixel_scan). */
export type PixelReview = 'none' | 'scanning' | 'pending' | 'released' | 'removed';

/** A proposed mask box from the pixel scan, in image pixels; identity kinds when the text read names the patient. */
export interface PixelTextProposal {
  x: number;
  y: number;
  width: number;
  height: number;
  source: 'ocr' | 'template';
  identity: ('name' | 'id' | 'birthDate' | 'accession' | 'address')[];
  /** Frames (1-based) the text was found in; empty for a template. */
  frames: number[];
}

export interface PixelScanTable {
  id: Generated<string>;
  instance_id: string;
  series_id: string;
  tenant_id: string;
  status: ColumnType<'pending' | 'done' | 'failed', 'pending' | 'done' | 'failed' | undefined, 'pending' | 'done' | 'failed'>;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: ColumnType<Date, Date | undefined, Date>;
  claimed_by: string | null;
  frames_scanned: ColumnType<number, number | undefined, number>;
  proposals: ColumnType<PixelTextProposal[], string | undefined, string>;
  error: string | null;
  finished_at: NullableDate;
  created_at: CreatedAt;
}

export interface InstanceTable {
  id: Generated<string>;
  series_id: string;
  study_id: string;
  tenant_id: string;
  sop_instance_uid: string;
  sop_class_uid: string;
  instance_number: number | null;
  transfer_syntax_uid: string;
  rows: number | null;
  columns: number | null;
  number_of_frames: number | null;
  bits_allocated: number | null;
  size_bytes: number;
  sha256: string;
  object_key: string;
  pixel_review: ColumnType<PixelReview, PixelReview | undefined, PixelReview>;
  pixel_review_reasons: ColumnType<string[], string[] | undefined, string[]>;
  uploaded_by: string | null;
  created_at: CreatedAt;
  /** WADO-RS metadata of the stored object as DICOM JSON text, bulk data URIs relative (see the dicomweb routes); null: read the object. */
  metadata_json: ColumnType<string | null, string | null | undefined, never>;
}

export interface VaultEntryTable {
  tenant_id: string;
  kind: string;
  pseudonym: string;
  key_version: number;
  ciphertext: Uint8Array;
  created_at: CreatedAt;
}

export type ConsultPriority = 'routine' | 'urgent' | 'stat';
export type ConsultStatus = 'new' | 'in_progress' | 'reported' | 'cancelled';

export interface ConsultTable {
  id: Generated<string>;
  sending_tenant_id: string;
  reading_tenant_id: string;
  created_by: string;
  clinical_question: string;
  clinical_history: ColumnType<string | null, string | null | undefined, string | null>;
  priority: ConsultPriority;
  status: ColumnType<ConsultStatus, ConsultStatus | undefined, ConsultStatus>;
  due_at: Date;
  claimed_by: string | null;
  claimed_at: NullableDate;
  preliminary_at: NullableDate;
  signed_at: NullableDate;
  acknowledged_at: NullableDate;
  acknowledged_by: string | null;
  /** When the consult had used 80 % / 100 % of its time and its centre was told (once each). */
  escalated_80_at: NullableDate;
  escalated_100_at: NullableDate;
  /** An international patient's consult before arrival: the report is written in both languages. */
  pre_arrival: Generated<boolean>;
  patient_language: 'zh-CN' | 'en' | null;
  arrival_date: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface ConsultStudyTable {
  consult_id: string;
  study_id: string;
}

export interface ConsultAttachmentTable {
  id: Generated<string>;
  consult_id: string;
  tenant_id: string;
  object_key: string;
  media_type: string;
  size_bytes: number;
  label: string;
  /** `pending` until the sending hospital releases it to the reading centre (or removes it). */
  review: ColumnType<'pending' | 'released', 'pending' | 'released' | undefined, 'pending' | 'released'>;
  /** Where the patient's identifiers were found: `{ pages, textPages, findings: [{ kind, page }] }`, or null if the check failed. */
  check_result: ColumnType<unknown, string | null | undefined, string | null>;
  reviewed_by: string | null;
  reviewed_at: NullableDate;
  review_reason: string | null;
  /** The copy the reading centre gets when the sender redacted the document: pages as images, boxes burned in. */
  redacted_object_key: string | null;
  redacted_size_bytes: ColumnType<string | null, number | null | undefined, number | null>;
  /** What was hidden: `{ boxes: [{ page, x, y, width, height }] }` in fractions of the page, never the text. */
  redaction: ColumnType<unknown, string | null | undefined, string | null>;
  created_at: CreatedAt;
}

export type Patient = Selectable<PatientTable>;
export type Study = Selectable<StudyTable>;
export type Series = Selectable<SeriesTable>;
export type Instance = Selectable<InstanceTable>;
export type Consult = Selectable<ConsultTable>;
export type ConsultAttachment = Selectable<ConsultAttachmentTable>;

export interface ConsultAnnotationTable {
  consult_id: string;
  author_id: string;
  version: number;
  data: ColumnType<unknown, string, never>;
  created_at: CreatedAt;
}

export type ReportStatusValue = 'draft' | 'preliminary' | 'final' | 'amended';

export interface ReportTable {
  id: string;
  consult_id: string;
  status: ReportStatusValue;
  version: number;
  document: ColumnType<unknown, string, string>;
  sr_sop_instance_uid: string | null;
  created_by: string;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface ReportVersionTable {
  report_id: string;
  version: number;
  /** What made this version: save, sign-preliminary, sign-final, addendum, opinion. */
  event: string;
  document: ColumnType<unknown, string, never>;
  saved_by: string;
  saved_at: CreatedAt;
}

export interface ConsultReaderTable {
  consult_id: string;
  user_id: string;
  kind: 'second-opinion' | 'tumour-board';
  invited_by: string;
  invited_at: CreatedAt;
}

export interface KeyImageTable {
  id: string;
  consult_id: string;
  object_key: string;
  size_bytes: number;
  created_by: string;
  created_at: CreatedAt;
}

export interface HospitalWebhookTable {
  tenant_id: string;
  url: string;
  secret_ciphertext: Uint8Array;
  enabled: Generated<boolean>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface WebhookDeliveryTable {
  id: Generated<string>;
  tenant_id: string;
  /** Empty for test events, which are about no consult. */
  consult_id: string | null;
  event: string;
  payload: ColumnType<unknown, string, string>;
  /** `failed`: given up (no attempt left); test events are logged with their outcome. */
  status: ColumnType<'pending' | 'delivered' | 'failed', 'pending' | 'delivered' | 'failed' | undefined, 'pending' | 'delivered' | 'failed'>;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: ColumnType<Date, Date | undefined, Date>;
  last_status_code: number | null;
  /** An error class (`timeout`, `connection refused`, `HTTP 500`…), never a response body. */
  last_error: string | null;
  last_attempt_at: NullableDate;
  last_duration_ms: number | null;
  created_at: CreatedAt;
  delivered_at: NullableDate;
  /** The process holding the delivery's lease (see `claimDue`), for operators; null once recorded. */
  claimed_by: string | null;
}

/**
 * One login-throttle counter, keyed by a keyed hash of what it counts (never a plain email or
 * address). `failures` leak away with time, so the stored value is as of `updated_at`.
 */
export interface LoginThrottleTable {
  key_hash: string;
  failures: number;
  updated_at: Date;
  /** No attempt on this counter before this time. */
  blocked_until: Date | null;
  /** The row means nothing after this and may be deleted. */
  expires_at: Date;
}
export type LoginThrottleEntry = Selectable<LoginThrottleTable>;

export interface DicomDeviceTable {
  id: Generated<string>;
  tenant_id: string;
  name: string;
  ae_title: string;
  allowed_cidrs: ColumnType<string[], string[] | undefined, string[]>;
  may_send: Generated<boolean>;
  may_receive: Generated<boolean>;
  host: string | null;
  port: number | null;
  enabled: Generated<boolean>;
  /** Sender: must connect over DICOM TLS. Receiver: reached over DICOM TLS. */
  tls: Generated<boolean>;
  /** SHA-256 of the device's certificate (lowercase hex), pinned. */
  certificate_sha256: string | null;
  /** The rule that creates a consult when a study from this device is complete; all null when off. */
  auto_consult_centre_id: string | null;
  auto_consult_priority: ConsultPriority | null;
  auto_consult_quiet_seconds: number | null;
  auto_consult_question: string | null;
  /** The licensed radiographer in whose name the rule's consults are created. */
  auto_consult_by: string | null;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface PacsDeliveryTable {
  id: Generated<string>;
  tenant_id: string;
  consult_id: string;
  device_id: string;
  report_version: number;
  status: ColumnType<'pending' | 'delivered' | 'failed', 'pending' | 'delivered' | 'failed' | undefined, 'pending' | 'delivered' | 'failed'>;
  attempts: Generated<number>;
  next_attempt_at: ColumnType<Date, Date | undefined, Date>;
  last_error: string | null;
  last_attempt_at: NullableDate;
  created_at: CreatedAt;
  delivered_at: NullableDate;
  /** The process holding the delivery's lease (see `claimDue`), for operators; null once recorded. */
  claimed_by: string | null;
}

/** An object being put: written before the put, deleted with the object's index row (see `sweepOrphans`). */
export interface PendingObjectTable {
  object_key: string;
  created_at: CreatedAt;
}
export type DicomDevice = Selectable<DicomDeviceTable>;

export type UploadSessionStatus = 'open' | 'completing' | 'completed' | 'failed';

/** A resumable upload: parts arrive on any replica, the whole is ingested once all are there. */
export interface UploadSessionTable {
  id: Generated<string>;
  tenant_id: string;
  user_id: string;
  kind: 'zip';
  /** bigint: read back as a string by `pg`, converted by the repository. */
  total_bytes: ColumnType<string, number, never>;
  part_bytes: number;
  part_count: number;
  status: ColumnType<UploadSessionStatus, UploadSessionStatus | undefined, UploadSessionStatus>;
  /** The process assembling it (`host:pid`), and until when its lease holds. */
  claimed_by: string | null;
  claim_expires_at: NullableDate;
  /** The ingest report once completed (the one-shot upload's answer). */
  result: ColumnType<unknown, string | null | undefined, string | null>;
  /** `{code, message}` when the archive was refused. */
  error: ColumnType<{ code: string; message: string } | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | undefined, Date>;
  expires_at: ColumnType<Date, Date, Date>;
}

export interface UploadPartTable {
  session_id: string;
  part_index: number;
  size: number;
  sha256: string;
  object_key: string;
  created_at: CreatedAt;
}

/** Which device sent which study and when its last instance came; the consult its rule created. */
export interface DeviceStudyTable {
  device_id: string;
  study_id: string;
  last_instance_at: Date;
  consult_id: string | null;
}
export type PacsDelivery = Selectable<PacsDeliveryTable>;

export type MessageSide = 'sender' | 'reader';
export type MessageKind = 'question' | 'request' | 'answer' | 'note';
/** A message's text per language: at least one of them. */
export type MessageText = Partial<Record<'zh-CN' | 'en', string>>;

export interface ConsultMessageTable {
  id: Generated<string>;
  consult_id: string;
  author_id: string;
  side: MessageSide;
  kind: MessageKind;
  text: ColumnType<MessageText, string, never>;
  /** The consult's attachments sent with the message. */
  attachment_ids: ColumnType<string[], string[] | undefined, never>;
  created_at: CreatedAt;
}

export interface ConsultMessageReadTable {
  user_id: string;
  consult_id: string;
  read_at: Date;
}

export interface EmailOutboxTable {
  id: Generated<string>;
  tenant_id: string;
  to_address: string;
  subject: string;
  body: string;
  status: ColumnType<'pending' | 'sent' | 'failed', 'pending' | 'sent' | 'failed' | undefined, 'pending' | 'sent' | 'failed'>;
  attempts: Generated<number>;
  next_attempt_at: ColumnType<Date, Date | undefined, Date>;
  last_error: string | null;
  /** The replica attempting it, until the attempt is recorded (see `claimDue`). */
  claimed_by: string | null;
  created_at: CreatedAt;
  sent_at: NullableDate;
}
export type EmailOutbox = Selectable<EmailOutboxTable>;

/** A reading centre's time to report, per priority, in minutes. */
export interface ServiceLevelTable {
  tenant_id: string;
  priority: ConsultPriority;
  minutes: number;
}

export type NotificationKind = 'consult-due-soon' | 'consult-overdue' | 'consult-reassigned';

export interface NotificationTable {
  id: Generated<string>;
  user_id: string;
  kind: NotificationKind;
  consult_id: string;
  created_at: CreatedAt;
  read_at: NullableDate;
}
/** One artefact `oidc-provider` keeps (Session, Interaction, Grant, AuthorizationCode, RefreshToken…), by model and id. */
export interface OidcPayloadTable {
  model: string;
  id: string;
  payload: ColumnType<Record<string, unknown>, string, string>;
  grant_id: string | null;
  uid: string | null;
  user_code: string | null;
  expires_at: Date | null;
  consumed_at: NullableDate;
}

/**
 * An OpenID Connect client (relying party) an admin registered: a browser app such as OHIF
 * (public, PKCE, no secret), or a server-side one whose secret is derived from the root secret
 * and `secret_salt`.
 */
export interface OidcClientTable {
  client_id: string;
  name: string;
  redirect_uris: string[];
  post_logout_redirect_uris: ColumnType<string[], string[] | undefined, string[]>;
  /** Consent is not asked: the deployment runs the client for its own users. */
  first_party: ColumnType<boolean, boolean | undefined, boolean>;
  /** Set for a confidential client: with the root secret, derives its client secret. Null: a public client. */
  secret_salt: ColumnType<string | null, string | null | undefined, string | null>;
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

/** A tumour board session, scheduled by its chair (a specialist of the reading centre). */
export interface BoardSessionTable {
  id: Generated<string>;
  /** The chair's hospital (the reading centre of every case). */
  tenant_id: string;
  /** Every hospital the session involves (the chair's and each participant's): row-level security reads this. */
  tenant_ids: ColumnType<string[], string[], string[]>;
  title: string;
  scheduled_at: Date;
  chair_id: string;
  /** Who holds the pointer; null until someone presents. */
  presenter_id: string | null;
  /** The presenter's viewport as the viewer sends it (series, slice, window, zoom, pan, measurements). */
  viewport: ColumnType<unknown, string | null, string | null>;
  /** Bumped by every viewport or pointer change, so a follower can tell news from an echo. */
  viewport_seq: ColumnType<number, number | undefined, number>;
  created_at: CreatedAt;
}

/** Bilingual-ready text: at least one language. */
export type BoardText = Partial<Record<'zh-CN' | 'en', string>>;

export interface BoardCaseTable {
  session_id: string;
  consult_id: string;
  position: number;
  /** The consensus recommendation, once the chair signs it. */
  recommendation: ColumnType<BoardText | null, string | null | undefined, string | null>;
  signed_by: string | null;
  signed_at: NullableDate;
}

export interface BoardParticipantTable {
  session_id: string;
  user_id: string;
  tenant_id: string;
  /** When the participant first joined the session: attendance. */
  joined_at: NullableDate;
}

export type BoardSession = Selectable<BoardSessionTable>;
/** `union`: another centre of a medical union; `partner`: a partner centre, often abroad. */
export type CentreRelationshipKind = 'union' | 'partner';

/** Which reading centre may refer consults to which (configuration, not code). */
export interface CentreRelationshipTable {
  id: Generated<string>;
  from_tenant_id: string;
  to_tenant_id: string;
  kind: CentreRelationshipKind;
  created_by: string | null;
  created_at: CreatedAt;
}

/**
 * A consult referred from its reading centre to another: `awaiting-consent` until the sending
 * hospital consents (`open`) or declines; the partner reads and submits; the first centre
 * countersigns or returns it with a comment.
 */
export type ReferralStatus = 'awaiting-consent' | 'declined' | 'open' | 'submitted' | 'returned' | 'countersigned';
export const activeReferralStatuses: readonly ReferralStatus[] = ['awaiting-consent', 'open', 'submitted', 'returned'];

export interface ConsultReferralTable {
  id: Generated<string>;
  consult_id: string;
  from_tenant_id: string;
  to_tenant_id: string;
  kind: CentreRelationshipKind;
  reason: string;
  status: ColumnType<ReferralStatus, ReferralStatus | undefined, ReferralStatus>;
  requested_by: string;
  requested_at: CreatedAt;
  consent_by: string | null;
  consent_at: NullableDate;
  partner_reader_id: string | null;
  submitted_at: NullableDate;
  submitted_version: number | null;
  countersigned_by: string | null;
  countersigned_at: NullableDate;
  comment: string | null;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}
