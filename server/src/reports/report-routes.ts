import { createHash, randomUUID } from 'node:crypto';

import type { Context } from 'hono';
import { Hono } from 'hono';
import { z } from 'zod';

import { uidFromBytes } from '@yunzhen/dicom';
import { activeReferralStatuses, asSystem, type Consult, type Repositories } from '@yunzhen/db';
import {
  addAddendum,
  createReport,
  followUpFromHistory,
  ENHANCED_SR_SOP_CLASS_UID,
  getTemplate,
  recistHistory,
  recordSecondOpinion,
  signReport,
  toFhirBundle,
  toSrContentTree,
  updateReport,
  writeStructuredReport,
  type ReportContext,
  type ReportDocument,
  type Signer,
} from '@yunzhen/report';
import { renderReportPdf } from '@yunzhen/report/pdf';
import type { ObjectStore } from '@yunzhen/storage';

import type { AppEnv, Principal } from '../app-env.js';
import { AuditEvent, Outcome, type AuditWriter } from '../audit.js';
import { requireUser } from '../auth/authenticate.js';
import { AppError, describeForLog, notFound } from '../errors.js';
import type { IngestDerived } from '../ingest/derived-objects.js';
import { requireClinician } from '../routes/clinician.js';
import { consultOrReferred, visibleConsult, type VisibleConsult } from '../routes/consult-access.js';
import { isUuid } from '../routes/views.js';
import { readBodyBytes, readJson } from '../validation.js';
import type { Vault } from '../vault/vault.js';
import { audienceOf, auditRevealFor, reportContext } from './report-context.js';

const noReveal = () => Promise.resolve();

export interface ReportDeps {
  repos: Repositories;
  store: ObjectStore;
  vault: Vault;
  audit: AuditWriter;
  ingestDerived: IngestDerived;
  now: () => Date;
}

const sha256 = (bytes: Uint8Array) => Promise.resolve(createHash('sha256').update(bytes).digest('hex'));
const localized = z.object({ 'zh-CN': z.string().max(20_000).optional(), en: z.string().max(20_000).optional() }).strict();

const createSchema = z.object({
  templateId: z.enum(['general', 'lung-nodule', 'breast', 'recist']),
  templateVersion: z.number().int().positive().optional(),
  language: z.enum(['zh-CN', 'en', 'both']),
  studyInstanceUid: z.string().regex(/^[0-9.]{1,64}$/).optional(),
});
// The editor sends whole parts of the document; their inner shape is checked by the template
// validation when signing, so here only size and kind are bounded.
const changesSchema = z
  .object({
    language: z.enum(['zh-CN', 'en', 'both']),
    values: z.record(z.string(), z.unknown()),
    findings: z.array(z.unknown()).max(500),
    measurements: z.array(z.unknown()).max(2000),
    keyImages: z.array(z.unknown()).max(200),
    nodules: z.array(z.unknown()).max(200),
    recist: z.unknown(),
  })
  .partial()
  .strict();
const saveSchema = z.object({ version: z.number().int().positive(), changes: changesSchema });
const signSchema = z.object({ version: z.number().int().positive(), kind: z.enum(['preliminary', 'final']) });
const addendumSchema = z.object({ version: z.number().int().positive(), text: localized });
const opinionSchema = z.object({ verdict: z.enum(['agree', 'disagree', 'partial']), comment: localized.optional() });
const inviteSchema = z.object({ userId: z.string().uuid(), kind: z.enum(['second-opinion', 'tumour-board']) });

const MAX_KEY_IMAGE_BYTES = 5 * 1024 * 1024;
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47];

/**
 * The structured report of a consult: written and signed by a licensed specialist of the
 * reading centre, read back (signed versions only) by the sending hospital with the real
 * patient restored, and rendered as DICOM SR, FHIR R4 and PDF from the one document.
 */
export function reportRoutes(deps: ReportDeps) {
  const { repos } = deps;

  /** Specialists of the reading centre write; the second readers it invited only give opinions. */
  const requireReader = (principal: Principal, consult: Consult) => {
    if (principal.tenant.id !== consult.reading_tenant_id || principal.user.role !== 'specialist') throw new AppError('Forbidden', 'only specialists of the reading centre write the report');
  };

  /**
   * The report of a consult is written by one specialist at a time: the one who claimed it.
   * Writing on an open, unclaimed consult claims it (so two readers never edit one report
   * unknowingly); a consult another specialist holds can be read, not written, until its
   * holder releases it or the centre reassigns it.
   */
  const requireReportWriter = async (principal: Principal, consult: Consult, options: { partner?: boolean } = {}) => {
    const referral = await activeReferral(consult.id);
    if (referral) {
      // Referred: the partner's specialist writes (while open or returned), the first centre waits to countersign.
      const partnerMayWrite = options.partner && referral.to_tenant_id === principal.tenant.id && principal.user.role === 'specialist' && (referral.status === 'open' || referral.status === 'returned');
      if (!partnerMayWrite) throw new AppError('ReferralPending', 'the consult is referred to another centre: its specialist writes the report and this centre countersigns it');
      if (!(await repos.referrals.holdForReader(referral.id, principal.user.id))) throw new AppError('ClaimedByOther', 'another specialist of the partner centre writes this report');
      return;
    }
    requireReader(principal, consult);
    const open = consult.status === 'new' || consult.status === 'in_progress';
    const heldByOther = open
      ? (await repos.consults.claim(consult.reading_tenant_id, consult.id, principal.user.id, deps.now())) === 'held-by-other'
      : consult.claimed_by !== null && consult.claimed_by !== principal.user.id;
    if (heldByOther) throw new AppError('ClaimedByOther', 'another specialist holds this consult; it can be read but not written until it is released or reassigned');
  };

  /** The consult's referral under way, if it has one (it decides who writes). */
  const activeReferral = async (consultId: string) => {
    const referral = await repos.referrals.latest(consultId);
    return referral && activeReferralStatuses.includes(referral.status) ? referral : undefined;
  };

  const signerOf = (principal: Principal): Signer => ({ userId: principal.user.id, displayName: principal.user.display_name, licensed: principal.user.licensed });

  const loadReport = async (consult: Consult) => {
    const row = await repos.reports.getByConsult(consult.id);
    if (!row) throw notFound('report');
    return { row, doc: row.document as ReportDocument };
  };

  /** Who may read what: the reading centre every version; the sending hospital signed ones only. */
  const readable = async (principal: Principal, consultId: string) => {
    const consult = await consultOrReferred(repos, principal, consultId);
    const { row, doc } = await loadReport(consult);
    const audience = audienceOf(principal, consult);
    if (audience === 'sender' && doc.status === 'draft') throw notFound('report');
    if (principal.user.role === 'admin') throw new AppError('Forbidden', 'administrators do not read reports');
    return { consult, row, doc, audience };
  };

  const write = async (reportId: string, expected: number, doc: ReportDocument, event: string, principal: Principal) => {
    const ok = await repos.reports.write(reportId, expected, { status: doc.status, version: doc.version, document: doc, event, savedBy: principal.user.id }, deps.now());
    if (!ok) throw new AppError('Conflict', 'the report was saved elsewhere in the meantime; reload it');
  };

  /** Stores the signed report as a TID 1500 SR in the study (pseudonymous, UIDs as stored). */
  const storeSr = async (consult: VisibleConsult, reportId: string, doc: ReportDocument, principal: Principal) => {
    const context = await reportContext(deps, consult, doc, 'reader', noReveal);
    const seriesUid = uidFromBytes(new Uint8Array(createHash('sha256').update(`report-series:${reportId}`).digest().subarray(0, 16)));
    // An amended report's SR names the SR it supersedes (PS3.3 C.17.2 Predecessor Documents).
    const previous = (await repos.reports.getByConsult(consult.id))?.sr_sop_instance_uid;
    const bytes = writeStructuredReport(toSrContentTree(doc, context), {
      ...(previous && {
        predecessorDocuments: [{ studyInstanceUid: doc.study.studyInstanceUid, seriesInstanceUid: seriesUid, sopClassUid: ENHANCED_SR_SOP_CLASS_UID, sopInstanceUid: previous }],
      }),
      sopInstanceUid: uidFromBytes(new Uint8Array(createHash('sha256').update(`report-sr:${reportId}:${doc.version}`).digest().subarray(0, 16))),
      seriesInstanceUid: seriesUid,
      seriesNumber: 900,
      instanceNumber: doc.signatures.length + doc.addenda.length,
      instanceCreationDateTime: deps.now(),
      manufacturer: 'Yunzhen',
      seriesDescription: 'Yunzhen report',
    });
    const outcome = await deps.ingestDerived(bytes, { userId: principal.user.id, studyUid: doc.study.studyInstanceUid });
    if (outcome.status === 'rejected') throw new AppError('InternalError', `the report SR was refused (${outcome.code})`);
    await repos.reports.setSrInstance(reportId, outcome.sopInstanceUid);
    return outcome.sopInstanceUid;
  };

  /** After a signature: turnaround milestone, the SR into the study, the webhook, the audit record. */
  const afterSigning = async (c: Context<AppEnv>, consult: VisibleConsult, reportId: string, doc: ReportDocument, principal: Principal, event: 'preliminary' | 'final' | 'amended') => {
    await repos.consults.mark(consult.id, event === 'preliminary' ? 'preliminary' : 'signed', deps.now());
    await deps.audit(c, {
      eventCode: AuditEvent.ProcedureRecord,
      action: event === 'amended' ? 'U' : 'C',
      outcome: Outcome.Success,
      objectType: 'report',
      objectId: reportId,
      detail: { event, version: doc.version },
    });
    let srStored = true;
    try {
      await storeSr(consult, reportId, doc, principal);
    } catch (error) {
      // The signature stands; the SR is made again by POST …/report/sr.
      srStored = false;
      c.var.logger.warn(describeForLog(error), 'report SR not stored');
    }
    // The sending hospital's PACS devices and webhook are its own rows, which the reading centre
    // signing here may not read: where the report goes is looked up on the named system path.
    if (event !== 'preliminary') {
      await asSystem('report-delivery', async () => {
        // The SR and PDF go back to the sending hospital's PACS (server/src/dimse/pacs-return.ts).
        const receivers = await repos.devices.receivers(consult.sending_tenant_id);
        await repos.devices.enqueueDeliveries(consult.sending_tenant_id, consult.id, doc.version, receivers.map((d) => d.id), deps.now());
        if ((await repos.webhooks.get(consult.sending_tenant_id))?.enabled) {
          await repos.webhooks.enqueue({ tenantId: consult.sending_tenant_id, consultId: consult.id, event: `report.${event === 'final' ? 'signed' : 'amended'}`, payload: { reportId, version: doc.version } });
        }
      });
    }
    return srStored;
  };

  const reportView = async (c: Context<AppEnv>, principal: Principal, consult: VisibleConsult, row: { id: string; sr_sop_instance_uid: string | null }, doc: ReportDocument) => {
    const audience = audienceOf(principal, consult);
    const readers = await repos.reports.readers(consult.id);
    return {
      report: doc,
      srSopInstanceUid: row.sr_sop_instance_uid,
      context: await reportContext(deps, consult, doc, audience, auditRevealFor(c, deps.audit, consult.id)),
      readers: readers.map((r) => ({ userId: r.user_id, displayName: r.display_name, kind: r.kind })),
    };
  };

  /** An international patient's pre-arrival consult is reported in Chinese and English, both complete before signing. */
  function requireBilingual(consult: VisibleConsult, language: ReportDocument['language']): void {
    if (consult.pre_arrival && language !== 'both') throw new AppError('BilingualRequired', 'a pre-arrival consult is reported in both Chinese and English');
  }

  /** The report's PDF with its key images. */
  const renderPdf = async (consultId: string, doc: ReportDocument, context: ReportContext) => {
    const keyImages: Record<string, Uint8Array> = {};
    for (const keyImage of doc.keyImages) {
      const stored = isUuid(keyImage.id) ? await repos.reports.keyImage(consultId, keyImage.id) : undefined;
      const object = stored && (await deps.store.get(stored.object_key));
      if (object) keyImages[keyImage.id] = new Uint8Array(await new Response(object.body).arrayBuffer());
    }
    return renderReportPdf(doc, context, { keyImages });
  };

  const render = (format: 'pdf' | 'fhir' | 'sr') => async (c: Context<AppEnv>) => {
    const principal = requireUser(c);
    const { consult, row, doc, audience } = await readable(principal, c.req.param('id')!);
    const context = await reportContext(deps, consult, doc, audience, auditRevealFor(c, deps.audit, consult.id));
    await deps.audit(c, { eventCode: AuditEvent.Export, action: 'R', outcome: Outcome.Success, objectType: 'report', objectId: row.id, detail: { format, audience } });
    const name = `report-${consult.id.slice(0, 8)}-v${doc.version}`;
    if (format === 'sr') {
      const bytes = writeStructuredReport(toSrContentTree(doc, context), {
        sopInstanceUid: uidFromBytes(new Uint8Array(createHash('sha256').update(`export-sr:${row.id}:${doc.version}:${audience}`).digest().subarray(0, 16))),
        seriesInstanceUid: uidFromBytes(new Uint8Array(createHash('sha256').update(`export-series:${row.id}:${audience}`).digest().subarray(0, 16))),
        seriesNumber: 900,
        instanceNumber: doc.version,
        instanceCreationDateTime: deps.now(),
        manufacturer: 'Yunzhen',
        seriesDescription: 'Yunzhen report',
      });
      return c.body(bytes as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': 'application/dicom', 'Content-Disposition': `attachment; filename="${name}.dcm"` });
    }
    const pdf = await renderPdf(consult.id, doc, context);
    if (format === 'fhir') {
      // The Bundle carries the report as its readers see it (DiagnosticReport.presentedForm), so a receiver can show it as is.
      const presentedForm = { contentType: 'application/pdf', data: Buffer.from(pdf).toString('base64'), title: `${name}.pdf` };
      return c.body(JSON.stringify(toFhirBundle(doc, context, { presentedForm }), null, 2), 200, {
        'Content-Type': 'application/fhir+json',
        'Content-Disposition': `attachment; filename="${name}.fhir.json"`,
      });
    }
    return c.body(pdf as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': 'application/pdf', 'Content-Disposition': `attachment; filename="${name}.pdf"` });
  };

  return new Hono<AppEnv>()
    .get('/consults/:id/report', async (c) => {
      const principal = requireUser(c);
      const consult = await consultOrReferred(repos, principal, c.req.param('id'));
      if (principal.user.role === 'admin') throw new AppError('Forbidden', 'administrators do not read reports');
      const row = await repos.reports.getByConsult(consult.id);
      const doc = row?.document as ReportDocument | undefined;
      // No report yet (or only a draft the sender may not see) is an answer, not an error.
      if (!row || !doc || (audienceOf(principal, consult) === 'sender' && doc.status === 'draft')) return c.json({ report: null });
      return c.json(await reportView(c, principal, consult, row, doc));
    })
    .post('/consults/:id/report', async (c) => {
      const principal = requireUser(c);
      const consult = await consultOrReferred(repos, principal, c.req.param('id'));
      await requireReportWriter(principal, consult, { partner: true });
      const input = await readJson(c, createSchema);
      const studyUids = (await repos.studies.listStudies({ tenantId: consult.sending_tenant_id, studyIds: await repos.consults.studyIds(consult.id) })).map((s) => s.study_uid);
      const studyInstanceUid = input.studyInstanceUid ?? studyUids[0];
      if (!studyInstanceUid || !studyUids.includes(studyInstanceUid)) throw new AppError('InvalidRequest', 'invalid or missing: studyInstanceUid');
      requireBilingual(consult, input.language);
      const template = getTemplate(input.templateId, input.templateVersion ?? 1);
      const doc = createReport({ id: randomUUID(), templateId: template.id, templateVersion: template.version, language: input.language, studyInstanceUid, now: deps.now() });
      const created = await repos.reports.create({ id: doc.id, consultId: consult.id, createdBy: principal.user.id, status: doc.status, version: doc.version, document: doc, event: 'create', savedBy: principal.user.id });
      if (!created) throw new AppError('Conflict', 'the consult already has a report');
      const { row } = await loadReport(consult);
      return c.json(await reportView(c, principal, consult, row, doc), 201);
    })
    .put('/consults/:id/report', async (c) => {
      const principal = requireUser(c);
      const consult = await consultOrReferred(repos, principal, c.req.param('id'));
      await requireReportWriter(principal, consult, { partner: true });
      const { version, changes } = await readJson(c, saveSchema);
      const { row, doc } = await loadReport(consult);
      if (doc.version !== version) throw new AppError('Conflict', `the report is at version ${doc.version}; reload and merge your changes`);
      const next = updateReport(doc, changes as Parameters<typeof updateReport>[1], deps.now());
      requireBilingual(consult, next.language);
      await write(row.id, doc.version, next, 'save', principal);
      return c.json({ version: next.version, updatedAt: next.updatedAt });
    })
    .post('/consults/:id/report/sign', async (c) => {
      const principal = requireUser(c);
      const consult = await consultOrReferred(repos, principal, c.req.param('id'));
      // A referred report is signed here once, final, by the first centre: its countersignature of the partner's submitted report.
      const referral = await activeReferral(consult.id);
      if (referral) {
        requireReader(principal, consult);
        if (referral.status !== 'submitted') throw new AppError('ReferralPending', 'the partner centre has not submitted its report yet');
      } else {
        await requireReportWriter(principal, consult);
      }
      const { version, kind } = await readJson(c, signSchema);
      const { row, doc } = await loadReport(consult);
      if (doc.version !== version) throw new AppError('Conflict', `the report is at version ${doc.version}; review it before signing`);
      if (referral && (kind !== 'final' || version !== referral.submitted_version)) throw new AppError('ReferralPending', 'the submitted version of the partner\'s report is countersigned final');
      requireBilingual(consult, doc.language);
      const signed = await signReport(doc, signerOf(principal), deps.now(), sha256, kind);
      if (referral) {
        const now = deps.now();
        if (!(await repos.referrals.transition(referral.id, ['submitted'], 'countersigned', { countersigned_by: principal.user.id, countersigned_at: now }, now))) {
          throw new AppError('ReferralPending', 'the referral changed meanwhile; reload it');
        }
        await deps.audit(c, { eventCode: AuditEvent.ProcedureRecord, action: 'U', outcome: Outcome.Success, objectType: 'consult', objectId: consult.id, detail: { change: 'referral-countersigned', referralId: referral.id, version } });
      }
      await write(row.id, doc.version, signed, `sign-${kind}`, principal);
      const srStored = await afterSigning(c, consult, row.id, signed, principal, kind);
      return c.json({ report: signed, srStored });
    })
    .post('/consults/:id/report/addenda', async (c) => {
      const principal = requireUser(c);
      const consult = await consultOrReferred(repos, principal, c.req.param('id'));
      await requireReportWriter(principal, consult);
      const { version, text } = await readJson(c, addendumSchema);
      const { row, doc } = await loadReport(consult);
      if (doc.version !== version) throw new AppError('Conflict', `the report is at version ${doc.version}; reload it`);
      const amended = await addAddendum(doc, { id: randomUUID(), text }, signerOf(principal), deps.now(), sha256);
      await write(row.id, doc.version, amended, 'addendum', principal);
      const srStored = await afterSigning(c, consult, row.id, amended, principal, 'amended');
      return c.json({ report: amended, srStored });
    })
    .post('/consults/:id/report/sr', async (c) => {
      const principal = requireUser(c);
      const consult = await consultOrReferred(repos, principal, c.req.param('id'));
      await requireReportWriter(principal, consult);
      const { row, doc } = await loadReport(consult);
      return c.json({ srSopInstanceUid: await storeSr(consult, row.id, doc, principal) });
    })
    .post('/consults/:id/readers', async (c) => {
      const principal = requireUser(c);
      const consult = await consultOrReferred(repos, principal, c.req.param('id'));
      await requireReportWriter(principal, consult);
      const { userId, kind } = await readJson(c, inviteSchema);
      const reader = await repos.users.getInTenant(consult.reading_tenant_id, userId);
      if (!reader || reader.role !== 'specialist' || reader.disabled_at) throw notFound('specialist');
      await repos.reports.inviteReader({ consultId: consult.id, userId, kind, invitedBy: principal.user.id });
      return c.json({ readers: (await repos.reports.readers(consult.id)).map((r) => ({ userId: r.user_id, displayName: r.display_name, kind: r.kind })) }, 201);
    })
    .post('/consults/:id/report/opinions', async (c) => {
      const principal = requireUser(c);
      const consult = await consultOrReferred(repos, principal, c.req.param('id'));
      const invitation = (await repos.reports.readers(consult.id)).find((r) => r.user_id === principal.user.id);
      if (!invitation) throw new AppError('Forbidden', 'only invited second readers record an opinion');
      const input = await readJson(c, opinionSchema);
      const { row, doc } = await loadReport(consult);
      const next = recordSecondOpinion(doc, { id: randomUUID(), kind: invitation.kind, reader: signerOf(principal), verdict: input.verdict, ...(input.comment !== undefined && { comment: input.comment }) }, deps.now());
      await write(row.id, doc.version, next, 'opinion', principal);
      return c.json({ report: next });
    })
    .get('/consults/:id/report/recist-history', async (c) => {
      // The patient's earlier signed RECIST reports at this centre: a follow-up's baseline and nadir.
      const principal = requireUser(c);
      const consult = await visibleConsult(repos, principal, c.req.param('id'));
      requireReader(principal, consult);
      const rows = await repos.reports.signedRecistOfSamePatient(consult.reading_tenant_id, consult.id);
      const history = recistHistory(rows.map((row) => ({ consultId: row.consult_id, document: row.document as ReportDocument })));
      return c.json({ history, followUp: followUpFromHistory(history) ?? null });
    })
    .get('/consults/:id/report/history', async (c) => {
      const principal = requireUser(c);
      const { row, audience } = await readable(principal, c.req.param('id'));
      const versions = await repos.reports.history(row.id);
      return c.json({
        versions: versions
          .filter((v) => audience === 'reader' || (v.document as ReportDocument).status !== 'draft')
          .map((v) => ({ version: v.version, event: v.event, status: (v.document as ReportDocument).status, savedAt: v.saved_at.toISOString(), savedBy: v.saved_by_name })),
      });
    })
    .get('/consults/:id/report/versions/:version', async (c) => {
      const principal = requireUser(c);
      const { row, audience } = await readable(principal, c.req.param('id'));
      const version = (await repos.reports.history(row.id)).find((v) => String(v.version) === c.req.param('version'));
      if (!version || (audience === 'sender' && (version.document as ReportDocument).status === 'draft')) throw notFound('report version');
      return c.json({ report: version.document });
    })
    .get('/consults/:id/report/pdf', render('pdf'))
    .get('/consults/:id/report/patient-summary.pdf', async (c) => {
      // For the patient, from the sending hospital (or international department): signed, re-identified, in their language.
      const principal = requireUser(c);
      const { consult, row, doc, audience } = await readable(principal, c.req.param('id'));
      if (audience !== 'sender') throw notFound('report');
      if (doc.status !== 'final' && doc.status !== 'amended') throw new AppError('Conflict', 'the patient summary is made from the signed report');
      const requested = c.req.query('lang');
      const language = requested === 'zh-CN' || requested === 'en' ? requested : (consult.patient_language ?? (doc.language === 'en' ? 'en' : 'zh-CN'));
      if (doc.language !== 'both' && doc.language !== language) throw new AppError('Conflict', `the report is not written in ${language === 'en' ? 'English' : 'Chinese'}`);
      const context = await reportContext(deps, consult, doc, audience, auditRevealFor(c, deps.audit, consult.id));
      await deps.audit(c, { eventCode: AuditEvent.Export, action: 'R', outcome: Outcome.Success, objectType: 'report', objectId: row.id, detail: { format: 'patient-summary', language } });
      const pdf = await renderReportPdf(doc, context, { patientSummary: language });
      return c.body(pdf as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': 'application/pdf', 'Content-Disposition': `attachment; filename="summary-${consult.id.slice(0, 8)}-${language}.pdf"` });
    })
    .get('/consults/:id/report/fhir', render('fhir'))
    .get('/consults/:id/report/sr', render('sr'))
    .post('/consults/:id/key-images', async (c) => {
      const principal = requireUser(c);
      const consult = await consultOrReferred(repos, principal, c.req.param('id'));
      await requireReportWriter(principal, consult, { partner: true });
      const bytes = await readBodyBytes(c, MAX_KEY_IMAGE_BYTES, 'key images');
      if (!PNG_SIGNATURE.every((b, i) => bytes[i] === b)) throw new AppError('UnsupportedMediaType', 'key images are PNG');
      const id = randomUUID();
      const objectKey = `key-images/${id}`;
      await deps.store.put(objectKey, bytes, { contentType: 'image/png' });
      await repos.reports.addKeyImage({ id, consultId: consult.id, objectKey, sizeBytes: bytes.length, createdBy: principal.user.id });
      return c.json({ id }, 201);
    })
    .get('/consults/:id/key-images/:imageId', async (c) => {
      const principal = requireClinician(requireUser(c));
      const consult = await consultOrReferred(repos, principal, c.req.param('id'));
      const imageId = c.req.param('imageId');
      const image = isUuid(imageId) ? await repos.reports.keyImage(consult.id, imageId) : undefined;
      const object = image && (await deps.store.get(image.object_key));
      if (!object) throw notFound('key image');
      return new Response(object.body, { headers: { 'Content-Type': 'image/png', 'Cache-Control': 'private, max-age=86400' } });
    })
    .post('/consults/:id/acknowledge', async (c) => {
      const principal = requireUser(c);
      const consult = await consultOrReferred(repos, principal, c.req.param('id'));
      if (audienceOf(principal, consult) !== 'sender' || principal.user.role === 'admin') throw new AppError('Forbidden', 'the sending hospital acknowledges its reports');
      const { doc } = await loadReport(consult);
      if (doc.status !== 'final' && doc.status !== 'amended') throw new AppError('Conflict', 'only a signed report is acknowledged');
      await repos.consults.mark(consult.id, 'acknowledged', deps.now(), principal.user.id);
      return c.json({ acknowledgedAt: deps.now().toISOString() });
    });
}
