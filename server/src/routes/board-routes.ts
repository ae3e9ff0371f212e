import type { Context } from 'hono';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';

import type { Repositories } from '@yunzhen/db';
import { recordBoardConsensus, type ReportDocument } from '@yunzhen/report';

import type { AppEnv, Principal } from '../app-env.js';
import { AuditEvent, Outcome, type AuditWriter } from '../audit.js';
import { requireRole, requireUser } from '../auth/authenticate.js';
import { AppError, notFound } from '../errors.js';
import { readJson } from '../validation.js';
import { loadBoardState, participantKey, type BoardEvents, type BoardState } from './board-events.js';
import { visibleConsult } from './consult-access.js';
import { isUuid } from './views.js';

const recommendationText = z.string().trim().max(8000);
const scheduleSchema = z.object({
  title: z.string().trim().min(1).max(200),
  scheduledAt: z.string().datetime({ offset: true }),
  consultIds: z.array(z.string().uuid()).min(1).max(50),
  /** Specialists of the reading centre. */
  participantIds: z.array(z.string().uuid()).max(50),
  /** Invite the referring doctors of the hospitals that sent the cases. */
  referringDoctors: z.boolean().optional(),
}).refine((v) => v.participantIds.length > 0 || v.referringDoctors, { message: 'a board needs participants', path: ['participantIds'] });
// The viewer's description of its viewport; the server keeps and relays it, bounded in size.
const MAX_VIEWPORT_BYTES = 256 * 1024;
const viewportSchema = z.object({
  viewport: z
    .object({
      consultId: z.string().uuid(),
      studyIndex: z.number().int().min(0),
      displaySetIndex: z.number().int().min(0),
      imageIndex: z.number().int().min(0),
      voi: z.object({ width: z.number().finite(), center: z.number().finite() }).nullable(),
      /** Zoom and pan: the world point at the centre and the world height shown. */
      camera: z.object({ focalPoint: z.tuple([z.number().finite(), z.number().finite(), z.number().finite()]), parallelScale: z.number().finite().positive() }).strict().optional(),
      measurements: z.array(z.unknown()).max(500).optional(),
    })
    .strict(),
});
const consensusSchema = z.object({
  recommendation: z.object({ 'zh-CN': recommendationText.optional(), en: recommendationText.optional() }).strict(),
}).refine((v) => Boolean(v.recommendation['zh-CN'] || v.recommendation.en), { message: 'a recommendation needs text in Chinese or English', path: ['recommendation'] });


export interface BoardDeps {
  repos: Repositories;
  audit: AuditWriter;
  now: () => Date;
  events: BoardEvents;
  /** The consult as the caller may see it (pseudonym for the reading centre, the patient for the sender). */
  consultView: (c: Context<AppEnv>, principal: Principal, id: string) => Promise<unknown>;
}

/**
 * Tumour board sessions. A licensed specialist of the reading centre schedules one and chairs it:
 * a case list of consults the centre reads, and participants (its specialists, and the referring
 * doctors of the hospitals that sent the cases: each must be allowed to see a case by the consult
 * access rules). In the session one participant holds the pointer and presents; their viewport
 * is relayed to everyone's browser through server-sent events, whichever replica each is
 * connected to. The chair signs the consensus per case, which is recorded in the consult's
 * signed report (PDF, SR, FHIR) with the attendance.
 */
export function boardRoutes(deps: BoardDeps) {
  const { repos } = deps;

  /** The session, if the caller takes part in it; 404 otherwise, as for one that does not exist. */
  const participantSession = async (principal: Principal, id: string) => {
    const session = isUuid(id) ? await repos.boards.get(id) : undefined;
    if (!session) throw notFound('board session');
    const participants = await repos.boards.participants(session.id);
    const me = participants.find((p) => p.user_id === principal.user.id);
    if (!me) throw notFound('board session');
    return { session, participants, me, isChair: session.chair_id === principal.user.id };
  };

  const boardView = async (c: Context<AppEnv>, principal: Principal, id: string) => {
    const { session, participants, isChair } = await participantSession(principal, id);
    const cases = [];
    for (const row of await repos.boards.cases(session.id)) {
      // A referring doctor sees the cases of their own hospital only.
      const consult = await deps.consultView(c, principal, row.consult_id).catch((error: unknown) => {
        if (error instanceof AppError && error.code === 'NotFound') return undefined;
        throw error;
      });
      if (!consult) continue;
      cases.push({
        consultId: row.consult_id,
        position: row.position,
        consult,
        consensus: row.signed_at ? { recommendation: row.recommendation, signedBy: row.signer_name, signedAt: row.signed_at.toISOString() } : null,
      });
    }
    const state = await loadBoardState(repos, session.id);
    return {
      id: session.id,
      title: session.title,
      scheduledAt: session.scheduled_at.toISOString(),
      chair: { displayName: session.chair_name },
      isChair,
      cases,
      // Each hospital's user ids stay its own: participants are told apart by a key of this session.
      participants: participants.map((p) => ({ key: participantKey(session.id, p.user_id), displayName: p.display_name, role: p.role, hospital: p.tenant_name, joinedAt: p.joined_at?.toISOString() ?? null, me: p.user_id === principal.user.id })),
      state,
    };
  };

  /** The active referring doctors of these hospitals. */
  const referringDoctorsOf = async (tenantIds: string[]) =>
    (await Promise.all(tenantIds.map((id) => repos.users.listByTenant(id)))).flat().filter((u) => u.role === 'referring_doctor' && !u.disabled_at);

  const auditBoard = (c: Context<AppEnv>, action: 'C' | 'R' | 'U', sessionId: string, detail: Record<string, unknown>) =>
    deps.audit(c, { eventCode: AuditEvent.ProcedureRecord, action, outcome: Outcome.Success, objectType: 'board_session', objectId: sessionId, detail });

  return new Hono<AppEnv>()
    .get('/consults/:id/board-candidates', async (c) => {
      // Whom a chair may invite to a board on this consult: the centre's specialists by id; the
      // sending hospital's referring doctors by name only (their ids are the hospital's own).
      const principal = requireRole(c, 'specialist');
      const consult = await visibleConsult(repos, principal, c.req.param('id'));
      if (consult.reading_tenant_id !== principal.tenant.id) throw notFound('consult');
      const [readers, doctors] = await Promise.all([repos.users.listByTenant(consult.reading_tenant_id), referringDoctorsOf([consult.sending_tenant_id])]);
      return c.json({
        specialists: readers
          .filter((u) => u.role === 'specialist' && !u.disabled_at && u.id !== principal.user.id)
          .map((u) => ({ userId: u.id, displayName: u.display_name }))
          .sort((a, b) => a.displayName.localeCompare(b.displayName)),
        referringDoctors: doctors.map((u) => ({ displayName: u.display_name })),
      });
    })
    .post('/boards', async (c) => {
      const principal = requireRole(c, 'specialist');
      if (!principal.user.licensed) throw new AppError('Forbidden', 'a tumour board is chaired by a licensed specialist');
      const input = await readJson(c, scheduleSchema);
      const consultIds = [...new Set(input.consultIds)];
      const consults = [];
      for (const id of consultIds) {
        const consult = await visibleConsult(repos, principal, id);
        if (consult.reading_tenant_id !== principal.tenant.id) throw notFound('consult');
        if (consult.status === 'cancelled') throw new AppError('ConsultClosed', 'a cancelled consult cannot go to a tumour board');
        consults.push(consult);
      }
      const participants = [];
      for (const userId of new Set(input.participantIds)) {
        const user = await repos.users.get(userId);
        if (!user || user.disabled_at) throw new AppError('InvalidRequest', 'invalid: participantIds (no such user)');
        // Named participants are the centre's specialists; the hospitals' doctors come with `referringDoctors`.
        if (user.tenant_id !== principal.tenant.id || user.role !== 'specialist') {
          throw new AppError('BoardParticipantNotAllowed', 'a participant must be a specialist of the reading centre or a referring doctor of a hospital that sent one of the cases');
        }
        participants.push({ userId: user.id, tenantId: user.tenant_id });
      }
      if (input.referringDoctors) {
        const doctors = await referringDoctorsOf([...new Set(consults.map((consult) => consult.sending_tenant_id))]);
        participants.push(...doctors.map((u) => ({ userId: u.id, tenantId: u.tenant_id })));
      }
      const id = await repos.boards.create({ tenantId: principal.tenant.id, title: input.title, scheduledAt: new Date(input.scheduledAt), chairId: principal.user.id, consultIds, participants });
      await auditBoard(c, 'C', id, { consults: consultIds, participants: participants.map((p) => p.userId) });
      return c.json({ board: await boardView(c, principal, id) }, 201);
    })
    .get('/boards', async (c) => {
      const principal = requireUser(c);
      const rows = await repos.boards.listForUser(principal.user.id);
      return c.json({
        boards: rows.map((r) => ({ id: r.id, title: r.title, scheduledAt: r.scheduled_at.toISOString(), chair: r.chair_name, isChair: r.chair_id === principal.user.id, cases: Number(r.case_count), joinedAt: r.joined_at?.toISOString() ?? null })),
      });
    })
    .get('/boards/:id', async (c) => {
      const principal = requireUser(c);
      return c.json({ board: await boardView(c, principal, c.req.param('id')) });
    })
    .post('/boards/:id/join', async (c) => {
      const principal = requireUser(c);
      const { session, me } = await participantSession(principal, c.req.param('id'));
      await repos.boards.markJoined(session.id, principal.user.id, deps.now());
      if (!me.joined_at) await auditBoard(c, 'U', session.id, { change: 'joined' });
      return c.json({ board: await boardView(c, principal, session.id) });
    })
    .get('/boards/:id/events', async (c) => {
      const principal = requireUser(c);
      const { session } = await participantSession(principal, c.req.param('id'));
      return streamSSE(c, async (stream) => {
        let lastSeq = -1;
        let writing: Promise<unknown> = Promise.resolve();
        const send = (state: BoardState) => {
          writing = writing.then(async () => {
            // States read on notifications may arrive out of order: never go back.
            if (state.seq <= lastSeq) return;
            lastSeq = state.seq;
            await stream.writeSSE({ event: 'state', id: String(state.seq), data: JSON.stringify(state) });
          });
        };
        const unsubscribe = await deps.events.subscribe(session.id, send);
        stream.onAbort(unsubscribe);
        try {
          const initial = await loadBoardState(repos, session.id);
          if (initial) send(initial);
          // A comment now and then keeps proxies from closing a quiet stream.
          while (!stream.aborted && !stream.closed) {
            await stream.sleep(15_000);
            if (!stream.aborted) await stream.write(': keep-alive\n\n');
          }
        } finally {
          unsubscribe();
        }
      });
    })
    .post('/boards/:id/pointer', async (c) => {
      const principal = requireUser(c);
      const { session, me } = await participantSession(principal, c.req.param('id'));
      if (!me.joined_at) throw new AppError('Conflict', 'join the session before taking the pointer');
      const seq = await repos.boards.takePointer(session.id, principal.user.id);
      await auditBoard(c, 'U', session.id, { change: 'pointer', from: session.presenter_id, to: principal.user.id });
      return c.json({ seq });
    })
    .put('/boards/:id/viewport', async (c) => {
      const principal = requireUser(c);
      const { session } = await participantSession(principal, c.req.param('id'));
      const { viewport } = await readJson(c, viewportSchema, MAX_VIEWPORT_BYTES);
      const cases = await repos.boards.cases(session.id);
      if (!cases.some((row) => row.consult_id === viewport.consultId)) throw new AppError('InvalidRequest', 'invalid: viewport.consultId (not a case of this session)');
      const seq = await repos.boards.setViewport(session.id, principal.user.id, viewport);
      if (seq === null) throw new AppError('NotPresenter', 'another participant holds the pointer');
      return c.json({ seq });
    })
    .post('/boards/:id/cases/:consultId/consensus', async (c) => {
      const principal = requireUser(c);
      const { session, participants, isChair } = await participantSession(principal, c.req.param('id'));
      if (!isChair) throw new AppError('Forbidden', 'the chair records the consensus');
      const consultId = c.req.param('consultId');
      const row = (await repos.boards.cases(session.id)).find((r) => r.consult_id === consultId);
      if (!row) throw notFound('case');
      const { recommendation } = await readJson(c, consensusSchema);
      const consult = await visibleConsult(repos, principal, consultId);
      const report = await repos.reports.getByConsult(consult.id);
      if (!report || (report.document as ReportDocument).status === 'draft') throw new AppError('ReportNotSigned', 'the consensus goes into the signed report: sign the report first');
      const text = Object.fromEntries(Object.entries(recommendation).filter(([, value]) => value));
      const signedAt = deps.now();
      const signed = await repos.boards.signConsensus(session.id, consult.id, text, principal.user.id, signedAt);
      if (!signed) throw new AppError('ConsensusSigned', 'the consensus on this case is signed already');
      const consensus = {
        sessionId: session.id,
        title: session.title,
        meetingAt: session.scheduled_at.toISOString(),
        attendance: participants.filter((p) => p.joined_at).map((p) => ({ displayName: p.display_name, organization: p.tenant_name })),
        recommendation: text,
        signer: { userId: principal.user.id, displayName: principal.user.display_name, licensed: principal.user.licensed },
        signedAt: signedAt.toISOString(),
      };
      // The report may be saved elsewhere meanwhile (an addendum): read it again and retry.
      for (let attempt = 0; ; attempt++) {
        const current = (await repos.reports.getByConsult(consult.id))!;
        const doc = current.document as ReportDocument;
        const next = recordBoardConsensus(doc, consensus);
        const written = await repos.reports.write(current.id, doc.version, { status: next.status, version: next.version, document: next, event: 'board-consensus', savedBy: principal.user.id }, signedAt);
        if (written) break;
        if (attempt >= 4) throw new AppError('Conflict', 'the report was saved elsewhere in the meantime; try again');
      }
      await auditBoard(c, 'U', session.id, { change: 'consensus', consultId: consult.id, reportId: report.id });
      return c.json({ board: await boardView(c, principal, session.id) });
    });
}
