import { Hono } from 'hono';
import { z } from 'zod';

import type { AppEnv } from '../app-env.js';
import type { AuditWriter } from '../audit.js';
import { requireUser } from '../auth/authenticate.js';
import { auditImport } from '../dicomweb/stow-routes.js';
import { sha256FromContentDigest, type UploadSessions } from '../ingest/upload-sessions.js';
import { readJson } from '../validation.js';
import { requireSender } from './sender.js';

const createSchema = z.object({ kind: z.literal('zip'), totalBytes: z.number().int().positive().max(Number.MAX_SAFE_INTEGER) });

/**
 * Resumable uploads (`createUploadSessions`), for zips too large for one request:
 * `POST /api/uploads/sessions` opens one, `PUT …/parts/{index}` sends a part,
 * `GET …/{id}` says which parts are there, `POST …/complete` ingests the whole (and answers
 * how it went when called again), `DELETE …/{id}` cancels. Only the user who opened a session
 * sees it; anyone else's answers 404.
 */
export function uploadSessionRoutes(deps: { sessions: UploadSessions; audit: AuditWriter }) {
  const ownerOf = (principal: ReturnType<typeof requireUser>) => ({ tenantId: principal.tenant.id, userId: principal.user.id });
  return new Hono<AppEnv>()
    .post('/uploads/sessions', async (c) => {
      const principal = requireSender(requireUser(c));
      const request = await readJson(c, createSchema);
      return c.json({ session: await deps.sessions.create(ownerOf(principal), request) }, 201);
    })
    .get('/uploads/sessions/:id', async (c) => {
      const principal = requireSender(requireUser(c));
      return c.json({ session: await deps.sessions.view(c.req.param('id'), ownerOf(principal)) });
    })
    .put('/uploads/sessions/:id/parts/:index', async (c) => {
      const principal = requireSender(requireUser(c));
      const length = c.req.header('Content-Length');
      const index = /^\d{1,9}$/.test(c.req.param('index')) ? Number(c.req.param('index')) : -1;
      const part = await deps.sessions.putPart(c.req.param('id'), ownerOf(principal), index, {
        contentLength: length !== undefined && /^\d{1,15}$/.test(length) ? Number(length) : undefined,
        sha256: sha256FromContentDigest(c.req.header('Content-Digest')),
        body: c.req.raw.body,
      });
      return c.json({ part });
    })
    .post('/uploads/sessions/:id/complete', async (c) => {
      const principal = requireSender(requireUser(c));
      const session = await deps.sessions.complete(c.req.param('id'), ownerOf(principal), (outcomes) => auditImport(c, deps.audit, 'zip-session', outcomes));
      if (session.status === 'failed' && session.error) {
        return c.json({ error: session.error, session }, 422);
      }
      return c.json({ session }, session.status === 'completed' ? 200 : 202);
    })
    .delete('/uploads/sessions/:id', async (c) => {
      const principal = requireSender(requireUser(c));
      await deps.sessions.cancel(c.req.param('id'), ownerOf(principal));
      return c.body(null, 204);
    });
}
