import { sql, type Kysely } from 'kysely';

import { claimDue, type ClaimOptions } from './outbox.js';
import type { Database, PixelTextProposal } from './schema.js';

/** How an image is chosen for the pixel scan at ingest (see `InstanceRecord.instance.pixelScan`). */
export type PixelScanPolicy = 'none' | 'all' | 'sample';

/** Instances of a series scanned under the 'sample' policy (a CT of 300 slices is scanned in 3 of them). */
export const SERIES_SAMPLE_SIZE = 3;

/** What the scan job needs of the instance it scans. */
export interface PixelScanTarget {
  scanId: string;
  attempts: number;
  instanceId: string;
  tenantId: string;
  studyUid: string;
  objectKey: string;
  modality: string | null;
  rows: number | null;
  columns: number | null;
  pixelReview: string;
}

/**
 * The pixel scan queue: one row per image that waits for (or had) OCR, claimed like the
 * outboxes (`claimDue`: several replicas take different rows), and the boxes it proposed.
 */
export function createPixelScanRepository(db: Kysely<Database>) {
  return {
    claimDue(options: ClaimOptions) {
      return claimDue(db, 'pixel_scan', options);
    },

    /** The instance a claimed scan is about; undefined when it was deleted meanwhile (masked or removed). */
    target(scanId: string): Promise<PixelScanTarget | undefined> {
      return db
        .selectFrom('pixel_scan as ps')
        .innerJoin('instance as i', 'i.id', 'ps.instance_id')
        .innerJoin('series as se', 'se.id', 'i.series_id')
        .innerJoin('study as s', 's.id', 'i.study_id')
        .select([
          'ps.id as scanId', 'ps.attempts', 'i.id as instanceId', 'i.tenant_id as tenantId', 's.study_uid as studyUid', 'i.object_key as objectKey',
          'se.modality', 'i.rows', 'i.columns', 'i.pixel_review as pixelReview',
        ])
        .where('ps.id', '=', scanId)
        .executeTakeFirst();
    },

    /**
     * Records a finished scan and, in the same transaction, decides the image: text found holds
     * it for review (reason `TextInPixels`); nothing found releases an image that only waited
     * for the scan ('scanning' → 'none') and leaves a held one held. An image the radiographer
     * released (or removed) while the scan ran keeps that decision.
     */
    complete(scanId: string, result: { proposals: PixelTextProposal[]; framesScanned: number; textFound: boolean; now: Date }): Promise<void> {
      return db.transaction().execute(async (tx) => {
        const scan = await tx
          .updateTable('pixel_scan')
          .set({ status: 'done', proposals: JSON.stringify(result.proposals), frames_scanned: result.framesScanned, finished_at: result.now, claimed_by: null, error: null })
          .where('id', '=', scanId)
          .returning('instance_id')
          .executeTakeFirst();
        if (!scan) return;
        await tx
          .updateTable('instance')
          .set(
            result.textFound
              ? {
                  pixel_review: 'pending',
                  pixel_review_reasons: sql<string[]>`case when 'TextInPixels' = any(pixel_review_reasons) then pixel_review_reasons else array_append(pixel_review_reasons, 'TextInPixels') end`,
                }
              : { pixel_review: sql<'none'>`case when pixel_review = 'scanning' then 'none' else pixel_review end` },
          )
          .where('id', '=', scan.instance_id)
          .where('pixel_review', 'in', ['scanning', 'pending', 'none'])
          .execute();
      });
    },

    /**
     * A failed attempt: tried again at `retryAt`, or, when attempts are used up (`retryAt`
     * null), the scan fails and the image is held for a person to look at (`PixelScanFailed`):
     * an image nobody could read is not released unread.
     */
    fail(scanId: string, outcome: { error: string; retryAt: Date | null; now: Date }): Promise<void> {
      return db.transaction().execute(async (tx) => {
        const scan = await tx
          .updateTable('pixel_scan')
          .set(
            outcome.retryAt
              ? { next_attempt_at: outcome.retryAt, claimed_by: null, error: outcome.error, attempts: sql<number>`attempts + 1` }
              : { status: 'failed', claimed_by: null, error: outcome.error, finished_at: outcome.now, attempts: sql<number>`attempts + 1` },
          )
          .where('id', '=', scanId)
          .returning('instance_id')
          .executeTakeFirst();
        if (!scan || outcome.retryAt) return;
        await tx
          .updateTable('instance')
          .set({ pixel_review: 'pending', pixel_review_reasons: sql<string[]>`array_append(pixel_review_reasons, 'PixelScanFailed')` })
          .where('id', '=', scan.instance_id)
          .where('pixel_review', 'in', ['scanning', 'none'])
          .execute();
      });
    },

    /** Proposed boxes of a study's scanned images, by instance id (finished scans only). */
    async proposalsOfStudy(studyId: string): Promise<Map<string, { status: string; proposals: PixelTextProposal[] }>> {
      const rows = await db
        .selectFrom('pixel_scan as ps')
        .innerJoin('instance as i', 'i.id', 'ps.instance_id')
        .select(['ps.instance_id', 'ps.status', 'ps.proposals'])
        .where('i.study_id', '=', studyId)
        .execute();
      return new Map(rows.map((r) => [r.instance_id, { status: r.status, proposals: r.status === 'done' ? r.proposals : [] }]));
    },
  };
}

export type PixelScanRepository = ReturnType<typeof createPixelScanRepository>;
