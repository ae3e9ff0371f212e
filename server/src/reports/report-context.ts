import type { Context } from 'hono';

import type { Consult, Repositories } from '@yunzhen/db';
import { referencedUids, type ReportContext, type ReportDocument } from '@yunzhen/report';

import type { AppEnv, Principal } from '../app-env.js';
import { AuditEvent, Outcome, type AuditWriter } from '../audit.js';
import { notFound } from '../errors.js';
import { isoDate, shownStudyDate } from '../routes/study-views.js';
import type { Vault } from '../vault/vault.js';

/** Whose eyes a rendering is for: the sending hospital sees the real patient, everyone else pseudonyms. */
export type Audience = 'sender' | 'reader';

export function audienceOf(principal: Principal, consult: Pick<Consult, 'sending_tenant_id'>): Audience {
  return principal.tenant.id === consult.sending_tenant_id ? 'sender' : 'reader';
}


const sexOf = (value: string | null | undefined): ReportContext['patient']['sex'] => (value === 'M' || value === 'F' || value === 'O' ? value : 'U');

/**
 * The block every rendering of a report is about. For the sending hospital it is filled from
 * the vault: real name and ID, the original accession number, Study Instance UID and study
 * date, and the original UID of every series and instance the report refers to, so an SR
 * files itself next to the original images. Revealing is audited (110110).
 */
export async function reportContext(
  deps: { repos: Repositories; vault: Vault },
  consult: Consult & { sending_tenant_name: string; reading_tenant_name: string },
  doc: ReportDocument,
  audience: Audience,
  /** Records the reveal (110110) before the real identity is returned; called only for the sender. */
  auditReveal: () => Promise<void>,
): Promise<ReportContext> {
  const study = await deps.repos.studies.findStudyByUid(doc.study.studyInstanceUid);
  if (!study || study.tenant_id !== consult.sending_tenant_id) throw notFound('study');
  const patient = (await deps.repos.studies.getPatient(study.patient_id))!;
  // The person at the sending hospital who asked for the reading: the report's referring doctor.
  const requester = await deps.repos.users.getInTenant(consult.sending_tenant_id, consult.created_by);
  // A referred consult names who read it at the partner centre and who countersigned it here.
  const referral = await deps.repos.referrals.latest(consult.id);
  const referred = referral?.partner_reader_name && (referral.status === 'submitted' || referral.status === 'countersigned') ? referral : undefined;
  const series = (await deps.repos.studies.listSeries(study.id)).map((s) => ({ seriesInstanceUid: s.series_uid, modality: s.modality ?? 'OT', description: s.series_description ?? undefined }));
  const base: ReportContext = {
    patient: { name: patient.pseudonym_name, id: patient.pseudonym_id, sex: sexOf(patient.sex), ...(study.patient_age && { age: study.patient_age }) },
    study: {
      studyInstanceUid: study.study_uid,
      accessionNumber: study.accession_number ?? '',
      studyDate: isoDate(study.study_date),
      studyDescription: study.study_description ?? '',
      modalities: [...new Set(series.map((s) => s.modality))].sort(),
      series,
    },
    // Hospitals have one registered name; it stands for both languages.
    sendingHospital: { id: consult.sending_tenant_id, name: { 'zh-CN': consult.sending_tenant_name, en: consult.sending_tenant_name } },
    readingCentre: { id: consult.reading_tenant_id, name: { 'zh-CN': consult.reading_tenant_name, en: consult.reading_tenant_name } },
    ...(requester && { referringDoctor: requester.display_name }),
    ...(referred && {
      referral: {
        centre: { id: referred.to_tenant_id, name: { 'zh-CN': referred.to_tenant_name, en: referred.to_tenant_name } },
        readBy: referred.partner_reader_name!,
        ...(referred.countersigned_by_name && { countersignedBy: referred.countersigned_by_name }),
      },
    }),
  };
  if (audience === 'reader') return base;

  await auditReveal();
  const tenantId = consult.sending_tenant_id;
  const [patients, studies, uids] = await Promise.all([
    deps.vault.reveal(tenantId, 'patient', [patient.pseudonym_id]),
    deps.vault.reveal(tenantId, 'study', [study.study_uid]),
    deps.vault.reveal(tenantId, 'uid', [...referencedUids(doc), ...series.map((s) => s.seriesInstanceUid)]),
  ]);
  const original = studies.get(study.study_uid);
  // The identity the study arrived with: sealed once, so a signed report names the same patient forever.
  const real = original?.patient ?? patients.get(patient.pseudonym_id);
  // Study and series UIDs the engine derived (the sender's file had none) stay as stored.
  const uidMap: Record<string, string> = {};
  for (const [pseudonym, record] of uids) if (!record.original.startsWith('derived:')) uidMap[pseudonym] = record.original;
  const studyUid = original?.studyInstanceUid && !original.studyInstanceUid.startsWith('derived:') ? original.studyInstanceUid : study.study_uid;
  uidMap[study.study_uid] = studyUid;
  return {
    ...base,
    patient: {
      ...base.patient,
      name: real?.name ?? base.patient.name,
      id: real?.id ?? base.patient.id,
      ...(real?.birthDate && isoDate(real.birthDate) && { birthDate: isoDate(real.birthDate) }),
    },
    study: {
      ...base.study,
      studyInstanceUid: studyUid,
      accessionNumber: original?.accessionNumber ?? '',
      studyDate: shownStudyDate(true, base.study.studyDate, original) ?? '',
      series: series.map((s) => ({ ...s, seriesInstanceUid: uidMap[s.seriesInstanceUid] ?? s.seriesInstanceUid })),
    },
    uids: uidMap,
  };
}

/** The audit record of a report reveal made while serving a request. */
export function auditRevealFor(c: Context<AppEnv>, audit: AuditWriter, consultId: string): () => Promise<void> {
  return () => audit(c, { eventCode: AuditEvent.PatientRecord, action: 'R', outcome: Outcome.Success, objectType: 'consult', objectId: consultId, detail: { purpose: 'report re-identification' } });
}
