import type { Migration } from 'kysely/migration';

import * as foundation from './2026-11-23T00-foundation.js';
import * as studiesAndConsults from './2026-11-23T01-studies-and-consults.js';
import * as reading from './2026-11-23T02-reading.js';
import * as reports from './2026-11-23T03-reports.js';
import * as worklistOrder from './2026-11-23T04-worklist-order.js';
import * as loginThrottle from './2026-11-23T05-login-throttle.js';
import * as webhookLog from './2026-12-06T00-webhook-log.js';
import * as clinicalHistory from './2026-12-06T01-clinical-history.js';
import * as attachmentReview from './2026-12-06T02-attachment-review.js';
import * as dicomDevices from './2026-12-06T10-dicom-devices.js';
import * as replicas from './2026-12-07T12-replicas.js';
import * as deviceTlsAutoConsult from './2026-12-07T13-device-tls-auto-consult.js';
import * as oidc from './2026-12-07T14-oidc.js';
import * as consultMessages from './2026-12-07T16-consult-messages.js';
import * as turnaround from './2026-12-07T17-turnaround.js';
import * as preArrival from './2026-12-07T18-pre-arrival.js';
import * as oidcClientSecret from './2026-12-08T20-oidc-client-secret.js';
import * as pixelScan from './2026-12-08T21-pixel-scan.js';
import * as uploadSessions from './2026-12-08T22-upload-sessions.js';
import * as auditWindow from './2026-12-08T23-audit-window.js';
import * as tenantIsolation from './2026-12-08T23-tenant-isolation.js';
import * as attachmentRedaction from './2026-12-08T25-attachment-redaction.js';
import * as isolateScansAndUploads from './2026-12-08T26-isolate-scans-and-uploads.js';
import * as tumourBoard from './2026-12-09T30-tumour-board.js';
import * as referral from './2026-12-09T50-referral.js';
import * as escalationReassign from './2026-12-09T60-escalation-reassign.js';
import * as messageAttachments from './2026-12-09T61-message-attachments.js';
import * as instanceMetadata from './2026-12-09T62-instance-metadata.js';
import * as indexInstanceFunction from './2026-12-10T01-index-instance-function.js';

/** Every migration, by dated name. Imported statically so bundles and tests need no file system walk. */
export const migrations: Record<string, Migration> = {
  '2026-11-23T00-foundation': foundation,
  '2026-11-23T01-studies-and-consults': studiesAndConsults,
  '2026-11-23T02-reading': reading,
  '2026-11-23T03-reports': reports,
  '2026-11-23T04-worklist-order': worklistOrder,
  '2026-11-23T05-login-throttle': loginThrottle,
  '2026-12-06T00-webhook-log': webhookLog,
  '2026-12-06T01-clinical-history': clinicalHistory,
  '2026-12-06T02-attachment-review': attachmentReview,
  '2026-12-06T10-dicom-devices': dicomDevices,
  '2026-12-07T12-replicas': replicas,
  '2026-12-07T13-device-tls-auto-consult': deviceTlsAutoConsult,
  '2026-12-07T14-oidc': oidc,
  '2026-12-07T16-consult-messages': consultMessages,
  '2026-12-07T17-turnaround': turnaround,
  '2026-12-07T18-pre-arrival': preArrival,
  '2026-12-08T20-oidc-client-secret': oidcClientSecret,
  '2026-12-08T21-pixel-scan': pixelScan,
  '2026-12-08T22-upload-sessions': uploadSessions,
  '2026-12-08T23-audit-window': auditWindow,
  '2026-12-08T23-tenant-isolation': tenantIsolation,
  '2026-12-08T25-attachment-redaction': attachmentRedaction,
  '2026-12-08T26-isolate-scans-and-uploads': isolateScansAndUploads,
  '2026-12-09T30-tumour-board': tumourBoard,
  '2026-12-09T50-referral': referral,
  '2026-12-09T60-escalation-reassign': escalationReassign,
  '2026-12-09T61-message-attachments': messageAttachments,
  '2026-12-09T62-instance-metadata': instanceMetadata,
  '2026-12-10T01-index-instance-function': indexInstanceFunction,
};
