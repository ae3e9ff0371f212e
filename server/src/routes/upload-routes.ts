import { Hono } from 'hono';
import { z } from 'zod';

import type { Repositories } from '@yunzhen/db';

import type { AppEnv } from '../app-env.js';
import type { AuditWriter } from '../audit.js';
import { requireUser } from '../auth/authenticate.js';
import { auditImport } from '../dicomweb/stow-routes.js';
import { AppError } from '../errors.js';
import { pseudonymUid } from '../ingest/hmac-pseudonym-store.js';
import type { IngestInstance } from '../ingest/ingest-pipeline.js';
import { parseMediaType } from '../ingest/multipart-related.js';
import type { ZipLimits } from '../ingest/zip-entries.js';
import { ingestZip } from '../ingest/zip-upload.js';
import type { HospitalKeys } from '../vault/keys.js';
import { readJson } from '../validation.js';
import { requireSender } from './sender.js';

export interface UploadDeps {
  repos: Repositories;
  ingest: IngestInstance;
  audit: AuditWriter;
  keys: HospitalKeys;
  zipLimits: ZipLimits;
  tempDir: string;
  /** Monotonic milliseconds for the zip's time budget (`ZipLimits.maxMillis`); `performance.now` when omitted. */
  now?: () => number;
}

/** 10,000 UIDs of up to 64 characters, quoted and separated. */
const CHECK_BODY_BYTES = 10_000 * 68 + 1024;
const checkSchema = z.object({ sopInstanceUids: z.array(z.string().regex(/^[0-9.]{1,64}$/)).max(10_000) });

/**
 * `POST /api/uploads`: a zip of DICOM files, each entry through the ingest pipeline, with a
 * report per entry. `POST /api/uploads/check`: which of these original SOP Instance UIDs this
 * hospital has already stored (and under which stored Study Instance UID), so an interrupted
 * upload resumes where it stopped.
 */
export function uploadRoutes(deps: UploadDeps) {
  return new Hono<AppEnv>()
    .post('/uploads', async (c) => {
      const principal = requireSender(requireUser(c));
      const type = parseMediaType(c.req.header('Content-Type')).type;
      if (type !== 'application/zip' && type !== 'application/x-zip-compressed') {
        throw new AppError('UnsupportedMediaType', 'upload a zip archive as application/zip (or use STOW-RS for DICOM files)');
      }
      if (!c.req.raw.body) throw new AppError('InvalidRequest', 'empty upload');
      const context = { tenantId: principal.tenant.id, userId: principal.user.id };
      const { report, outcomes } = await ingestZip(c.req.raw.body, context, deps);
      await auditImport(c, deps.audit, 'zip', outcomes);
      return c.json(report);
    })
    .post('/uploads/check', async (c) => {
      const principal = requireSender(requireUser(c));
      const { sopInstanceUids } = await readJson(c, checkSchema, CHECK_BODY_BYTES);
      const uidKey = deps.keys.forTenant(principal.tenant.id, 'uid');
      const byPseudonym = new Map(sopInstanceUids.map((uid) => [pseudonymUid(uidKey, uid), uid]));
      const existing = await deps.repos.studies.existingInstances(principal.tenant.id, [...byPseudonym.keys()]);
      // The stored Study Instance UID of each lets the upload page offer exactly these studies for a consult.
      const studies = Object.fromEntries([...existing].map(([pseudonym, studyUid]) => [byPseudonym.get(pseudonym)!, studyUid]));
      return c.json({ stored: Object.keys(studies), studies });
    });
}
