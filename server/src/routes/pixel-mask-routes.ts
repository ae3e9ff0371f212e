import { Hono } from 'hono';
import { z } from 'zod';

import { isDicomError, parseDicom, readIndexAttributes, validateForIngest, type DicomLimits } from '@yunzhen/dicom';
import type { Repositories } from '@yunzhen/db';
import type { ObjectStore } from '@yunzhen/storage';

import type { AppEnv } from '../app-env.js';
import { AuditEvent, Outcome, type AuditWriter } from '../audit.js';
import { requireUser } from '../auth/authenticate.js';
import { maskInstance, boxesFit, freshUid } from '../dicomweb/mask-pixels.js';
import type { ObjectCache } from '../dicomweb/object-cache.js';
import { AppError, notFound } from '../errors.js';
import { imageParts, storedStudyParts } from '../ingest/index-record.js';
import { readJson } from '../validation.js';
import { requireSender } from './sender.js';
import { isUuid } from './views.js';

/** Limits of one mask request: images (a whole series of a clip), boxes per image. */
export const MASK_MAX_INSTANCES = 500;
export const MASK_MAX_BOXES = 32;

const coordinate = z.number().int().min(0).max(65_535);
const maskSchema = z.object({
  instanceIds: z.array(z.string().uuid()).min(1).max(MASK_MAX_INSTANCES),
  boxes: z
    .array(z.object({ x: coordinate, y: coordinate, width: coordinate.min(1), height: coordinate.min(1) }).strict())
    .min(1)
    .max(MASK_MAX_BOXES),
  frames: z.literal('all').default('all'),
});

const HELD = new Set(['pending', 'released']);

/**
 * Pixel masking by the sending hospital: burned-in identity in held images is filled black in
 * every frame, and each masked image replaces its original (new SOP Instance UID, released for
 * reading); the unmasked object is deleted, so the reading centre never receives it.
 */
export function pixelMaskRoutes(deps: { repos: Repositories; store: ObjectStore; cache?: ObjectCache; audit: AuditWriter; limits: Partial<DicomLimits> }) {
  const { repos, store } = deps;

  return new Hono<AppEnv>().post('/studies/:id/pixel-review/mask', async (c) => {
    const principal = requireSender(requireUser(c));
    const id = c.req.param('id');
    const study = isUuid(id) ? await repos.studies.getStudy(id) : undefined;
    if (!study || study.tenant_id !== principal.tenant.id) throw notFound('study');
    const { instanceIds, boxes } = await readJson(c, maskSchema, 64 * 1024);

    // Everything is checked before anything is written: one bad image refuses the request.
    const instances = new Map((await repos.studies.listInstances(study.id)).map((i) => [i.id, i]));
    const targets = [...new Set(instanceIds)].map((instanceId) => {
      const instance = instances.get(instanceId);
      if (!instance) throw notFound('instance');
      if (!HELD.has(instance.pixel_review)) throw new AppError('NotHeldForReview', 'only images held for pixel review are masked here');
      if (!instance.rows || !instance.columns) throw new AppError('NotMaskable', 'the instance has no image pixels');
      if (!boxesFit(boxes, instance.rows, instance.columns)) {
        throw new AppError('MaskOutOfBounds', `a box lies outside the ${instance.columns} × ${instance.rows} image`);
      }
      return instance;
    });
    const patient = await repos.studies.getPatient(study.patient_id);
    if (!patient) throw notFound('study');

    const masked: { instanceId: string; maskedInstanceId: string; sopInstanceUid: string }[] = [];
    const audit = (outcome: (typeof Outcome)[keyof typeof Outcome]) =>
      deps.audit(c, {
        eventCode: AuditEvent.InstancesTransferred,
        action: 'U',
        outcome,
        objectType: 'study',
        objectId: study.id,
        detail: { action: 'pixel-mask', boxes: boxes.length, frames: 'all', requested: targets.length, instances: masked.map((m) => ({ from: m.instanceId, to: m.maskedInstanceId })) },
      });
    try {
      for (const original of targets) {
        const object = await store.get(original.object_key);
        if (!object) throw new AppError('StorageUnavailable', 'a stored instance is missing from the object store');
        const stored = parseDicom(new Uint8Array(await new Response(object.body).arrayBuffer()), { maxInstanceBytes: Number.MAX_SAFE_INTEGER });
        const sopInstanceUid = freshUid();
        const bytes = await maskInstance(stored, boxes, sopInstanceUid);
        // The copy passes the same checks as every ingested instance before it is stored.
        const file = parseDicom(bytes, { ...deps.limits, maxInstanceBytes: Math.max(bytes.length, deps.limits.maxInstanceBytes ?? 0) });
        try {
          validateForIngest(file, { ...deps.limits, maxInstanceBytes: Math.max(bytes.length, deps.limits.maxInstanceBytes ?? 0) }, 'ingest');
        } catch (error) {
          if (isDicomError(error)) throw new AppError('NotMaskable', `the masked image did not pass validation (${error.code})`);
          throw error;
        }
        const a = readIndexAttributes(file);
        const objectKey = `instances/${crypto.randomUUID()}`;
        const put = await store.put(objectKey, bytes, { contentType: 'application/dicom' });
        if (!put.created) throw new Error('a fresh object key was already taken');
        let result;
        try {
          result = await repos.studies.replaceMaskedInstance(
            { tenantId: principal.tenant.id, studyId: study.id, instanceId: original.id },
            {
              tenantId: principal.tenant.id,
              uploadedBy: principal.user.id,
              ...storedStudyParts(patient, study),
              series: { seriesUid: original.series_uid, modality: original.modality, seriesNumber: original.series_number, seriesDescription: original.series_description, bodyPart: null },
              instance: {
                sopInstanceUid,
                sopClassUid: original.sop_class_uid,
                ...imageParts(a),
                sizeBytes: bytes.length,
                sha256: put.sha256,
                objectKey,
                pixelReview: 'released',
                pixelReviewReasons: original.pixel_review_reasons,
              },
              vaultEntries: [],
            },
          );
        } catch (error) {
          await store.delete(objectKey).catch(() => undefined);
          throw error;
        }
        if (!result.replaced) {
          // Masked or removed meanwhile by another request: keep nothing of this one.
          await store.delete(objectKey).catch(() => undefined);
          throw new AppError('NotHeldForReview', 'the image was masked or removed meanwhile');
        }
        // The index no longer names the unmasked object; a failed delete is left to the orphan sweep.
        deps.cache?.forget(original.object_key);
        await store.delete(original.object_key).catch((error) => c.var.logger?.warn({ err: String(error) }, 'could not delete a masked original; the orphan sweep will'));
        masked.push({ instanceId: original.id, maskedInstanceId: result.instanceId, sopInstanceUid });
      }
    } catch (error) {
      // Images masked before the failure stay masked (each replacement is one transaction); say so in the audit.
      if (masked.length) await audit(Outcome.MinorFailure);
      throw error;
    }
    await audit(Outcome.Success);
    return c.json({ masked });
  });
}
