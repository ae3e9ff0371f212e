import type { Context } from 'hono';

import type { Repositories } from '@yunzhen/db';

import type { AppEnv, Principal } from '../app-env.js';
import { AuditEvent, Outcome, type AuditWriter } from '../audit.js';
import { sameIdentity, type Vault, type VaultRecords } from '../vault/vault.js';
import { isClinician } from './clinician.js';

type StudyRow = Awaited<ReturnType<Repositories['studies']['listStudies']>>[number];

/** The real identity behind a pseudonym, shown only to the hospital that sent the study. */
export interface RealIdentity {
  name: string;
  id: string;
  birthDate: string;
  accessionNumber: string;
  studyInstanceUid: string;
  /**
   * The study's Patient ID was first seen with another name or birth date: two people may share
   * an ID, or a record was corrected. The sending hospital must check before it sends.
   */
  identityConflict: boolean;
}

/** `YYYYMMDD` (DICOM DA) or `YYYY-MM-DD` as ISO; empty when absent or malformed. */
export function isoDate(value: string | null | undefined): string {
  if (!value) return '';
  const digits = value.replaceAll('-', '');
  return /^\d{8}$/.test(digits) ? `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)}` : '';
}

/**
 * The study date a caller is shown, decided here for every view: the hospital that sent the
 * study sees the date it was acquired (from the vault), everyone else the shifted date the
 * stored objects carry. Never the shifted date beside the real name.
 */
export function shownStudyDate(isOwn: boolean, storedDate: string | null, original: { studyDate: string } | undefined): string | null {
  return isOwn ? isoDate(original?.studyDate) || null : storedDate;
}

/**
 * Study summaries for one caller. The sending hospital's own clinical users also get the real
 * identity from the vault (audited as 110110 Patient Record); everyone else, its admins
 * included, gets pseudonyms.
 * Instances held for pixel review are not counted for the reading centre.
 */
export async function studyViews(c: Context<AppEnv>, deps: { vault: Vault; audit: AuditWriter }, principal: Principal, rows: StudyRow[]) {
  const own = isClinician(principal) ? rows.filter((r) => r.tenant_id === principal.tenant.id) : [];
  const identities = new Map<string, RealIdentity>();
  let studies = new Map<string, VaultRecords['study']>();
  if (own.length) {
    const tenantId = principal.tenant.id;
    const [patients, sealedStudies] = await Promise.all([
      deps.vault.reveal(tenantId, 'patient', own.map((r) => r.pseudonym_id)),
      deps.vault.reveal(tenantId, 'study', own.map((r) => r.study_uid)),
    ]);
    studies = sealedStudies;
    for (const row of own) {
      const study = studies.get(row.study_uid);
      const patient = patients.get(row.pseudonym_id);
      // Each study shows the identity it arrived with (studies sealed before that was kept per study show the patient's).
      const identity = study?.patient ?? patient;
      identities.set(row.id, {
        name: identity?.name ?? '',
        id: identity?.id ?? '',
        birthDate: identity?.birthDate ?? '',
        accessionNumber: study?.accessionNumber ?? '',
        studyInstanceUid: study?.studyInstanceUid ?? '',
        identityConflict: Boolean(study?.patient && patient && !sameIdentity(study.patient, patient)),
      });
    }
    await deps.audit(c, {
      eventCode: AuditEvent.PatientRecord,
      action: 'R',
      outcome: Outcome.Success,
      objectType: 'study',
      objectId: own.length === 1 ? own[0]!.id : undefined,
      detail: { purpose: 're-identification', studies: own.length },
    });
  }
  return rows.map((row) => {
    const isOwn = row.tenant_id === principal.tenant.id;
    return {
      id: row.id,
      studyInstanceUid: row.study_uid,
      // Rows whose identity was unsealed are exactly those the caller sees as the sender.
      studyDate: shownStudyDate(identities.has(row.id), row.study_date, studies.get(row.study_uid)),
      studyTime: row.study_time,
      accessionNumber: row.accession_number,
      description: row.study_description,
      modalities: row.modalities,
      seriesCount: Number(row.series_count),
      instanceCount: isOwn ? Number(row.instance_count) : Number(row.instance_count) - Number(row.pending_review_count) - Number(row.scanning_count),
      // Held images (and images still being OCR'd) are images: the reading centre does not count them, as above.
      imageCount: isOwn ? Number(row.image_count) : Number(row.image_count) - Number(row.pending_review_count) - Number(row.scanning_count),
      pendingReviewCount: isOwn ? Number(row.pending_review_count) : undefined,
      scanningCount: isOwn ? Number(row.scanning_count) : undefined,
      // The reading centre learns only how many images it does not have yet, so it knows to wait.
      withheldCount: isOwn ? undefined : Number(row.pending_review_count) + Number(row.scanning_count),
      uploadedAt: row.created_at.toISOString(),
      patient: { pseudonymId: row.pseudonym_id, pseudonymName: row.pseudonym_name, sex: row.sex, age: row.patient_age },
      identity: isOwn ? identities.get(row.id) : undefined,
      /** The open (not cancelled) consult this study is part of, if any. */
      consultId: row.consult_id ?? null,
    };
  });
}

export type StudyView = Awaited<ReturnType<typeof studyViews>>[number];
