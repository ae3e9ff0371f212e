import type { Context } from 'hono';
import { Hono } from 'hono';
import { z } from 'zod';

import type { Repositories } from '@yunzhen/db';

import type { AppEnv, Principal } from '../app-env.js';
import { AuditEvent, Outcome, type AuditWriter } from '../audit.js';
import { requireRole } from '../auth/authenticate.js';
import { AppError, notFound } from '../errors.js';
import { readJson } from '../validation.js';
import { consultOrReferred, visibleConsult } from './consult-access.js';

const MAX_ANNOTATION_BYTES = 2 * 1024 * 1024;

const saveSchema = z.object({ version: z.number().int().min(0), data: z.unknown() });
const assignSchema = z.object({ userId: z.string().uuid().nullable() });

/**
 * What a specialist does on a consult addressed to their centre: claim it from the worklist,
 * give it back (or the centre's admin reassigns it: a claim locks the report to its holder),
 * and keep their annotations (versioned per author; a save against an old
 * version is refused with 409 so two screens never overwrite each other silently).
 */
export function readingRoutes(deps: { repos: Repositories; audit: AuditWriter; now: () => Date; consultView: (c: Context<AppEnv>, principal: Principal, id: string) => Promise<unknown> }) {
  const { repos } = deps;

  /** The consult, if the caller is a specialist of the centre it is addressed to. */
  const readerConsult = async (principal: Principal, id: string) => {
    const consult = await visibleConsult(repos, principal, id);
    if (consult.reading_tenant_id !== principal.tenant.id) throw notFound('consult');
    return consult;
  };

  /** For measurements: also a specialist of a centre the consult was referred to (with the sender's consent). */
  const measuringConsult = async (principal: Principal, id: string) => {
    const consult = await consultOrReferred(repos, principal, id);
    if (consult.sending_tenant_id === principal.tenant.id) throw notFound('consult');
    return consult;
  };

  return new Hono<AppEnv>()
    .post('/consults/:id/claim', async (c) => {
      const principal = requireRole(c, 'specialist');
      const consult = await readerConsult(principal, c.req.param('id'));
      const outcome = await repos.consults.claim(principal.tenant.id, consult.id, principal.user.id, deps.now());
      if (outcome === 'held-by-other') throw new AppError('Conflict', 'another specialist has claimed this consult');
      if (outcome === 'closed') throw new AppError('Conflict', 'the consult is already reported or cancelled');
      return c.json({ consult: await deps.consultView(c, principal, consult.id) });
    })
    .post('/consults/:id/release', async (c) => {
      const principal = requireRole(c, 'specialist');
      const consult = await readerConsult(principal, c.req.param('id'));
      if (!(await repos.consults.release(principal.tenant.id, consult.id, principal.user.id, deps.now()))) {
        throw new AppError('Conflict', 'only the specialist who claimed the consult can release it');
      }
      return c.json({ consult: await deps.consultView(c, principal, consult.id) });
    })
    .post('/consults/:id/assign', async (c) => {
      // Staffing, not reading: the centre's admin moves a claimed consult to another specialist
      // (or back to the worklist) when its holder is away. Audited; no patient data involved.
      const principal = requireRole(c, 'admin');
      const consult = await visibleConsult(repos, principal, c.req.param('id'));
      if (consult.reading_tenant_id !== principal.tenant.id) throw notFound('consult');
      const { userId } = await readJson(c, assignSchema);
      if (userId !== null) {
        const specialist = await repos.users.getInTenant(principal.tenant.id, userId);
        if (!specialist || specialist.role !== 'specialist' || specialist.disabled_at) throw notFound('specialist');
      }
      if (!(await repos.consults.assign(principal.tenant.id, consult.id, userId, deps.now()))) {
        throw new AppError('Conflict', 'the consult is already reported or cancelled');
      }
      await deps.audit(c, {
        eventCode: AuditEvent.ProcedureRecord,
        action: 'U',
        outcome: Outcome.Success,
        objectType: 'consult',
        objectId: consult.id,
        detail: { change: 'reassigned', from: consult.claimed_by, to: userId },
      });
      return c.json({ consult: await deps.consultView(c, principal, consult.id) });
    })
    .get('/consults/:id/annotations', async (c) => {
      const principal = requireRole(c, 'specialist');
      const consult = await measuringConsult(principal, c.req.param('id'));
      const latest = await repos.consults.latestAnnotations(consult.id);
      const view = (row: (typeof latest)[number]) => ({ version: row.version, data: row.data, updatedAt: row.created_at.toISOString() });
      const mine = latest.find((row) => row.author_id === principal.user.id);
      return c.json({
        mine: mine ? view(mine) : null,
        others: latest.filter((row) => row !== mine).map((row) => ({ author: { id: row.author_id, displayName: row.display_name }, ...view(row) })),
      });
    })
    .put('/consults/:id/annotations', async (c) => {
      const principal = requireRole(c, 'specialist');
      const consult = await measuringConsult(principal, c.req.param('id'));
      const { version, data } = await readJson(c, saveSchema, MAX_ANNOTATION_BYTES + 1024);
      if (JSON.stringify(data ?? null).length > MAX_ANNOTATION_BYTES) throw new AppError('PayloadTooLarge', 'annotations are limited to 2 MB');
      const saved = await repos.consults.saveAnnotations(consult.id, principal.user.id, version, data ?? null);
      if (saved === null) throw new AppError('Conflict', 'the annotations were saved elsewhere in the meantime; reload them');
      return c.json({ version: saved, updatedAt: deps.now().toISOString() });
    });
}
