import { randomUUID } from 'node:crypto';

import type { Context } from 'hono';
import { Hono } from 'hono';
import { z } from 'zod';

import type { Repositories } from '@yunzhen/db';
import type { ObjectStore } from '@yunzhen/storage';

import type { AppEnv, Principal } from '../app-env.js';
import { AuditEvent, Outcome, type AuditWriter } from '../audit.js';
import { requireUser } from '../auth/authenticate.js';
import { AppError, notFound } from '../errors.js';
import { sameIdentity, type Vault } from '../vault/vault.js';
import { readBodyBytes, readJson } from '../validation.js';
import { requireClinician } from './clinician.js';
import { requireSender } from './sender.js';
import { studyViews } from './study-views.js';
import { consultOrReferred, isPartnerOf, visibleConsult, type VisibleConsult } from './consult-access.js';
import { referralSummary } from './referral-view.js';
import { MAX_REDACTION_PAGES, redactPdf } from '../documents/redact.js';
import { imageAsPdf, openPdf, renderPage } from '../documents/pdf.js';
import { checkDocument, consultIdentities, identityTerms, type DocumentCheck, type ReadImageText } from './document-identity.js';

const newConsultSchema = z.object({
  readingCentreId: z.string().uuid(),
  studyIds: z.array(z.string().uuid()).min(1).max(50),
  clinicalQuestion: z.string().trim().min(1).max(4000),
  clinicalHistory: z.string().trim().max(8000).optional(),
  priority: z.enum(['routine', 'urgent', 'stat']),
  /** An international patient abroad: the language their summary is written in, and when they arrive. */
  preArrival: z
    .object({ patientLanguage: z.enum(['zh-CN', 'en']), arrivalDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD').nullable().default(null) })
    .strict()
    .nullable()
    .default(null),
});

const addStudiesSchema = z.object({ studyIds: z.array(z.string().uuid()).min(1).max(50) });

const MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024;

const releaseSchema = z.object({ reason: z.string().trim().min(3).max(500).optional() });

const fraction = z.number().min(0).max(1);
const redactSchema = z.object({
  boxes: z
    .array(z.object({ page: z.number().int().min(1).max(MAX_REDACTION_PAGES), x: fraction, y: fraction, width: fraction, height: fraction }).strict())
    .max(2_000),
});
/** A page preview for the sender who redacts: legible at a screen's size, a fraction of a full render. */
const PREVIEW_DPI = 110;

interface AttachmentRow {
  id: string;
  label: string;
  media_type: string;
  size_bytes: number;
  created_at: Date;
  review: string;
  check_result: unknown;
  redacted_object_key: string | null;
  redacted_size_bytes: string | null;
  redaction: unknown;
}

/** What the sender is told of a document's check and redaction; the reading centre is told nothing of either. */
function attachmentView(a: AttachmentRow, isSender: boolean) {
  const redacted = a.redacted_object_key !== null;
  const sizeBytes = Number(redacted && !isSender ? a.redacted_size_bytes : a.size_bytes);
  const base = { id: a.id, label: a.label, mediaType: a.media_type, sizeBytes, createdAt: a.created_at.toISOString() };
  if (!isSender) return base;
  return { ...base, review: a.review, check: (a.check_result as DocumentCheck | null) ?? null, redacted, redaction: a.redaction ?? null };
}

export interface ConsultDeps {
  repos: Repositories;
  store: ObjectStore;
  vault: Vault;
  audit: AuditWriter;
  now: () => Date;
  /** OCR for scanned pages and for checking a redaction; without it scanned pages stay for a person to read. */
  readText?: ReadImageText;
  /** Time for reading a document on upload; past it, the pages not read are left for a person. */
  documentCheckMs: number;
}

/** Study ids per query when a worklist's studies are read (far below PostgreSQL's 65,535 parameters). */
const STUDIES_PER_QUERY = 5_000;

/** Pages whose text was read, from the text layer or by OCR (older checks have no OCR count). */
function pagesRead(check: DocumentCheck): number {
  return check.textPages + (check.ocrPages ?? 0);
}

function chunks<T>(items: T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
}

/**
 * Consults: a licensed radiographer asks a reading centre of the union to read inbox studies.
 * Both hospitals see the consult; any other hospital gets 404.
 */
export function consultRoutes(deps: ConsultDeps) {
  const { repos } = deps;

  /**
   * Consults as the caller sees them. A worklist is a few queries in all, not a few per
   * consult: study rows per sending hospital, report status and body parts for every consult
   * at once, and the sender's identities unsealed in one vault read (one audit event).
   */
  const consultViews = async (c: Context<AppEnv>, principal: Principal, consults: VisibleConsult[]) => {
    const ids = consults.map((consult) => consult.id);
    const sent = new Set(consults.filter((consult) => consult.sending_tenant_id === principal.tenant.id).map((consult) => consult.id));
    const read = ids.filter((id) => !sent.has(id));
    const [studyIds, reportStatus, bodyParts, unreadSent, unreadRead, referrals] = await Promise.all([
      repos.consults.studyIdsByConsult(ids),
      repos.reports.statusByConsult(ids),
      repos.consults.bodyPartsByConsult(ids),
      repos.messages.unreadByConsult(principal.user.id, 'sender', [...sent]),
      repos.messages.unreadByConsult(principal.user.id, 'reader', read),
      repos.referrals.latestByConsult(ids),
    ]);
    const studyIdsBySender = new Map<string, string[]>();
    for (const consult of consults) {
      const ids = studyIdsBySender.get(consult.sending_tenant_id) ?? [];
      ids.push(...(studyIds.get(consult.id) ?? []));
      studyIdsBySender.set(consult.sending_tenant_id, ids);
    }
    const queries = [...studyIdsBySender].flatMap(([tenantId, ids]) =>
      chunks(ids, STUDIES_PER_QUERY).map((part) => repos.studies.listStudies({ tenantId, studyIds: part, limit: part.length })),
    );
    const views = await studyViews(c, deps, principal, (await Promise.all(queries)).flat());
    const order = new Map(views.map((study, i) => [study.id, i])); // listStudies' order: newest first
    const now = deps.now().getTime();
    return consults.map((consult) => {
      const positions = (studyIds.get(consult.id) ?? []).flatMap((id) => order.get(id) ?? []).sort((a, b) => a - b);
      const studies = positions.map((i) => views[i]!);
      return {
        id: consult.id,
        status: consult.status,
        priority: consult.priority,
        clinicalQuestion: consult.clinical_question,
        clinicalHistory: consult.clinical_history,
        preArrival: consult.pre_arrival ? { patientLanguage: consult.patient_language, arrivalDate: consult.arrival_date } : null,
        sendingHospital: { id: consult.sending_tenant_id, name: consult.sending_tenant_name },
        readingCentre: { id: consult.reading_tenant_id, name: consult.reading_tenant_name },
        createdAt: consult.created_at.toISOString(),
        dueAt: consult.due_at.toISOString(),
        overdue: consult.status !== 'reported' && consult.status !== 'cancelled' && consult.due_at.getTime() < now,
        waitingMinutes: Math.max(0, Math.round((now - consult.created_at.getTime()) / 60_000)),
        claimedBy: consult.claimed_by ? { id: consult.claimed_by, displayName: consult.claimed_by_name ?? '' } : null,
        modalities: [...new Set(studies.flatMap((s) => s.modalities))].sort(),
        reportStatus: reportStatus.get(consult.id) ?? null,
        turnaround: {
          uploadedAt: studies.map((s) => s.uploadedAt).sort()[0] ?? null,
          createdAt: consult.created_at.toISOString(),
          claimedAt: consult.claimed_at?.toISOString() ?? null,
          preliminaryAt: consult.preliminary_at?.toISOString() ?? null,
          signedAt: consult.signed_at?.toISOString() ?? null,
          acknowledgedAt: consult.acknowledged_at?.toISOString() ?? null,
        },
        bodyParts: bodyParts.get(consult.id) ?? [],
        /** Messages from the other side this user has not read. */
        unreadMessages: unreadSent.get(consult.id) ?? unreadRead.get(consult.id) ?? 0,
        /** The consult's latest referral to another centre, if any (who reads it, where it stands). */
        referral: referralSummary(referrals.get(consult.id)),
        studies,
      };
    });
  };

  const consultView = async (c: Context<AppEnv>, principal: Principal, consult: VisibleConsult) => (await consultViews(c, principal, [consult]))[0]!;

  /**
   * A consult is about one patient: a report names one patient, and a reader shown two patients'
   * images as one case could diagnose the wrong person. Studies share a patient row exactly when
   * their original identities share a patient key (Patient ID with issuer, else name and birth
   * date), so the check is on that row. With neither Patient ID nor name nothing shows that two
   * studies are of one person, so such studies go one per consult.
   */
  async function requireOnePatient(tenantId: string, studies: { pseudonym_id: string; study_uid: string }[]): Promise<void> {
    const patients = new Set(studies.map((s) => s.pseudonym_id));
    if (patients.size > 1) {
      throw new AppError('ConsultSpansPatients', `the studies belong to ${patients.size} different patients; a consult is about one patient`);
    }
    if (studies.length < 2) return;
    // One Patient ID may have arrived with different names or birth dates: not shown to be one person.
    const arrived = [...(await deps.vault.reveal(tenantId, 'study', studies.map((s) => s.study_uid))).values()].flatMap((s) => (s.patient ? [s.patient] : []));
    if (arrived.some((identity) => !sameIdentity(identity, arrived[0]!))) {
      throw new AppError('ConsultSpansPatients', 'the studies share a Patient ID but name different patients (name or birth date); a consult is about one patient');
    }
    const [pseudonym] = patients;
    const identity = (await deps.vault.reveal(tenantId, 'patient', [pseudonym!])).get(pseudonym!);
    if (!identity?.id.trim() && !identity?.name.replace(/[\^=\s]/g, '')) {
      throw new AppError('PatientUnidentified', 'the studies carry neither Patient ID nor patient name, so they cannot be shown to be one patient; send each in its own consult');
    }
  }

  /**
   * Where a document names the consult's patient (any identity its studies arrived with), or
   * null when it could not be read in time: then a person must look before it is released.
   * A file pdf.js cannot open at all is refused: the reading centre could not open it either.
   */
  async function checkAgainstPatient(tenantId: string, consultId: string, bytes: Uint8Array): Promise<DocumentCheck | null> {
    const known = await consultIdentities(repos, deps.vault, tenantId, consultId);
    let timer: NodeJS.Timeout | undefined;
    try {
      // OCR stops at the deadline with the pages read so far; the race only ends a document pdf.js itself is stuck in.
      return await Promise.race([
        checkDocument(bytes, known, { readText: deps.readText, deadline: Date.now() + deps.documentCheckMs }),
        new Promise<null>((resolve) => {
          timer = setTimeout(() => resolve(null), deps.documentCheckMs * 1.5);
        }),
      ]);
    } catch (error) {
      if (error instanceof Error && /Invalid PDF|PDF header|password/i.test(`${error.name} ${error.message}`)) {
        throw new AppError('UnreadableDocument', 'the PDF cannot be opened (damaged or password-protected)');
      }
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  /** A document went to the reading centre (as it is, or redacted): what was decided, never what it says. */
  const auditAttachmentSent = (c: Context<AppEnv>, attachmentId: string, detail: Record<string, unknown>) =>
    deps.audit(c, { eventCode: AuditEvent.InstancesTransferred, action: 'U', outcome: Outcome.Success, objectType: 'attachment', objectId: attachmentId, detail });

  /** A sealed attachment object, opened. */
  async function readSealed(tenantId: string, objectKey: string): Promise<Uint8Array> {
    const object = await deps.store.get(objectKey);
    if (!object) throw notFound('attachment');
    return deps.vault.decryptBytes(tenantId, objectKey, new Uint8Array(await new Response(object.body).arrayBuffer()));
  }

  /** An attachment of a consult the caller's hospital sent: only the sender previews and redacts. */
  async function sendersAttachment(c: Context<AppEnv>) {
    const principal = requireSender(requireUser(c));
    const consult = await visibleConsult(repos, principal, c.req.param('id')!);
    if (consult.sending_tenant_id !== principal.tenant.id) throw notFound('consult');
    const attachment = (await repos.consults.attachments(consult.id)).find((a) => a.id === c.req.param('attachmentId'));
    if (!attachment) throw notFound('attachment');
    return { principal, consult, attachment };
  }

  /** The consult as the caller sees it, by id (for routes elsewhere that change a consult). */
  const viewById = async (c: Context<AppEnv>, principal: Principal, id: string) => consultView(c, principal, await visibleConsult(repos, principal, id));

  return {
    viewById,
    routes: new Hono<AppEnv>()
    .post('/consults', async (c) => {
      const principal = requireSender(requireUser(c));
      const input = await readJson(c, newConsultSchema);
      const centres = await repos.tenants.readingCentresFor(principal.tenant.id);
      if (!centres.some((centre) => centre.id === input.readingCentreId)) throw new AppError('InvalidRequest', 'invalid or missing: readingCentreId');
      const studyIds = [...new Set(input.studyIds)];
      const owned = await repos.studies.listStudies({ tenantId: principal.tenant.id, studyIds });
      if (owned.length !== studyIds.length) throw notFound('study');
      await requireOnePatient(principal.tenant.id, owned);
      const taken = await repos.consults.studiesInConsults(studyIds);
      if (taken.size > 0) throw new AppError('StudyInConsult', `${taken.size} of the studies already belong to an open consult`);
      const now = deps.now();
      const consult = await repos.consults.create({
        sendingTenantId: principal.tenant.id,
        readingTenantId: input.readingCentreId,
        createdBy: principal.user.id,
        clinicalQuestion: input.clinicalQuestion,
        clinicalHistory: input.clinicalHistory,
        priority: input.priority,
        dueAt: await repos.turnaround.dueAt(input.readingCentreId, input.priority, now),
        createdAt: now,
        preArrival: input.preArrival,
        studyIds,
      });
      const created = await visibleConsult(repos, principal, consult.id);
      return c.json({ consult: await consultView(c, principal, created) }, 201);
    })
    .post('/consults/:id/studies', async (c) => {
      // A later study of the same patient (a follow-up CT, the report of a prior) joins the open consult.
      const principal = requireSender(requireUser(c));
      const consult = await visibleConsult(repos, principal, c.req.param('id'));
      if (consult.sending_tenant_id !== principal.tenant.id) throw new AppError('Forbidden', 'only the sending hospital adds studies to a consult');
      const studyIds = [...new Set((await readJson(c, addStudiesSchema)).studyIds)];
      const owned = await repos.studies.listStudies({ tenantId: principal.tenant.id, studyIds });
      if (owned.length !== studyIds.length) throw notFound('study');
      const current = await repos.studies.listStudies({ tenantId: principal.tenant.id, studyIds: await repos.consults.studyIds(consult.id) });
      await requireOnePatient(principal.tenant.id, [...current, ...owned]);
      const taken = await repos.consults.studiesInConsults(studyIds);
      if (taken.size > 0) throw new AppError('StudyInConsult', `${taken.size} of the studies already belong to an open consult`);
      if ((await repos.consults.addStudies(consult.id, studyIds)) === 'closed') {
        throw new AppError('ConsultClosed', `the consult is ${consult.status === 'cancelled' ? 'cancelled' : 'reported'}; send the studies in a new consult`);
      }
      await deps.audit(c, {
        eventCode: AuditEvent.InstancesTransferred,
        action: 'U',
        outcome: Outcome.Success,
        objectType: 'consult',
        objectId: consult.id,
        detail: { action: 'add-studies', studies: studyIds.length },
      });
      return c.json({ consult: await consultView(c, principal, await visibleConsult(repos, principal, consult.id)) });
    })
    .get('/consults', async (c) => {
      const principal = requireUser(c);
      return c.json({ consults: await consultViews(c, principal, await repos.consults.list(principal.tenant.id)) });
    })
    .get('/consults/:id', async (c) => {
      const principal = requireUser(c);
      const consult = await consultOrReferred(repos, principal, c.req.param('id'));
      const isSender = consult.sending_tenant_id === principal.tenant.id;
      // The reading centre gets a document once the sending hospital has released it; a partner
      // centre gets none (a document released with a reason may still name the patient).
      const attachments = isPartnerOf(principal, consult) ? [] : (await repos.consults.attachments(consult.id)).filter((a) => isSender || a.review === 'released');
      return c.json({
        consult: {
          ...(await consultView(c, principal, consult)),
          attachments: attachments.map((a) => attachmentView(a, isSender)),
        },
      });
    })
    .post('/consults/:id/attachments', async (c) => {
      const principal = requireSender(requireUser(c));
      const consult = await visibleConsult(repos, principal, c.req.param('id'));
      if (consult.sending_tenant_id !== principal.tenant.id) throw notFound('consult');
      const mediaType = c.req.header('Content-Type')?.split(';')[0]?.trim().toLowerCase();
      if (mediaType !== 'application/pdf' && mediaType !== 'image/jpeg' && mediaType !== 'image/png') {
        throw new AppError('UnsupportedMediaType', 'attachments are PDF documents (application/pdf) or photographs of them (image/jpeg, image/png)');
      }
      const sent = await readBodyBytes(c, MAX_ATTACHMENT_BYTES, 'attachments');
      // A photographed letter becomes a one-page PDF around the picture (embedded as sent): one kind of document to check, redact and read.
      const bytes = mediaType === 'application/pdf' ? sent : await imageAsPdf(sent, mediaType);
      if (new TextDecoder().decode(bytes.subarray(0, 5)) !== '%PDF-') throw new AppError('InvalidRequest', 'the attachment is not a PDF document');
      // A label from a small fixed vocabulary keeps file names (often the patient's name) out of the database.
      const label = z.enum(['prior-report', 'referral', 'lab-result', 'other']).catch('other').parse(c.req.query('label'));
      const check = await checkAgainstPatient(principal.tenant.id, consult.id, bytes);
      const objectKey = `attachments/${randomUUID()}`;
      await deps.store.put(objectKey, deps.vault.encryptBytes(principal.tenant.id, objectKey, bytes), { contentType: 'application/octet-stream' });
      try {
        const attachment = await repos.consults.addAttachment({ consultId: consult.id, tenantId: principal.tenant.id, objectKey, mediaType: 'application/pdf', sizeBytes: bytes.length, label, checkResult: check });
        return c.json({ attachment: attachmentView(attachment, true) }, 201);
      } catch (error) {
        await deps.store.delete(objectKey).catch(() => undefined);
        throw error;
      }
    })
    .post('/consults/:id/attachments/:attachmentId/release', async (c) => {
      const { principal, consult, attachment } = await sendersAttachment(c);
      const { reason } = await readJson(c, releaseSchema);
      const check = attachment.check_result as DocumentCheck | null;
      // Clean and fully read: released as it is. Otherwise the radiographer says why it may go.
      const doubtful = !check || check.findings.length > 0 || pagesRead(check) < check.pages;
      if (doubtful && !reason) {
        throw new AppError('AttachmentNeedsReason', check?.findings.length ? 'the document names the patient: say why it may go to the reading centre as it is' : 'the document could not be read in full (scanned pages): say that you have looked at it');
      }
      if (attachment.review === 'pending') await repos.consults.releaseAttachment(consult.id, attachment.id, principal.user.id, reason ?? null, deps.now());
      await auditAttachmentSent(c, attachment.id, { action: 'release-attachment', findings: check?.findings.length ?? null, withReason: Boolean(reason) });
      return c.json({ attachment: attachmentView({ ...attachment, review: 'released' }, true) });
    })
    .delete('/consults/:id/attachments/:attachmentId', async (c) => {
      const principal = requireSender(requireUser(c));
      const consult = await visibleConsult(repos, principal, c.req.param('id'));
      if (consult.sending_tenant_id !== principal.tenant.id) throw notFound('consult');
      const removed = await repos.consults.removeAttachment(consult.id, c.req.param('attachmentId'));
      if (!removed) throw notFound('attachment');
      // An orphan costs space, not privacy: it is sealed.
      for (const key of [removed.object_key, removed.redacted_object_key]) if (key) await deps.store.delete(key).catch(() => undefined);
      await deps.audit(c, { eventCode: AuditEvent.InstancesTransferred, action: 'D', outcome: Outcome.Success, objectType: 'attachment', objectId: c.req.param('attachmentId') });
      return c.body(null, 204);
    })
    .get('/consults/:id/attachments/:attachmentId', async (c) => {
      const principal = requireClinician(requireUser(c));
      const consult = await visibleConsult(repos, principal, c.req.param('id'));
      const isSender = consult.sending_tenant_id === principal.tenant.id;
      const attachment = (await repos.consults.attachments(consult.id)).find((a) => a.id === c.req.param('attachmentId') && (isSender || a.review === 'released'));
      if (!attachment) throw notFound('attachment');
      // The reading centre gets the redacted copy when there is one; the sender chooses (the original by default).
      const copy = attachment.redacted_object_key && (!isSender || c.req.query('copy') === 'redacted') ? attachment.redacted_object_key : attachment.object_key;
      const plain = await readSealed(attachment.tenant_id, copy);
      await deps.audit(c, { eventCode: AuditEvent.PatientRecord, action: 'R', outcome: Outcome.Success, objectType: 'attachment', objectId: attachment.id });
      return c.body(plain as Uint8Array<ArrayBuffer>, 200, {
        'Content-Type': attachment.media_type,
        'Content-Disposition': `attachment; filename="${attachment.label}.pdf"`,
      });
    })
    .get('/consults/:id/attachments/:attachmentId/pages/:page', async (c) => {
      const { consult, attachment } = await sendersAttachment(c);
      const number = z.coerce.number().int().min(1).max(MAX_REDACTION_PAGES).catch(0).parse(c.req.param('page'));
      if (!number) throw new AppError('InvalidRequest', `pages are numbered 1 to ${MAX_REDACTION_PAGES}`);
      const document = await openPdf(await readSealed(attachment.tenant_id, attachment.object_key));
      try {
        if (number > document.numPages) throw notFound('page');
        const page = await document.getPage(number);
        const rendered = await renderPage(document, page, PREVIEW_DPI, 1600);
        await deps.audit(c, { eventCode: AuditEvent.PatientRecord, action: 'R', outcome: Outcome.Success, objectType: 'attachment', objectId: attachment.id, detail: { consultId: consult.id, page: number } });
        return c.body(new Uint8Array(rendered.canvas.toBuffer('image/png')) as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': 'image/png', 'Cache-Control': 'private, no-store' });
      } finally {
        await document.destroy();
      }
    })
    .post('/consults/:id/attachments/:attachmentId/redact', async (c) => {
      const { principal, consult, attachment } = await sendersAttachment(c);
      const { boxes } = await readJson(c, redactSchema);
      if (attachment.review !== 'pending') throw new AppError('Conflict', 'the document was already released');
      const original = await readSealed(attachment.tenant_id, attachment.object_key);
      const check = attachment.check_result as DocumentCheck | null;
      if ((check?.pages ?? 0) > MAX_REDACTION_PAGES) throw new AppError('DocumentTooLong', `documents of up to ${MAX_REDACTION_PAGES} pages are redacted here`);
      const terms = identityTerms(await consultIdentities(repos, deps.vault, principal.tenant.id, consult.id));
      const result = await redactPdf(original, boxes, { terms, readText: deps.readText });
      if (result.pages > MAX_REDACTION_PAGES) throw new AppError('DocumentTooLong', `documents of up to ${MAX_REDACTION_PAGES} pages are redacted here`);
      if (result.remaining.length) {
        // Nothing is stored: the sender is shown where the patient is still named and redacts again.
        throw new AppError('RedactionIncomplete', 'the patient is still named outside the boxes', { details: { remaining: result.remaining } });
      }
      const objectKey = `attachments/${randomUUID()}`;
      await deps.store.put(objectKey, deps.vault.encryptBytes(principal.tenant.id, objectKey, result.pdf), { contentType: 'application/octet-stream' });
      const redaction = { boxes, pages: result.pages };
      const released = await repos.consults
        .releaseRedactedAttachment(consult.id, attachment.id, principal.user.id, { objectKey, sizeBytes: result.pdf.length, redaction }, deps.now())
        .catch(async (error: unknown) => {
          await deps.store.delete(objectKey).catch(() => undefined);
          throw error;
        });
      if (!released) {
        await deps.store.delete(objectKey).catch(() => undefined);
        throw new AppError('Conflict', 'the document was released or removed meanwhile');
      }
      await auditAttachmentSent(c, attachment.id, { action: 'redact-attachment', pages: result.pages, boxes: boxes.length, pagesRedacted: new Set(boxes.map((box) => box.page)).size });
      const updated = (await repos.consults.attachments(consult.id)).find((a) => a.id === attachment.id)!;
      return c.json({ attachment: attachmentView(updated, true) });
    }),
  };
}
