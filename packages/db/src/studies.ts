import { sql, type Kysely, type Transaction } from 'kysely';

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

/** Writes and reads of the image index. Every write of one instance is one transaction. */
export function createStudyRepository(db: Kysely<Database>) {
  return {
    /** The indexed instance with this SOP Instance UID, if any. */
    findInstance(sopInstanceUid: string) {
      return db
        .selectFrom('instance')
        .select(['id', 'study_id', 'series_id', 'tenant_id', 'object_key'])
        .where('sop_instance_uid', '=', sopInstanceUid)
        .executeTakeFirst();
    },

    /** Which of these SOP Instance UIDs are indexed for this tenant. */
    async existingInstances(tenantId: string, sopInstanceUids: string[]): Promise<Set<string>> {
      if (sopInstanceUids.length === 0) return new Set();
      const rows = await db
        .selectFrom('instance')
        .select('sop_instance_uid')
        .where('tenant_id', '=', tenantId)
        .where('sop_instance_uid', 'in', sopInstanceUids)
        .execute();
      return new Set(rows.map((r) => r.sop_instance_uid));
    },

    /**
     * Indexes one instance (patient, study and series created on first sight) together with
     * its vault entries. A concurrent duplicate loses the unique-key race and reports
     * `duplicate: true`; the caller then removes the object it wrote.
     */
    indexInstance(record: InstanceRecord): Promise<IndexResult> {
      return db.transaction().execute((tx) => indexInTransaction(tx, record));
    },

    /** Object keys among `keys` that an index row points to. */
    async referencedObjectKeys(keys: string[]): Promise<Set<string>> {
      if (keys.length === 0) return new Set();
      const rows = await db
        .selectFrom('instance')
        .select('object_key')
        .where('object_key', 'in', keys)
        .union(db.selectFrom('consult_attachment').select('object_key').where('object_key', 'in', keys))
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
          eb
            .selectFrom('instance')
            .whereRef('instance.study_id', '=', 's.id')
            .where('instance.pixel_review', '=', 'pending')
            .select((e) => e.fn.countAll<number>().as('n'))
            .as('pending_review_count'),
          sql<string[]>`(select coalesce(array_agg(distinct modality order by modality), '{}') from series where series.study_id = s.id and modality is not null)`.as('modalities'),
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

    getStudy(id: string) {
      return db.selectFrom('study').selectAll().where('id', '=', id).executeTakeFirst();
    },

    findStudyByUid(studyUid: string) {
      return db.selectFrom('study').selectAll().where('study_uid', '=', studyUid).executeTakeFirst();
    },
  };
}

async function indexInTransaction(tx: Transaction<Database>, r: InstanceRecord): Promise<IndexResult> {
  const patient = await tx
    .insertInto('patient')
    .values({ tenant_id: r.tenantId, pseudonym_id: r.patient.pseudonymId, pseudonym_name: r.patient.pseudonymName, sex: r.patient.sex, birth_date: r.patient.birthDate })
    .onConflict((oc) => oc.columns(['tenant_id', 'pseudonym_id']).doUpdateSet({ sex: sql`coalesce(patient.sex, excluded.sex)` }))
    .returning('id')
    .executeTakeFirstOrThrow();

  await tx
    .insertInto('study')
    .values({
      tenant_id: r.tenantId,
      patient_id: patient.id,
      study_uid: r.study.studyUid,
      study_date: r.study.studyDate,
      study_time: r.study.studyTime,
      accession_number: r.study.accessionNumber,
      study_description: r.study.studyDescription,
      study_id: r.study.studyId,
      patient_age: r.study.patientAge,
      uploaded_by: r.uploadedBy,
    })
    .onConflict((oc) => oc.column('study_uid').doNothing())
    .execute();
  const study = await tx.selectFrom('study').select(['id', 'tenant_id']).where('study_uid', '=', r.study.studyUid).executeTakeFirstOrThrow();
  // Study UIDs are derived per hospital, so a clash across hospitals means a forged UID.
  if (study.tenant_id !== r.tenantId) throw new TenantConflictError('study belongs to another tenant');

  await tx
    .insertInto('series')
    .values({
      study_id: study.id,
      tenant_id: r.tenantId,
      series_uid: r.series.seriesUid,
      modality: r.series.modality,
      series_number: r.series.seriesNumber,
      series_description: r.series.seriesDescription,
      body_part: r.series.bodyPart,
    })
    .onConflict((oc) => oc.column('series_uid').doNothing())
    .execute();
  const series = await tx.selectFrom('series').select(['id', 'study_id']).where('series_uid', '=', r.series.seriesUid).executeTakeFirstOrThrow();
  if (series.study_id !== study.id) throw new TenantConflictError('series belongs to another study');

  const i = r.instance;
  const inserted = await tx
    .insertInto('instance')
    .values({
      series_id: series.id,
      study_id: study.id,
      tenant_id: r.tenantId,
      sop_instance_uid: i.sopInstanceUid,
      sop_class_uid: i.sopClassUid,
      instance_number: i.instanceNumber,
      transfer_syntax_uid: i.transferSyntaxUid,
      rows: i.rows,
      columns: i.columns,
      number_of_frames: i.numberOfFrames,
      bits_allocated: i.bitsAllocated,
      size_bytes: i.sizeBytes,
      sha256: i.sha256,
      object_key: i.objectKey,
      pixel_review: i.pixelReview,
      pixel_review_reasons: i.pixelReviewReasons,
      uploaded_by: r.uploadedBy,
    })
    .onConflict((oc) => oc.column('sop_instance_uid').doNothing())
    .returning('id')
    .executeTakeFirst();

  if (r.vaultEntries.length) {
    await tx
      .insertInto('vault_entry')
      .values(r.vaultEntries.map((e) => ({ tenant_id: r.tenantId, kind: e.kind, pseudonym: e.pseudonym, key_version: e.keyVersion, ciphertext: e.ciphertext })))
      .onConflict((oc) => oc.columns(['tenant_id', 'kind', 'pseudonym']).doNothing())
      .execute();
  }

  if (inserted) return { instanceId: inserted.id, studyId: study.id, seriesId: series.id, duplicate: false };
  const existing = await tx.selectFrom('instance').select('id').where('sop_instance_uid', '=', i.sopInstanceUid).executeTakeFirstOrThrow();
  return { instanceId: existing.id, studyId: study.id, seriesId: series.id, duplicate: true };
}

export type StudyRepository = ReturnType<typeof createStudyRepository>;
