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
import type { Repositories } from '@yunzhen/db';
import type { ObjectStore } from '@yunzhen/storage';

import { toWriteDataset } from '../dicomweb/transcode.js';
import { imageParts, storedStudyParts } from './index-record.js';
import type { InstanceOutcome } from './ingest-pipeline.js';

/** SOP classes a reader may add to a study: structured reports and key objects, segmentations, presentation states. */
const DERIVED_SOP_CLASS = /^1\.2\.840\.10008\.5\.1\.4\.1\.1\.(88\.\d+|66\.4|11\.\d+)$/;

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
  return async function ingestDerived(bytes: Uint8Array, context: { userId: string; studyUid: string }): Promise<InstanceOutcome> {
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
    if (a.StudyInstanceUID !== context.studyUid) {
      return { status: 'rejected', code: 'StudyMismatch', message: 'the object belongs to another study than the request URL names' };
    }
    const study = await deps.repos.studies.findStudyByUid(context.studyUid);
    const patient = study && (await deps.repos.studies.getPatient(study.patient_id));
    if (!study || !patient) return { status: 'rejected', code: 'StudyMismatch', message: 'unknown study' };
    // Only the study's pseudonyms may appear: a derived object must not carry identity back in.
    if ((a.PatientID ?? '') !== patient.pseudonym_id || (a.PatientName ?? '') !== patient.pseudonym_name) {
      return { status: 'rejected', code: 'PatientMismatch', message: 'the object must name the study’s pseudonymous patient' };
    }
    const existing = await deps.repos.studies.findInstance(a.SOPInstanceUID!);
    if (existing) {
      return existing.study_id === study.id
        ? { status: 'duplicate', studyId: study.id, studyInstanceUid: study.study_uid, seriesInstanceUid: a.SeriesInstanceUID!, sopClassUid: a.SOPClassUID, sopInstanceUid: a.SOPInstanceUID!, pixelReview: false, sizeBytes: bytes.length }
        : { status: 'rejected', code: 'UidConflict', message: 'SOP Instance UID conflict' };
    }

    const rebuilt = writeDicom({ dataset: toWriteDataset(file.dataset), transferSyntaxUid: file.transferSyntax.littleEndian ? file.transferSyntax.uid : '1.2.840.10008.1.2.1' });
    const objectKey = `instances/${randomUUID()}`;
    const put = await deps.store.put(objectKey, rebuilt, { contentType: 'application/dicom' });
    if (!put.created) throw new Error('a fresh object key was already taken');
    try {
      const indexed = await deps.repos.studies.indexInstance({
        tenantId: study.tenant_id,
        uploadedBy: context.userId,
        ...storedStudyParts(patient, study),
        series: { seriesUid: a.SeriesInstanceUID!, modality: a.Modality, seriesNumber: a.SeriesNumber, seriesDescription: a.SeriesDescription, bodyPart: a.BodyPartExamined },
        instance: {
          sopInstanceUid: a.SOPInstanceUID!,
          sopClassUid: a.SOPClassUID,
          ...imageParts(a),
          transferSyntaxUid: file.transferSyntax.littleEndian ? file.transferSyntax.uid : '1.2.840.10008.1.2.1',
          sizeBytes: rebuilt.length,
          sha256: put.sha256,
          objectKey,
          pixelReview: 'none',
          pixelReviewReasons: [],
        },
        vaultEntries: [],
      });
      if (indexed.duplicate) await deps.store.delete(objectKey);
      return {
        status: indexed.duplicate ? 'duplicate' : 'stored',
        studyId: study.id,
        studyInstanceUid: study.study_uid,
        seriesInstanceUid: a.SeriesInstanceUID!,
        sopClassUid: a.SOPClassUID,
        sopInstanceUid: a.SOPInstanceUID!,
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

