import { sql, type Kysely, type Transaction } from 'kysely';

import { SERIES_SAMPLE_SIZE, type PixelScanPolicy } from './pixel-scans.js';
import { actorKey, currentActor, runAs, type DbActor } from './db-actor.js';
import type { Database, PixelReview } from './schema.js';

/** One stored instance with the de-identified attributes the index keeps. */
export interface InstanceRecord {
  tenantId: string;
  uploadedBy: string | null;
  patient: { pseudonymId: string; pseudonymName: string; sex: string | null; birthDate: string | null };
  study: {
    studyUid: string;
    studyDate: string | null;
    studyTime: string | null;
    accessionNumber: string | null;
    studyDescription: string | null;
    studyId: string | null;
    patientAge: string | null;
  };
  series: { seriesUid: string; modality: string | null; seriesNumber: number | null; seriesDescription: string | null; bodyPart: string | null };
  instance: {
    sopInstanceUid: string;
    sopClassUid: string;
    instanceNumber: number | null;
    transferSyntaxUid: string;
    rows: number | null;
    columns: number | null;
    numberOfFrames: number | null;
    bitsAllocated: number | null;
    sizeBytes: number;
    sha256: string;
    objectKey: string;
    pixelReview: PixelReview;
    pixelReviewReasons: string[];
    /**
     * OCR for burned-in text before the reading centre sees the image: 'all' scans it, 'sample'
     * scans it while its series has fewer than SERIES_SAMPLE_SIZE scanned. A scanned image that
     * is not already held waits as 'scanning' (see pixel-scans.ts). Default 'none'.
     */
    pixelScan?: PixelScanPolicy;
    /** WADO-RS metadata as DICOM JSON text, when the writer made it (served without reading the object). */
    metadataJson?: string | null;
  };
  /** Encrypted original identifiers, stored in the same transaction as the index rows. */
  vaultEntries: { kind: string; pseudonym: string; keyVersion: number; ciphertext: Uint8Array }[];
}

export interface IndexResult {
  instanceId: string;
  studyId: string;
  seriesId: string;
  /** True when the SOP instance was already indexed (by an earlier or a concurrent upload). */
  duplicate: boolean;
}

export class TenantConflictError extends Error {
  override readonly name = 'TenantConflictError';
}

/** Most instances one shared index transaction holds. */
const MAX_BATCH = 64;

/**
 * Group commit for index writes. Every commit waits for its WAL flush (fsync, with
 * `synchronous_commit` on), which costs far more than the statement: instances that arrive
 * while a transaction is committing wait and then go together into the next one, so one flush
 * serves many. Nothing waits when the queue is idle (a lone upload is not delayed). If a shared
 * transaction fails (one instance's conflict aborts it), each of its instances is written
 * again in a transaction of its own, so an error fails only the instance that caused it.
 * Instances share a transaction only with those queued by the same actor (`asTenant`), and the
 * transaction runs as that actor: row-level security checks each hospital's rows as its own.
 */
function createIndexQueue(db: Kysely<Database>) {
  interface Waiter {
    record: InstanceRecord;
    actor: DbActor | undefined;
    resolve(result: IndexResult): void;
    reject(error: unknown): void;
  }
  let waiting: Waiter[] = [];
  let running = false;

  const alone = (w: Waiter) => db.transaction().execute((tx) => indexInTransaction(tx, w.record)).then(w.resolve, w.reject);

  async function write(batch: Waiter[]) {
    if (batch.length === 1) return alone(batch[0]!);
    let results: IndexResult[];
    try {
      results = await db.transaction().execute(async (tx) => {
        const out: IndexResult[] = [];
        for (const w of batch) out.push(await indexInTransaction(tx, w.record));
        return out;
      });
    } catch {
      // Retried one by one. A commit that succeeded although its answer was lost finds its own
      // rows again (same object key), which count as written, not as duplicates.
      await Promise.all(batch.map(alone));
      return;
    }
    batch.forEach((w, n) => w.resolve(results[n]!));
  }

  async function drain() {
    running = true;
    try {
      while (waiting.length > 0) {
        const key = actorKey(waiting[0]!.actor);
        const batch: Waiter[] = [];
        const rest: Waiter[] = [];
        for (const w of waiting) (batch.length < MAX_BATCH && actorKey(w.actor) === key ? batch : rest).push(w);
        waiting = rest;
        await runAs(batch[0]!.actor, () => write(batch));
      }
    } finally {
      running = false;
    }
  }

  return (record: InstanceRecord) =>
    new Promise<IndexResult>((resolve, reject) => {
      waiting.push({ record, actor: currentActor(), resolve, reject });
      if (!running) void drain();
    });
}

/** Writes and reads of the image index. Every write of one instance is one transaction, shared with instances that arrive together. */
export function createStudyRepository(db: Kysely<Database>) {
  const index = createIndexQueue(db);
  return {
    /** The indexed instance with this SOP Instance UID, if any. */
    findInstance(sopInstanceUid: string) {
      return db
        .selectFrom('instance')
        .select(['id', 'study_id', 'series_id', 'tenant_id', 'object_key', 'sha256', 'transfer_syntax_uid'])
        .where('sop_instance_uid', '=', sopInstanceUid)
        .executeTakeFirst();
    },

    /** Which of these (stored) SOP Instance UIDs a hospital has, and the Study Instance UID each is stored under. */
    async existingInstances(tenantId: string, sopInstanceUids: string[]): Promise<Map<string, string>> {
      if (sopInstanceUids.length === 0) return new Map();
      const rows = await db
        .selectFrom('instance')
        .innerJoin('study', 'study.id', 'instance.study_id')
        .select(['instance.sop_instance_uid', 'study.study_uid'])
        .where('instance.tenant_id', '=', tenantId)
        .where('instance.sop_instance_uid', 'in', sopInstanceUids)
        .execute();
      return new Map(rows.map((r) => [r.sop_instance_uid, r.study_uid]));
    },

    /**
     * Indexes one instance (patient, study and series created on first sight) together with
     * its vault entries. A concurrent duplicate loses the unique-key race and reports
     * `duplicate: true`; the caller then removes the object it wrote.
     */
    indexInstance(record: InstanceRecord): Promise<IndexResult> {
      return index(record);
    },

    /** Object keys among `keys` that an index row points to. */
    async referencedObjectKeys(keys: string[]): Promise<Set<string>> {
      if (keys.length === 0) return new Set();
      const rows = await db
        .selectFrom('instance')
        .select('object_key')
        .where('object_key', 'in', keys)
        .union(db.selectFrom('consult_attachment').select('object_key').where('object_key', 'in', keys))
        .union(db.selectFrom('key_image').select('object_key').where('object_key', 'in', keys))
        .union(db.selectFrom('upload_part').select('object_key').where('object_key', 'in', keys))
        .execute();
      return new Set(rows.map((r) => r.object_key));
    },

    /** Studies of a hospital, newest first, with series/instance counts and the pixel-review backlog. */
    listStudies(filter: { tenantId: string; inboxOnly?: boolean; studyIds?: string[]; limit?: number }) {
      let query = db
        .selectFrom('study as s')
        .innerJoin('patient as p', 'p.id', 's.patient_id')
        .select([
          's.id', 's.tenant_id', 's.study_uid', 's.study_date', 's.study_time', 's.accession_number', 's.study_description',
          's.patient_age', 's.created_at', 'p.pseudonym_id', 'p.pseudonym_name', 'p.sex',
        ])
        .select((eb) => [
          eb.selectFrom('series').whereRef('series.study_id', '=', 's.id').select((e) => e.fn.countAll<number>().as('n')).as('series_count'),
          eb.selectFrom('instance').whereRef('instance.study_id', '=', 's.id').select((e) => e.fn.countAll<number>().as('n')).as('instance_count'),
          // Images are the instances with pixels (Rows): not the SRs, PDFs and key object notes stored beside them.
          eb
            .selectFrom('instance')
            .whereRef('instance.study_id', '=', 's.id')
            .where('instance.rows', 'is not', null)
            .select((e) => e.fn.countAll<number>().as('n'))
            .as('image_count'),
          eb
            .selectFrom('instance')
            .whereRef('instance.study_id', '=', 's.id')
            .where('instance.pixel_review', '=', 'pending')
            .select((e) => e.fn.countAll<number>().as('n'))
            .as('pending_review_count'),
          eb
            .selectFrom('instance')
            .whereRef('instance.study_id', '=', 's.id')
            .where('instance.pixel_review', '=', 'scanning')
            .select((e) => e.fn.countAll<number>().as('n'))
            .as('scanning_count'),
          sql<string[]>`(select coalesce(array_agg(distinct modality order by modality), '{}') from series where series.study_id = s.id and modality is not null)`.as('modalities'),
          eb
            .selectFrom('consult_study as cs')
            .innerJoin('consult as c', 'c.id', 'cs.consult_id')
            .whereRef('cs.study_id', '=', 's.id')
            .where('c.status', '!=', 'cancelled')
            .select('c.id')
            .limit(1)
            .as('consult_id'),
        ])
        .where('s.tenant_id', '=', filter.tenantId)
        .orderBy('s.created_at', 'desc')
        .limit(filter.limit ?? 200);
      if (filter.inboxOnly) {
        query = query.where((eb) => eb.not(eb.exists(eb.selectFrom('consult_study as cs').whereRef('cs.study_id', '=', 's.id').select('cs.study_id'))));
      }
      if (filter.studyIds) query = query.where('s.id', 'in', filter.studyIds.length ? filter.studyIds : ['00000000-0000-0000-0000-000000000000']);
      return query.execute();
    },

    /** Instances of a study (for review and retrieval), in series then instance order. */
    listInstances(studyId: string) {
      return db
        .selectFrom('instance as i')
        .innerJoin('series as se', 'se.id', 'i.series_id')
        .select([
          'i.id', 'i.sop_instance_uid', 'i.sop_class_uid', 'i.instance_number', 'i.pixel_review', 'i.pixel_review_reasons',
          'i.object_key', 'i.size_bytes', 'i.transfer_syntax_uid', 'i.rows', 'i.columns', 'i.number_of_frames',
          'se.series_uid', 'se.modality', 'se.series_number', 'se.series_description',
        ])
        .where('i.study_id', '=', studyId)
        .orderBy('se.series_number')
        .orderBy('se.series_uid')
        .orderBy('i.instance_number')
        .orderBy('i.sop_instance_uid')
        .execute();
    },

    /** Series of a study that hold instances, in series number order (without reading the instances). */
    listSeries(studyId: string) {
      return db
        .selectFrom('series as se')
        .select(['se.series_uid', 'se.modality', 'se.series_description'])
        .where('se.study_id', '=', studyId)
        .where((eb) => eb.exists(eb.selectFrom('instance as i').select('i.id').whereRef('i.series_id', '=', 'se.id')))
        .orderBy('se.series_number')
        .orderBy('se.series_uid')
        .execute();
    },

    /** Sets the pixel-review state of pending instances of one tenant's study; returns how many changed. */
    async setPixelReview(tenantId: string, studyId: string, instanceIds: string[], state: 'released' | 'removed'): Promise<number> {
      if (instanceIds.length === 0) return 0;
      const result = await db
        .updateTable('instance')
        .set({ pixel_review: state })
        .where('tenant_id', '=', tenantId)
        .where('study_id', '=', studyId)
        .where('id', 'in', instanceIds)
        .where('pixel_review', '=', 'pending')
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    /**
     * Replaces a held instance by its pixel-masked copy in one transaction: the copy is indexed
     * (patient, study and series are the original's) and the original's index row is deleted,
     * so no reader can reach it any more; the caller then deletes the original's object (or the
     * orphan sweep does). Only an instance still held for review (pending, or released) of this
     * tenant's study is replaced; otherwise nothing changes and `replaced` is false.
     */
    replaceMaskedInstance(original: { tenantId: string; studyId: string; instanceId: string }, record: InstanceRecord): Promise<{ replaced: false } | { replaced: true; instanceId: string }> {
      return db.transaction().execute(async (tx) => {
        const removed = await tx
          .deleteFrom('instance')
          .where('id', '=', original.instanceId)
          .where('tenant_id', '=', original.tenantId)
          .where('study_id', '=', original.studyId)
          .where('pixel_review', 'in', ['pending', 'released'])
          .returning('id')
          .executeTakeFirst();
        if (!removed) return { replaced: false as const };
        const indexed = await indexInTransaction(tx, record);
        if (indexed.duplicate) throw new Error('the masked copy’s fresh SOP Instance UID was already indexed');
        return { replaced: true as const, instanceId: indexed.instanceId };
      });
    },

    getStudy(id: string) {
      return db.selectFrom('study').selectAll().where('id', '=', id).executeTakeFirst();
    },

    getPatient(id: string) {
      return db.selectFrom('patient').selectAll().where('id', '=', id).executeTakeFirst();
    },

    findStudyByUid(studyUid: string) {
      return db.selectFrom('study').selectAll().where('study_uid', '=', studyUid).executeTakeFirst();
    },
  };
}

async function indexInTransaction(tx: Transaction<Database>, r: InstanceRecord): Promise<IndexResult> {
  const i = r.instance;
  const scanPolicy = i.pixelScan ?? 'none';
  // One statement for patient, study, series, instance and vault entries (`index_instance`,
  // migration 2026-12-10T01, a function so that its plan is made once per connection): every
  // round trip and every planning counts. "Do update" on a conflict (a no-op change) returns the
  // existing row and locks it, so concurrent uploads of one study serialize instead of racing.
  // Vault entries are written once: a study keeps the identity it arrived with, and a later
  // upload naming the same Patient ID differently must not rewrite it (the ingest pipeline
  // flags such uploads instead). A UID's original never changes anyway.
  const vault = r.vaultEntries;
  const { rows } = await sql<{ study_id: string; study_tenant: string; series_id: string; series_study: string; instance_id: string | null }>`
    select * from index_instance(
      ${r.tenantId}, ${r.uploadedBy},
      ${r.patient.pseudonymId}, ${r.patient.pseudonymName}, ${r.patient.sex}, ${r.patient.birthDate},
      ${r.study.studyUid}, ${r.study.studyDate}, ${r.study.studyTime}, ${r.study.accessionNumber}, ${r.study.studyDescription}, ${r.study.studyId}, ${r.study.patientAge},
      ${r.series.seriesUid}, ${r.series.modality}, ${r.series.seriesNumber}, ${r.series.seriesDescription}, ${r.series.bodyPart},
      ${scanPolicy}, ${SERIES_SAMPLE_SIZE},
      ${i.sopInstanceUid}, ${i.sopClassUid}, ${i.instanceNumber}, ${i.transferSyntaxUid},
      ${i.rows}, ${i.columns}, ${i.numberOfFrames}, ${i.bitsAllocated},
      ${i.sizeBytes}, ${i.sha256}, ${i.objectKey}, ${i.pixelReview}, ${i.pixelReviewReasons}, ${i.metadataJson ?? null},
      ${vault.map((e) => e.kind)}, ${vault.map((e) => e.pseudonym)}, ${vault.map((e) => e.keyVersion)}, ${vault.map((e) => Buffer.from(e.ciphertext))}
    )`.execute(tx);
  const row = rows[0]!;
  // Study and series UIDs are derived per hospital, so a clash across hospitals or studies
  // means a forged UID; the transaction rolls back.
  if (row.study_tenant !== r.tenantId) throw new TenantConflictError('study belongs to another tenant');
  if (row.series_study !== row.study_id) throw new TenantConflictError('series belongs to another study');
  if (row.instance_id) return { instanceId: row.instance_id, studyId: row.study_id, seriesId: row.series_id, duplicate: false };
  const existing = await tx.selectFrom('instance').select(['id', 'object_key']).where('sop_instance_uid', '=', i.sopInstanceUid).executeTakeFirstOrThrow();
  // Our own row (a retried write whose first commit went through): written, not a duplicate.
  return { instanceId: existing.id, studyId: row.study_id, seriesId: row.series_id, duplicate: existing.object_key !== i.objectKey };
}

export type StudyRepository = ReturnType<typeof createStudyRepository>;
