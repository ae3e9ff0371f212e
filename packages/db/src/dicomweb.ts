import { sql, type ExpressionBuilder, type Kysely, type SelectQueryBuilder } from 'kysely';

import { referredTo } from './referrals.js';
import type { Database } from './schema.js';

/**
 * Whose images a caller may see: `own` covers the studies of the caller's hospital; `reader`
 * the studies of consults addressed to it (a reading centre), without instances held for
 * pixel review or removed from the consult.
 */
export interface ImageScope {
  tenantId: string;
  own: boolean;
  reader: boolean;
}

/** A date or time range; either end may be open (PS3.4 C.2.2.2.5). */
export interface Range {
  from?: string;
  to?: string;
}

/** QIDO-RS matching keys (PS3.18 10.6.1.2) as the index holds them. Text values may hold `*` and `?`. */
export interface QidoFilters {
  studyUids?: string[];
  seriesUids?: string[];
  sopUids?: string[];
  patientName?: string;
  patientId?: string;
  accessionNumber?: string;
  studyDescription?: string;
  studyId?: string;
  modalitiesInStudy?: string[];
  studyDate?: Range;
  studyTime?: Range;
  modality?: string[];
  seriesDescription?: string;
  seriesNumber?: number;
  instanceNumber?: number;
  sopClassUids?: string[];
}

export interface Paging {
  limit: number;
  offset: number;
}

/** The pattern of a wildcard match, as SQL LIKE; null when the value has no wildcard. */
function likePattern(value: string): string | null {
  if (!/[*?]/.test(value)) return null;
  return value.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, '%').replace(/\?/g, '_');
}

/** Pixel-review states a reading centre may see: nothing held, or released by the sender. */
const READABLE = ['none', 'released'];

/** A consult that is not cancelled puts the study `studyRef` names before reading centre `tenantId`. */
function consultTo(eb: ExpressionBuilder<any, any>, studyRef: string, tenantId: string) {
  return eb.exists(
    eb
      .selectFrom('consult_study as cs')
      .innerJoin('consult as c', 'c.id', 'cs.consult_id')
      .select('cs.study_id')
      .whereRef('cs.study_id', '=', studyRef)
      // The centre the consult is addressed to, or a centre it was referred to with the sender's consent.
      .where((e) => e.or([e('c.reading_tenant_id', '=', tenantId), e('c.id', 'in', referredTo(e, tenantId))]))
      .where('c.status', '!=', 'cancelled'),
  );
}

/** Instances visible in the scope (the one predicate every DICOMweb read uses). */
function visibleInstance(eb: ExpressionBuilder<any, any>, scope: ImageScope) {
  const parts = [];
  if (scope.own) parts.push(eb('i.tenant_id', '=', scope.tenantId));
  if (scope.reader) parts.push(eb.and([eb('i.pixel_review', 'in', READABLE), consultTo(eb, 'i.study_id', scope.tenantId)]));
  return parts.length ? eb.or(parts) : eb.val(false);
}

/**
 * Studies that hold an instance visible in the scope: `visibleInstance` decided once per
 * study. Instances carry their study's tenant (ingest writes both from one hospital), and a
 * consult covers whole studies, so only the pixel-review hold is per instance.
 */
function visibleStudy(eb: ExpressionBuilder<any, any>, scope: ImageScope) {
  if (scope.own && scope.reader) return eb.exists(eb.selectFrom('instance as i').select('i.id').whereRef('i.study_id', '=', 's.id').where((e) => visibleInstance(e, scope)));
  const anyInstance = eb.selectFrom('instance as i').select('i.id').whereRef('i.study_id', '=', 's.id');
  if (scope.own) return eb.and([eb('s.tenant_id', '=', scope.tenantId), eb.exists(anyInstance)]);
  if (scope.reader) return eb.and([consultTo(eb, 's.id', scope.tenantId), eb.exists(anyInstance.where('i.pixel_review', 'in', READABLE))]);
  return eb.val(false);
}

/** Of a visible study's instances, those visible in the scope (see visibleStudy). */
function visibleInStudy(eb: ExpressionBuilder<any, any>, scope: ImageScope) {
  if (scope.own && scope.reader) return visibleInstance(eb, scope);
  if (scope.reader) return eb('i.pixel_review', 'in', READABLE);
  return eb.val(scope.own);
}

function textMatch(eb: ExpressionBuilder<any, any>, column: string, value: string) {
  const pattern = likePattern(value);
  // PS3.4 C.2.2.2.1: PN matching is case-insensitive here, as most archives do; other text exact.
  return pattern ? eb(sql.ref(column), 'ilike', pattern) : eb(sql`lower(${sql.ref(column)})`, '=', value.toLowerCase());
}

function applyFilters<QB extends SelectQueryBuilder<any, any, any>>(query: QB, f: QidoFilters): QB {
  let q = query as SelectQueryBuilder<any, any, any>;
  if (f.studyUids?.length) q = q.where('s.study_uid', 'in', f.studyUids);
  if (f.seriesUids?.length) q = q.where('se.series_uid', 'in', f.seriesUids);
  if (f.sopUids?.length) q = q.where('i.sop_instance_uid', 'in', f.sopUids);
  if (f.sopClassUids?.length) q = q.where('i.sop_class_uid', 'in', f.sopClassUids);
  if (f.patientName) q = q.where((eb) => textMatch(eb, 'p.pseudonym_name', f.patientName!));
  if (f.patientId) q = q.where((eb) => textMatch(eb, 'p.pseudonym_id', f.patientId!));
  if (f.accessionNumber) q = q.where((eb) => textMatch(eb, 's.accession_number', f.accessionNumber!));
  if (f.studyDescription) q = q.where((eb) => textMatch(eb, 's.study_description', f.studyDescription!));
  if (f.seriesDescription) q = q.where((eb) => textMatch(eb, 'se.series_description', f.seriesDescription!));
  if (f.studyId) q = q.where((eb) => textMatch(eb, 's.study_id', f.studyId!));
  if (f.modality?.length) q = q.where('se.modality', 'in', f.modality);
  if (f.seriesNumber !== undefined) q = q.where('se.series_number', '=', f.seriesNumber);
  if (f.instanceNumber !== undefined) q = q.where('i.instance_number', '=', f.instanceNumber);
  if (f.studyDate?.from) q = q.where('s.study_date', '>=', f.studyDate.from);
  if (f.studyDate?.to) q = q.where('s.study_date', '<=', f.studyDate.to);
  if (f.studyTime?.from) q = q.where('s.study_time', '>=', f.studyTime.from);
  if (f.studyTime?.to) q = q.where('s.study_time', '<=', `${f.studyTime.to}\uffff`);
  if (f.modalitiesInStudy?.length) {
    const modalities = f.modalitiesInStudy;
    q = q.where((eb) => eb.exists(eb.selectFrom('series as ms').select('ms.id').whereRef('ms.study_id', '=', 's.id').where('ms.modality', 'in', modalities)));
  }
  return q as QB;
}

/** QIDO-RS and WADO-RS reads over the index, always inside an `ImageScope`. */
export function createDicomwebRepository(db: Kysely<Database>) {
  const base = (scope: ImageScope) =>
    db
      .selectFrom('instance as i')
      .innerJoin('series as se', 'se.id', 'i.series_id')
      .innerJoin('study as s', 's.id', 'i.study_id')
      .innerJoin('patient as p', 'p.id', 's.patient_id')
      .where((eb) => visibleInstance(eb, scope));

  const studyColumns = [
    's.id as study_pk', 's.study_uid', 's.study_date', 's.study_time', 's.accession_number', 's.study_description', 's.study_id',
    's.patient_age', 'p.pseudonym_name', 'p.pseudonym_id', 'p.sex', 'p.birth_date',
  ] as const;
  const seriesColumns = ['se.series_uid', 'se.modality', 'se.series_number', 'se.series_description', 'se.body_part'] as const;

  return {
    /**
     * Studies first (one page of them, matched and ordered on the study rows), then the counts
     * of that page only: aggregating every visible instance before paging costs time in
     * proportion to the archive, not to the answer.
     */
    async searchStudies(scope: ImageScope, filters: QidoFilters, paging: Paging) {
      let query = db
        .selectFrom('study as s')
        .innerJoin('patient as p', 'p.id', 's.patient_id')
        .where((eb) => visibleStudy(eb, scope));
      query = applyFilters(query, filters);
      return query
        .select(studyColumns)
        .select((eb) => [
          // Both counts in one pass over the study's instances, for the page's rows only.
          eb
            .selectFrom('instance as i')
            .whereRef('i.study_id', '=', 's.id')
            .where((e) => visibleInStudy(e, scope))
            .select(sql<string[]>`array[count(distinct i.series_id), count(*)]`.as('n'))
            .as('counts'),
          sql<string[]>`(select array_agg(distinct se.modality) from series se where se.study_id = s.id and se.modality is not null)`.as('modalities'),
        ])
        .orderBy('s.study_date', (ob) => ob.desc().nullsLast())
        .orderBy('s.created_at', 'desc')
        .orderBy('s.study_uid')
        .limit(paging.limit)
        .offset(paging.offset)
        .execute()
        .then((rows) => rows.map(({ counts, ...row }) => ({ ...row, series_count: Number(counts?.[0] ?? 0), instance_count: Number(counts?.[1] ?? 0) })));
    },

    async searchSeries(scope: ImageScope, filters: QidoFilters, paging: Paging) {
      let query = db
        .selectFrom('series as se')
        .innerJoin('study as s', 's.id', 'se.study_id')
        .innerJoin('patient as p', 'p.id', 's.patient_id')
        .where((eb) => eb.exists(eb.selectFrom('instance as i').select('i.id').whereRef('i.series_id', '=', 'se.id').where((e) => visibleInstance(e, scope))));
      query = applyFilters(query, filters);
      return query
        .select([...studyColumns, ...seriesColumns])
        .select((eb) =>
          eb
            .selectFrom('instance as i')
            .whereRef('i.series_id', '=', 'se.id')
            .where((e) => visibleInstance(e, scope))
            .select((e) => e.fn.countAll<number>().as('n'))
            .as('instance_count'),
        )
        .orderBy('s.study_uid')
        .orderBy('se.series_number')
        .orderBy('se.series_uid')
        .limit(paging.limit)
        .offset(paging.offset)
        .execute()
        .then((rows) => rows.map((row) => ({ ...row, instance_count: Number(row.instance_count) })));
    },

    async searchInstances(scope: ImageScope, filters: QidoFilters, paging: Paging) {
      return applyFilters(base(scope), filters)
        .select([...studyColumns, ...seriesColumns])
        .select([
          'i.sop_instance_uid', 'i.sop_class_uid', 'i.instance_number', 'i.rows', 'i.columns', 'i.number_of_frames', 'i.bits_allocated',
          'i.transfer_syntax_uid', 'i.object_key', 'i.size_bytes',
        ])
        .orderBy('s.study_uid')
        .orderBy('se.series_number')
        .orderBy('se.series_uid')
        .orderBy('i.instance_number')
        .orderBy('i.sop_instance_uid')
        .limit(paging.limit)
        .offset(paging.offset)
        .execute();
    },

    /** The metadata kept at ingest for these stored objects (those that have it), by object key. */
    async storedMetadata(objectKeys: string[]): Promise<Map<string, string>> {
      if (objectKeys.length === 0) return new Map();
      const rows = await db.selectFrom('instance').select(['object_key', 'metadata_json']).where('object_key', 'in', objectKeys).where('metadata_json', 'is not', null).execute();
      return new Map(rows.map((row) => [row.object_key, row.metadata_json!]));
    },

    /** Stored objects to retrieve, in series then instance order; empty when nothing is visible. */
    async retrievable(scope: ImageScope, target: { studyUid: string; seriesUid?: string; sopUid?: string }) {
      let query = base(scope)
        .select(['i.object_key', 'i.size_bytes', 'i.transfer_syntax_uid', 'i.sop_instance_uid', 'i.sop_class_uid', 'se.series_uid', 's.study_uid', 's.id as study_pk'])
        .where('s.study_uid', '=', target.studyUid);
      if (target.seriesUid) query = query.where('se.series_uid', '=', target.seriesUid);
      if (target.sopUid) query = query.where('i.sop_instance_uid', '=', target.sopUid);
      return query.orderBy('se.series_number').orderBy('se.series_uid').orderBy('i.instance_number').orderBy('i.sop_instance_uid').execute();
    },
  };
}

export type DicomwebRepository = ReturnType<typeof createDicomwebRepository>;
export type StudyMatch = Awaited<ReturnType<DicomwebRepository['searchStudies']>>[number];
export type SeriesMatch = Awaited<ReturnType<DicomwebRepository['searchSeries']>>[number];
export type InstanceMatch = Awaited<ReturnType<DicomwebRepository['searchInstances']>>[number];
