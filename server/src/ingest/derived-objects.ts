import { randomUUID } from 'node:crypto';

import {
  isDicomError,
  dicomErrorCodes,
  parseDicom,
  readIndexAttributes,
  validateForIngest,
  writeDicom,
  type DicomLimits,
} from '@yunzhen/dicom';
import { asSystem, type Repositories } from '@yunzhen/db';
import type { ObjectStore } from '@yunzhen/storage';

import { toWriteDataset } from '../dicomweb/transcode.js';
import { imageParts, storedStudyParts } from './index-record.js';
import type { InstanceOutcome } from './ingest-pipeline.js';

/** SOP classes a reader may add to a study: structured reports and key objects, segmentations, presentation states. */
const DERIVED_SOP_CLASS = /^1\.2\.840\.10008\.5\.1\.4\.1\.1\.(88\.\d+|66\.4|11\.\d+)$/;

/** Patient Name and Patient ID (PS3.3 C.7.1.1), written from the study's pseudonyms when a derived object lacks them. */
const PATIENT_NAME = 0x00100010;
const PATIENT_ID = 0x00100020;

export interface DerivedObjectContext {
  userId: string;
  /** The study the request names (`/studies/{study}`, a report's study); each object must belong to it. */
  studyUid?: string;
  /**
   * Whether the caller may add to the study an object names. Asked when the request names no
   * study (STOW-RS to `/studies`), so each object is filed by its own StudyInstanceUID under the
   * same check a request naming that study passes; a study the caller may not add to answers as
   * one that does not exist.
   */
  mayAddTo?: (studyUid: string) => Promise<boolean>;
}

export interface DerivedObjectDeps {
  repos: Repositories;
  store: ObjectStore;
  limits: Partial<DicomLimits>;
}

/**
 * Stores an object a specialist made from de-identified images (a TID 1500 measurement SR,
 * a segmentation, a presentation state) into the study it belongs to, as a new series. It is
 * not de-identified again: its UIDs must keep pointing at the stored images, and it may only
 * name the study's pseudonymous patient. The file is still rebuilt from its elements.
 */
export function createDerivedObjectIngest(deps: DerivedObjectDeps) {
  return async function ingestDerived(bytes: Uint8Array, context: DerivedObjectContext): Promise<InstanceOutcome> {
    let file;
    try {
      file = parseDicom(bytes, deps.limits);
      validateForIngest(file, deps.limits, 'ingest');
    } catch (error) {
      if (isDicomError(error)) return { status: 'rejected', code: error.code, message: dicomErrorCodes[error.code].meaning };
      throw error;
    }
    const a = readIndexAttributes(file);
    if (!a.SOPClassUID || !DERIVED_SOP_CLASS.test(a.SOPClassUID)) {
      return { status: 'rejected', code: 'NotADerivedObject', message: 'readers add structured reports, segmentations, key objects or presentation states' };
    }
    const studyUid = a.StudyInstanceUID!;
    if (context.studyUid !== undefined && studyUid !== context.studyUid) {
      return { status: 'rejected', code: 'StudyMismatch', message: 'the object belongs to another study than the request URL names' };
    }
    if (context.mayAddTo && !(await context.mayAddTo(studyUid))) {
      return { status: 'rejected', code: 'StudyNotFound', message: 'no study you read has this StudyInstanceUID' };
    }
    const study = await deps.repos.studies.findStudyByUid(studyUid);
    const patient = study && (await deps.repos.studies.getPatient(study.patient_id));
    if (!study || !patient) return { status: 'rejected', code: 'StudyMismatch', message: 'unknown study' };
    // Only the study's pseudonyms may appear: a derived object must not carry identity back in.
    // An object that names no patient carries none (a viewer copies Patient ID from the images,
    // and an image stored without one gives it none to copy), so it gets the study's pseudonyms.
    const namesOther = (value: string | null, pseudonym: string) => (value ?? '') !== '' && value !== pseudonym;
    if (namesOther(a.PatientID, patient.pseudonym_id) || namesOther(a.PatientName, patient.pseudonym_name)) {
      return { status: 'rejected', code: 'PatientMismatch', message: 'the object must name the study’s pseudonymous patient' };
    }
    const existing = await deps.repos.studies.findInstance(a.SOPInstanceUID!);
    if (existing) {
      return existing.study_id === study.id
        ? { status: 'duplicate', studyId: study.id, studyInstanceUid: study.study_uid, seriesInstanceUid: a.SeriesInstanceUID!, sopClassUid: a.SOPClassUID, sopInstanceUid: a.SOPInstanceUID!, sentSopInstanceUid: a.SOPInstanceUID!, pixelReview: false, sizeBytes: bytes.length }
        : { status: 'rejected', code: 'UidConflict', message: 'SOP Instance UID conflict' };
    }

    const dataset = toWriteDataset(file.dataset).filter((e) => e.tag !== PATIENT_ID && e.tag !== PATIENT_NAME);
    dataset.push({ tag: PATIENT_NAME, vr: 'PN', value: patient.pseudonym_name }, { tag: PATIENT_ID, vr: 'LO', value: patient.pseudonym_id });
    const rebuilt = writeDicom({ dataset, transferSyntaxUid: file.transferSyntax.littleEndian ? file.transferSyntax.uid : '1.2.840.10008.1.2.1' });
    const objectKey = `instances/${randomUUID()}`;
    const put = await deps.store.put(objectKey, rebuilt, { contentType: 'application/dicom' });
    if (!put.created) throw new Error('a fresh object key was already taken');
    try {
      // The study is the sending hospital's and the writer the reading centre (found above under
      // row-level security): its patient and study rows are upserted as they are, on the named path.
      const indexed = await asSystem('derived-object-index', () => deps.repos.studies.indexInstance({
        tenantId: study.tenant_id,
        uploadedBy: context.userId,
        ...storedStudyParts(patient, study),
        series: { seriesUid: a.SeriesInstanceUID!, modality: a.Modality, seriesNumber: a.SeriesNumber, seriesDescription: a.SeriesDescription, bodyPart: a.BodyPartExamined },
        instance: {
          sopInstanceUid: a.SOPInstanceUID!,
          sopClassUid: a.SOPClassUID!,
          ...imageParts(a),
          transferSyntaxUid: file.transferSyntax.littleEndian ? file.transferSyntax.uid : '1.2.840.10008.1.2.1',
          sizeBytes: rebuilt.length,
          sha256: put.sha256,
          objectKey,
          pixelReview: 'none',
          pixelReviewReasons: [],
        },
        vaultEntries: [],
      }));
      if (indexed.duplicate) await deps.store.delete(objectKey);
      return {
        status: indexed.duplicate ? 'duplicate' : 'stored',
        studyId: study.id,
        studyInstanceUid: study.study_uid,
        seriesInstanceUid: a.SeriesInstanceUID!,
        sopClassUid: a.SOPClassUID,
        sopInstanceUid: a.SOPInstanceUID!,
        // Not de-identified again: it keeps the UID it was sent with.
        sentSopInstanceUid: a.SOPInstanceUID!,
        pixelReview: false,
        sizeBytes: rebuilt.length,
      };
    } catch (error) {
      await deps.store.delete(objectKey).catch(() => undefined);
      throw error;
    }
  };
}

export type IngestDerived = ReturnType<typeof createDerivedObjectIngest>;

