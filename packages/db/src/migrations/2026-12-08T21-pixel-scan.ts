import { sql, type Kysely } from 'kysely';

/**
 * Text found in pixels at ingest. An image that may carry burned-in text is OCR'd by a
 * background job before the reading centre can see it: `pixel_review = 'scanning'` until then
 * (header-flagged images stay 'pending', held as before, and get proposals too). One
 * `pixel_scan` row per scanned instance is the job's queue (claimed like the outboxes:
 * `status`, `attempts`, `next_attempt_at`, `claimed_by`) and keeps the proposed mask boxes (never
 * the text read). Frozen.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('instance').dropConstraint('instance_pixel_review_check').execute();
  await db.schema
    .alterTable('instance')
    .addCheckConstraint('instance_pixel_review_check', sql`pixel_review in ('none', 'scanning', 'pending', 'released', 'removed')`)
    .execute();
  await db.schema
    .createTable('pixel_scan')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('instance_id', 'uuid', (c) => c.notNull().unique().references('instance.id').onDelete('cascade'))
    .addColumn('series_id', 'uuid', (c) => c.notNull().references('series.id').onDelete('cascade'))
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    // 'pending' (to scan), 'done', 'failed' (out of attempts: held for a person to look).
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending').check(sql`status in ('pending', 'done', 'failed')`))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('claimed_by', 'text')
    .addColumn('frames_scanned', 'integer', (c) => c.notNull().defaultTo(0))
    // [{x, y, width, height, source: 'ocr' | 'template', identity: ['name' | 'id' | …], frames: [n…]}]
    .addColumn('proposals', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('error', 'text')
    .addColumn('finished_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('pixel_scan_due').on('pixel_scan').columns(['next_attempt_at']).where(sql.ref('status'), '=', 'pending').execute();
  await db.schema.createIndex('pixel_scan_series').on('pixel_scan').column('series_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('pixel_scan').execute();
  await db.updateTable('instance').set({ pixel_review: 'pending' }).where('pixel_review', '=', 'scanning').execute();
  await db.schema.alterTable('instance').dropConstraint('instance_pixel_review_check').execute();
  await db.schema
    .alterTable('instance')
    .addCheckConstraint('instance_pixel_review_check', sql`pixel_review in ('none', 'pending', 'released', 'removed')`)
    .execute();
}
