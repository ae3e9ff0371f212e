import { createHash } from 'node:crypto';

import type { Context } from 'hono';
import { Hono } from 'hono';
import { z } from 'zod';

import type { Repositories } from '@yunzhen/db';
import { signReport, type ReportDocument } from '@yunzhen/report';

import type { AppEnv, Principal } from '../app-env.js';
import { AuditEvent, Outcome, type AuditWriter } from '../audit.js';
import { requireRole, requireUser } from '../auth/authenticate.js';
import { AppError, notFound } from '../errors.js';
import { readJson } from '../validation.js';
import { consultOrReferred, visibleConsult, type VisibleConsult } from './consult-access.js';
import { referralSummary } from './referral-view.js';
import { isUuid } from './views.js';

const requestSchema = z.object({ toCentreId: z.string().uuid(), reason: z.string().trim().min(3).max(2000) }).strict();
const submitSchema = z.object({ version: z.number().int().positive() }).strict();
const returnSchema = z.object({ comment: z.string().trim().min(1).max(4000) }).strict();
const relationshipSchema = z.object({ fromCentreId: z.string().uuid(), toCentreId: z.string().uuid(), kind: z.enum(['union', 'partner']) }).strict();

const sha256 = (bytes: Uint8Array) => Promise.resolve(createHash('sha256').update(bytes).digest('hex'));

/** Those of the sending hospital who may consent for it: the clinicians who send and receive (not admins). */
const consentingRoles = ['radiographer', 'coordinator', 'referring_doctor'] as const;

/**
 * Referral between centres. The consult's reading centre asks to refer it to a centre its
 * configured relationships allow (`union` or `partner`), with a reason; the sending hospital
 * consents (or declines) on its consult page; only then does the partner centre see the
 * consult (pseudonyms only, the studies through DICOMweb, no documents), and its specialist
 * writes the report and submits it; the first centre countersigns it (the signature that
 * sends it to the sender, through `POST …/report/sign`) or returns it with a comment.
 * Every step is audited (110111). Relationships are configuration kept by deployment administrators.
 */
export function referralRoutes(deps: { repos: Repositories; audit: AuditWriter; now: () => Date }) {
  const { repos } = deps;

  const auditStep = (c: Context<AppEnv>, consultId: string, change: string, detail: Record<string, unknown> = {}) =>
    deps.audit(c, { eventCode: AuditEvent.ProcedureRecord, action: 'U', outcome: Outcome.Success, objectType: 'consult', objectId: consultId, detail: { change, ...detail } });

  const requireDeploymentAdmin = (c: Context<AppEnv>): Principal => {
    const principal = requireRole(c, 'admin');
    if (!principal.user.deployment_admin) throw new AppError('Forbidden', 'centre relationships are kept by the deployment administrators');
    return principal;
  };

  /** The consult's referral under way (or its latest), as the caller's hospital may see it. */
  const latestReferral = async (consult: VisibleConsult) => {
    const referral = await repos.referrals.latest(consult.id);
    if (!referral) throw notFound('referral');
    return referral;
  };

  const answer = async (c: Context<AppEnv>, consultId: string) => c.json({ referral: referralSummary(await repos.referrals.latest(consultId)) });

  return new Hono<AppEnv>()
    .get('/centre-relationships', (c) => {
      requireDeploymentAdmin(c);
      return repos.referrals.relationships.list().then((rows) =>
        c.json({
          relationships: rows.map((r) => ({ id: r.id, kind: r.kind, fromCentre: { id: r.from_tenant_id, name: r.from_tenant_name }, toCentre: { id: r.to_tenant_id, name: r.to_tenant_name }, createdAt: r.created_at.toISOString() })),
        }),
      );
    })
    .post('/centre-relationships', async (c) => {
      const principal = requireDeploymentAdmin(c);
      const input = await readJson(c, relationshipSchema);
      if (input.fromCentreId === input.toCentreId) throw new AppError('InvalidRequest', 'a centre does not refer to itself');
      for (const id of [input.fromCentreId, input.toCentreId]) {
        const centre = await repos.tenants.get(id);
        if (!centre || centre.kind === 'sending') throw new AppError('InvalidRequest', 'both sides of a relationship are reading centres');
      }
      const created = await repos.referrals.relationships.create({ fromTenantId: input.fromCentreId, toTenantId: input.toCentreId, kind: input.kind, createdBy: principal.user.id });
      if (!created) throw new AppError('Conflict', 'that centre may already refer to the other');
      await deps.audit(c, { eventCode: AuditEvent.UserSecurityAttributesChanged, action: 'C', outcome: Outcome.Success, objectType: 'centre-relationship', objectId: created.id, detail: { kind: input.kind } });
      return c.json({ relationship: { id: created.id, kind: created.kind, fromCentreId: created.from_tenant_id, toCentreId: created.to_tenant_id } }, 201);
    })
    .delete('/centre-relationships/:relationshipId', async (c) => {
      requireDeploymentAdmin(c);
      const id = c.req.param('relationshipId');
      if (!isUuid(id) || !(await repos.referrals.relationships.remove(id))) throw notFound('relationship');
      await deps.audit(c, { eventCode: AuditEvent.UserSecurityAttributesChanged, action: 'D', outcome: Outcome.Success, objectType: 'centre-relationship', objectId: id });
      return c.body(null, 204);
    })
    .get('/consults/:id/referral', async (c) => {
      const principal = requireUser(c);
      const consult = await consultOrReferred(repos, principal, c.req.param('id'));
      const referral = referralSummary(await repos.referrals.latest(consult.id));
      // The first centre is offered the centres it may refer to.
      const canReferTo =
        consult.reading_tenant_id === principal.tenant.id
          ? (await repos.referrals.relationships.from(principal.tenant.id)).map((r) => ({ id: r.to_tenant_id, name: r.to_tenant_name, kind: r.kind }))
          : [];
      return c.json({ referral, canReferTo });
    })
    .post('/consults/:id/referral', async (c) => {
      const principal = requireRole(c, 'specialist', 'admin');
      const consult = await visibleConsult(repos, principal, c.req.param('id'));
      if (consult.reading_tenant_id !== principal.tenant.id) throw notFound('consult');
      const { toCentreId, reason } = await readJson(c, requestSchema);
      const relationship = (await repos.referrals.relationships.from(principal.tenant.id)).find((r) => r.to_tenant_id === toCentreId);
      if (!relationship) throw new AppError('ReferralNotAllowed', 'no union or partner relationship lets this centre refer to that one');
      if (consult.status !== 'new' && consult.status !== 'in_progress') throw new AppError('ConsultClosed', 'the consult is already reported or cancelled');
      const report = await repos.reports.getByConsult(consult.id);
      if (report && (report.document as ReportDocument).status !== 'draft') throw new AppError('Conflict', 'a signed report is amended here, not referred');
      const created = await repos.referrals.create({ consultId: consult.id, fromTenantId: principal.tenant.id, toTenantId: toCentreId, kind: relationship.kind, reason, requestedBy: principal.user.id, now: deps.now() });
      if (!created) throw new AppError('ReferralPending', 'the consult is already being referred');
      await auditStep(c, consult.id, 'referral-requested', { referralId: created.id, toCentreId, kind: relationship.kind });
      return c.json({ referral: referralSummary(await repos.referrals.latest(consult.id)) }, 201);
    })
    .post('/consults/:id/referral/consent', async (c) => {
      const principal = requireRole(c, ...consentingRoles);
      const consult = await visibleConsult(repos, principal, c.req.param('id'));
      if (consult.sending_tenant_id !== principal.tenant.id) throw new AppError('Forbidden', 'the sending hospital consents to a referral');
      const referral = await latestReferral(consult);
      const now = deps.now();
      if (!(await repos.referrals.transition(referral.id, ['awaiting-consent'], 'open', { consent_by: principal.user.id, consent_at: now }, now))) {
        throw new AppError('Conflict', 'no referral of this consult awaits consent');
      }
      await auditStep(c, consult.id, 'referral-consented', { referralId: referral.id, toCentreId: referral.to_tenant_id });
      return answer(c, consult.id);
    })
    .post('/consults/:id/referral/decline', async (c) => {
      const principal = requireRole(c, ...consentingRoles);
      const consult = await visibleConsult(repos, principal, c.req.param('id'));
      if (consult.sending_tenant_id !== principal.tenant.id) throw new AppError('Forbidden', 'the sending hospital consents to a referral');
      const referral = await latestReferral(consult);
      if (!(await repos.referrals.transition(referral.id, ['awaiting-consent'], 'declined', {}, deps.now()))) throw new AppError('Conflict', 'no referral of this consult awaits consent');
      await auditStep(c, consult.id, 'referral-declined', { referralId: referral.id });
      return answer(c, consult.id);
    })
    .post('/consults/:id/referral/submit', async (c) => {
      // The partner's reader hands the finished report to the first centre for its countersignature.
      const principal = requireRole(c, 'specialist');
      const consult = await consultOrReferred(repos, principal, c.req.param('id'));
      const referral = await latestReferral(consult);
      if (referral.to_tenant_id !== principal.tenant.id) throw new AppError('ReferralPending', 'the partner centre submits its report');
      if (referral.partner_reader_id !== principal.user.id) throw new AppError('ClaimedByOther', 'the specialist who wrote the report submits it');
      const { version } = await readJson(c, submitSchema);
      const row = await repos.reports.getByConsult(consult.id);
      if (!row) throw notFound('report');
      const doc = row.document as ReportDocument;
      if (doc.version !== version) throw new AppError('Conflict', `the report is at version ${doc.version}; review it before submitting`);
      // Checked as a signature would be (complete, licensed reader); the signature itself is the first centre's.
      await signReport(doc, { userId: principal.user.id, displayName: principal.user.display_name, licensed: principal.user.licensed }, deps.now(), sha256, 'final');
      const now = deps.now();
      if (!(await repos.referrals.transition(referral.id, ['open', 'returned'], 'submitted', { submitted_at: now, submitted_version: version }, now))) {
        throw new AppError('ReferralPending', 'the referral is not open for the partner\'s report');
      }
      await auditStep(c, consult.id, 'referral-submitted', { referralId: referral.id, version });
      return answer(c, consult.id);
    })
    .post('/consults/:id/referral/return', async (c) => {
      // The first centre does not countersign: its comment goes back to the partner, who revises and submits again.
      const principal = requireRole(c, 'specialist');
      const consult = await visibleConsult(repos, principal, c.req.param('id'));
      if (consult.reading_tenant_id !== principal.tenant.id) throw notFound('consult');
      const referral = await latestReferral(consult);
      const { comment } = await readJson(c, returnSchema);
      if (!(await repos.referrals.transition(referral.id, ['submitted'], 'returned', { comment }, deps.now()))) throw new AppError('ReferralPending', 'no submitted report awaits the countersignature');
      await auditStep(c, consult.id, 'referral-returned', { referralId: referral.id });
      return answer(c, consult.id);
    });
}
