import { createHash, randomUUID } from 'node:crypto';

import { anonymize, archiveValidation, dicomErrorCodes, isDicomError, type DeidentificationProfile, type DicomErrorCode, type DicomLimits, type IndexAttributes } from '@yunzhen/dicom';
import { TenantConflictError, type InstanceRecord, type Repositories } from '@yunzhen/db';
import type { ObjectStore } from '@yunzhen/storage';

import { metadataToKeep } from '../dicomweb/metadata.js';
import type { HospitalKeys } from '../vault/keys.js';
import { sameIdentity, type PatientRecord, type Vault } from '../vault/vault.js';
import { createHmacPseudonymStore } from './hmac-pseudonym-store.js';
import { imageParts } from './index-record.js';
import { pixelScanPolicy } from './pixel-scan-policy.js';
import { inflateOnThreadPool } from './thread-pool-inflate.js';

export interface IngestDeps {
  repos: Repositories;
  store: ObjectStore;
  vault: Vault;
  keys: HospitalKeys;
  /** De-identification profile; the package default (remote diagnosis) when omitted. */
  profile?: DeidentificationProfile;
  limits: Partial<DicomLimits>;
  /** OCR images for burned-in text before the reading centre sees them (pixel-scan-policy.ts); off when omitted. */
  pixelScan?: boolean;
}

export interface IngestContext {
  tenantId: string;
  /** The uploading user; null for a DICOM device (C-STORE), which the audit record names instead. */
  userId: string | null;
}

/** Rejection codes the pipeline adds to the DICOM engine's. */
export type IngestRejectionCode = DicomErrorCode | 'NotAnInstance' | 'StudyMismatch' | 'UidConflict' | 'InstanceConflict' | 'NotADerivedObject' | 'PatientMismatch' | 'StudyNotFound';

export type InstanceOutcome =
  | {
      status: 'stored' | 'duplicate';
      studyId: string;
      studyInstanceUid: string;
      seriesInstanceUid: string;
      sopClassUid: string;
      sopInstanceUid: string;
      /** The SOP Instance UID the sender gave it, which de-identification replaced by `sopInstanceUid`. */
      sentSopInstanceUid: string;
      pixelReview: boolean;
      sizeBytes: number;
    }
  | { status: 'rejected'; code: IngestRejectionCode; message: string };

/** Media Storage Directory (DICOMDIR): an index of removable media, not an instance. */
const MEDIA_STORAGE_DIRECTORY = '1.2.840.10008.1.3.10';

/**
 * The one ingest pipeline every entry point uses, per instance:
 * parse → validate → anonymize (PS3.15) → put the object → index (with the vault entries).
 * A `stored` outcome means the de-identified object is in the store and indexed. A failure
 * after the put removes the object again; an object orphaned by a crash is removed by the
 * orphan sweep. Store or database outages propagate (the caller answers 503).
 */
export function createIngestPipeline(deps: IngestDeps) {
  const stores = new Map<string, ReturnType<typeof createHmacPseudonymStore>>();
  const pseudonymsFor = (tenantId: string) => {
    let store = stores.get(tenantId);
    if (!store) stores.set(tenantId, (store = createHmacPseudonymStore(deps.keys, tenantId)));
    return store;
  };

  /**
   * The identity a study arrived with. Sealed once and never rewritten, so it is cached once
   * read (a study of 300 instances costs one vault read, not 300).
   */
  const studyIdentities = new Map<string, PatientRecord>();
  async function sealedStudyIdentity(tenantId: string, studyUid: string): Promise<PatientRecord | undefined> {
    const key = `${tenantId}\u0000${studyUid}`;
    const cached = studyIdentities.get(key);
    if (cached) return cached;
    const sealed = (await deps.vault.reveal(tenantId, 'study', [studyUid])).get(studyUid)?.patient;
    if (sealed) {
      if (studyIdentities.size >= 10_000) studyIdentities.delete(studyIdentities.keys().next().value!);
      studyIdentities.set(key, sealed);
    }
    return sealed;
  }

  return async function ingestInstance(bytes: Uint8Array, context: IngestContext, options: { originalStudyUid?: string } = {}): Promise<InstanceOutcome> {
    let result;
    try {
      result = await anonymize(bytes, { profile: deps.profile, limits: deps.limits, validation: archiveValidation }, { pseudonyms: pseudonymsFor(context.tenantId), inflate: inflateOnThreadPool });
    } catch (error) {
      if (isDicomError(error)) return { status: 'rejected', code: error.code, message: dicomErrorCodes[error.code].meaning };
      throw error;
    }
    const a = result.attributes;
    if (a.SOPClassUID === MEDIA_STORAGE_DIRECTORY) {
      return { status: 'rejected', code: 'NotAnInstance', message: 'a DICOMDIR indexes media; send the instances it lists' };
    }
    const original = (pseudonym: string | null) => result.mapping.uids.find((u) => u.pseudonym === pseudonym)?.original;
    if (options.originalStudyUid && original(a.StudyInstanceUID) !== options.originalStudyUid) {
      return { status: 'rejected', code: 'StudyMismatch', message: 'the instance belongs to another study than the request URL names' };
    }
    const ids = requiredUids(a);
    // Without a replacement (Retain UIDs) the stored UID is the one sent.
    const sent = original(ids.sop) ?? ids.sop;
    const identity = patientRecordOf(result, a);
    const studyIdentity = await sealedStudyIdentity(context.tenantId, ids.study);
    if (studyIdentity && !sameIdentity(studyIdentity, identity)) {
      return { status: 'rejected', code: 'PatientMismatch', message: 'the instance names another patient (ID, name or birth date) than the rest of its study' };
    }
    // The same SOP Instance UID again: identical content is idempotent, different content a
    // conflict. The same instance in another transfer syntax (a PACS that recompresses) differs
    // in every pixel byte without being other content; the first copy stays.
    const again = (existing: { tenant_id: string; study_id: string; sha256: string; transfer_syntax_uid: string }): InstanceOutcome => {
      if (existing.tenant_id !== context.tenantId) return { status: 'rejected', code: 'UidConflict', message: 'SOP Instance UID conflict' };
      const sameEncoding = existing.transfer_syntax_uid === a.TransferSyntaxUID;
      if (sameEncoding && existing.sha256 !== createHash('sha256').update(result.bytes).digest('hex')) {
        return { status: 'rejected', code: 'InstanceConflict', message: 'an instance with this SOP Instance UID is already stored with different content' };
      }
      return outcome('duplicate', existing.study_id, a, sent, result.bytes.length, result.needsPixelReview);
    };
    // No look-up first: the index write finds a stored SOP Instance UID itself, so a new
    // instance (nearly every one) costs one database round trip. A duplicate costs its object
    // write, which is removed again.
    const objectKey = `instances/${randomUUID()}`;
    const put = await deps.store.put(objectKey, result.bytes, { contentType: 'application/dicom' });
    if (!put.created) throw new Error('a fresh object key was already taken');
    try {
      const indexed = await deps.repos.studies.indexInstance(instanceRecord(context, a, objectKey, put.sha256, result, identity, deps.vault, deps.pixelScan ?? false));
      if (!indexed.duplicate) return outcome('stored', indexed.studyId, a, sent, result.bytes.length, result.needsPixelReview);
      // Stored before, or by a concurrent upload that won the race.
      await deps.store.delete(objectKey);
      const winner = await deps.repos.studies.findInstance(ids.sop);
      return winner ? again(winner) : outcome('duplicate', indexed.studyId, a, sent, result.bytes.length, result.needsPixelReview);
    } catch (error) {
      await deps.store.delete(objectKey).catch(() => undefined);
      if (error instanceof TenantConflictError) return { status: 'rejected', code: 'UidConflict', message: 'study or series UID conflict' };
      throw error;
    }
  };
}

export type IngestInstance = ReturnType<typeof createIngestPipeline>;

type Anonymized = Awaited<ReturnType<typeof anonymize>>;

function requiredUids(a: IndexAttributes) {
  // anonymize() refuses instances without these (MissingRequiredUid), so they are present.
  return { study: a.StudyInstanceUID!, series: a.SeriesInstanceUID!, sop: a.SOPInstanceUID!, sopClass: a.SOPClassUID! };
}

function outcome(status: 'stored' | 'duplicate', studyId: string, a: IndexAttributes, sentSopInstanceUid: string, sizeBytes: number, pixelReview: boolean): InstanceOutcome {
  const ids = requiredUids(a);
  return { status, studyId, studyInstanceUid: ids.study, seriesInstanceUid: ids.series, sopClassUid: ids.sopClass, sopInstanceUid: ids.sop, sentSopInstanceUid, pixelReview, sizeBytes };
}

/** The original patient identity an instance names, as the vault keeps it. */
function patientRecordOf(result: Anonymized, a: IndexAttributes): PatientRecord {
  const original = result.mapping.patient.original;
  return { name: original.name, id: original.id, birthDate: original.birthDate, issuer: original.issuer, sex: a.PatientSex ?? '', ...(original.address && { address: original.address }) };
}

/** The index row of one anonymized instance and the vault entries that lead back to its originals. */
function instanceRecord(context: IngestContext, a: IndexAttributes, objectKey: string, sha256: string, result: Anonymized, identity: PatientRecord, vault: Vault, pixelScan: boolean): InstanceRecord {
  const ids = requiredUids(a);
  const { mapping } = result;
  // Without a replacement (Retain UIDs) the stored UID is the original.
  const originalOf = (pseudonym: string) => mapping.uids.find((u) => u.pseudonym === pseudonym)?.original ?? pseudonym;
  const studyOriginal = originalOf(ids.study);
  return {
    tenantId: context.tenantId,
    uploadedBy: context.userId,
    patient: { pseudonymId: mapping.patient.pseudonym.id, pseudonymName: mapping.patient.pseudonym.name, sex: a.PatientSex, birthDate: a.PatientBirthDate },
    study: {
      studyUid: ids.study,
      studyDate: sqlDate(a.StudyDate),
      studyTime: a.StudyTime,
      accessionNumber: a.AccessionNumber,
      studyDescription: a.StudyDescription,
      studyId: null,
      patientAge: a.PatientAge,
    },
    series: { seriesUid: ids.series, modality: a.Modality, seriesNumber: a.SeriesNumber, seriesDescription: a.SeriesDescription, bodyPart: a.BodyPartExamined },
    instance: {
      sopInstanceUid: ids.sop,
      sopClassUid: ids.sopClass,
      ...imageParts(a),
      sizeBytes: result.bytes.length,
      sha256,
      objectKey,
      pixelReview: result.needsPixelReview ? 'pending' : 'none',
      pixelReviewReasons: [...result.pixelReviewReasons],
      pixelScan: pixelScan ? pixelScanPolicy(a, result.needsPixelReview) : 'none',
      // Its WADO-RS metadata, so a viewer opening the series waits for one query, not for every object read.
      metadataJson: metadataToKeep(result.stored),
    },
    vaultEntries: [
      vault.seal(context.tenantId, 'patient', mapping.patient.pseudonym.id, identity),
      vault.seal(context.tenantId, 'study', ids.study, {
        studyInstanceUid: studyOriginal,
        accessionNumber: mapping.accessionNumber.original,
        studyDate: shiftBack(a.StudyDate, mapping.dateShiftDays),
        studyTime: a.StudyTime ?? '',
        dateShiftDays: mapping.dateShiftDays ?? 0,
        patient: identity,
      }),
      ...mapping.uids.map((u) => vault.seal(context.tenantId, 'uid', u.pseudonym, { original: u.original })),
    ],
  };
}

/** DICOM DA (YYYYMMDD) as an SQL date, or null when absent or not a real date. */
export function sqlDate(value: string | null): string | null {
  const match = value ? /^(\d{4})(\d{2})(\d{2})$/.exec(value) : null;
  if (!match) return null;
  const [, y, m, d] = match;
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  return date.getUTCMonth() === Number(m) - 1 && date.getUTCDate() === Number(d) ? `${y}-${m}-${d}` : null;
}

/** The original study date, undoing the per-patient shift. */
function shiftBack(value: string | null, days: number | null): string {
  const iso = sqlDate(value);
  if (!iso) return '';
  if (!days) return value ?? '';
  const date = new Date(`${iso}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() - days);
  return date.toISOString().slice(0, 10).replaceAll('-', '');
}
