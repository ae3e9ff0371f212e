import { Hono } from 'hono';
import { z } from 'zod';

import type { Repositories } from '@yunzhen/db';

import type { AppEnv } from '../app-env.js';
import { AuditEvent, Outcome, type AuditWriter } from '../audit.js';
import { requireUser } from '../auth/authenticate.js';
import { notFound } from '../errors.js';
import type { Vault } from '../vault/vault.js';
import { readJson } from '../validation.js';
import { requireClinician } from './clinician.js';
import { requireSender } from './sender.js';
import { studyViews } from './study-views.js';
import { isUuid } from './views.js';

const reviewSchema = z.object({
  release: z.array(z.string().uuid()).max(10_000).default([]),
  remove: z.array(z.string().uuid()).max(10_000).default([]),
});

/** A hospital's own studies: the inbox, one study's instances, and the pixel-review decision. Not for its admins. */
export function studyRoutes(deps: { repos: Repositories; vault: Vault; audit: AuditWriter }) {
  const { repos } = deps;

  const ownStudy = async (tenantId: string, id: string) => {
    const study = isUuid(id) ? await repos.studies.getStudy(id) : undefined;
    if (!study || study.tenant_id !== tenantId) throw notFound('study');
    return study;
  };

  return new Hono<AppEnv>()
    .get('/studies', async (c) => {
      const principal = requireClinician(requireUser(c));
      const rows = await repos.studies.listStudies({ tenantId: principal.tenant.id, inboxOnly: c.req.query('inbox') === 'true' });
      return c.json({ studies: await studyViews(c, deps, principal, rows) });
    })
    .get('/studies/:id', async (c) => {
      const principal = requireClinician(requireUser(c));
      const study = await ownStudy(principal.tenant.id, c.req.param('id'));
      const [view] = await studyViews(c, deps, principal, await repos.studies.listStudies({ tenantId: principal.tenant.id, studyIds: [study.id] }));
      const instances = await repos.studies.listInstances(study.id);
      const scans = await repos.pixelScans.proposalsOfStudy(study.id);
      return c.json({
        study: view,
        instances: instances.map((i) => ({
          id: i.id,
          sopInstanceUid: i.sop_instance_uid,
          seriesInstanceUid: i.series_uid,
          modality: i.modality,
          seriesNumber: i.series_number,
          seriesDescription: i.series_description,
          instanceNumber: i.instance_number,
          pixelReview: i.pixel_review,
          pixelReviewReasons: i.pixel_review_reasons,
          rows: i.rows,
          columns: i.columns,
          numberOfFrames: i.number_of_frames,
          // The OCR scan for burned-in text: its state, and the mask boxes it proposes (identity kinds, never the text read).
          pixelScan: scans.get(i.id)?.status ?? null,
          textProposals: scans.get(i.id)?.proposals ?? [],
        })),
      });
    })
    .post('/studies/:id/pixel-review', async (c) => {
      const principal = requireSender(requireUser(c));
      const study = await ownStudy(principal.tenant.id, c.req.param('id'));
      const { release, remove } = await readJson(c, reviewSchema);
      const released = await repos.studies.setPixelReview(principal.tenant.id, study.id, release, 'released');
      const removed = await repos.studies.setPixelReview(principal.tenant.id, study.id, remove, 'removed');
      await deps.audit(c, {
        eventCode: AuditEvent.InstancesTransferred,
        action: 'U',
        outcome: Outcome.Success,
        objectType: 'study',
        objectId: study.id,
        detail: { action: 'pixel-review', released, removed },
      });
      return c.json({ released, removed });
    });
}
