import type { Context } from 'hono';
import { Hono } from 'hono';

import type { InstanceMatch, QidoFilters, Repositories, SeriesMatch, StudyMatch } from '@yunzhen/db';

import type { AppEnv } from '../app-env.js';
import { AuditEvent, Outcome, type AuditWriter } from '../audit.js';
import { requireUser } from '../auth/authenticate.js';
import { AppError } from '../errors.js';
import { imageScope } from './access.js';
import { attr, personName, T, type DicomJsonDataset } from './dicom-json.js';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

type Level = 'study' | 'series' | 'instance';

/** Matching keys by keyword and by tag (PS3.18 8.3.4.1: either spelling). */
const keyAliases: Record<string, string> = Object.fromEntries(
  Object.entries(T).flatMap(([keyword, tag]) => [
    [keyword.toLowerCase(), keyword],
    [tag.toLowerCase(), keyword],
  ]),
);

const supportedKeys: Record<Level, Set<string>> = {
  study: new Set(['StudyInstanceUID', 'PatientName', 'PatientID', 'StudyDate', 'StudyTime', 'AccessionNumber', 'ModalitiesInStudy', 'StudyDescription', 'StudyID']),
  series: new Set(['StudyInstanceUID', 'SeriesInstanceUID', 'Modality', 'SeriesNumber', 'SeriesDescription', 'PatientName', 'PatientID', 'StudyDate', 'AccessionNumber']),
  instance: new Set(['StudyInstanceUID', 'SeriesInstanceUID', 'SOPInstanceUID', 'SOPClassUID', 'InstanceNumber', 'Modality', 'PatientName', 'PatientID', 'StudyDate']),
};

/**
 * QIDO-RS (PS3.18 10.6) at study, series and instance level, always within the caller's
 * scope. Answers are `application/dicom+json` arrays (PS3.18 F.2) with the computed counts.
 */
export function qidoRoutes(deps: { repos: Repositories; audit: AuditWriter }) {
  const search = (level: Level) => async (c: Context<AppEnv>) => {
    const principal = requireUser(c);
    const { filters, paging, includeAll, ignored } = parseQuery(c, level);
    const scope = imageScope(principal);
    const origin = c.var.publicBase;
    let results: DicomJsonDataset[];
    if (level === 'study') results = (await deps.repos.dicomweb.searchStudies(scope, filters, paging)).map((m) => studyJson(m, origin, includeAll));
    else if (level === 'series') results = (await deps.repos.dicomweb.searchSeries(scope, filters, paging)).map((m) => seriesJson(m, origin, includeAll));
    else results = (await deps.repos.dicomweb.searchInstances(scope, filters, paging)).map((m) => instanceJson(m, origin, includeAll));
    await deps.audit(c, { eventCode: AuditEvent.Query, action: 'E', outcome: Outcome.Success, detail: { level, results: results.length } });
    if (ignored.length) c.header('Warning', `299 yunzhen "not supported for matching and ignored: ${ignored.join(', ')}"`);
    return c.body(JSON.stringify(results), 200, { 'Content-Type': 'application/dicom+json' });
  };

  return new Hono<AppEnv>()
    .get('/studies', search('study'))
    .get('/studies/:study/series', search('series'))
    .get('/series', search('series'))
    .get('/studies/:study/series/:series/instances', search('instance'))
    .get('/studies/:study/instances', search('instance'))
    .get('/instances', search('instance'));
}

function parseQuery(c: Context<AppEnv>, level: Level) {
  const filters: QidoFilters = {};
  const ignored: string[] = [];
  let limit = DEFAULT_LIMIT;
  let offset = 0;
  let includeAll = false;
  const study = c.req.param('study');
  const series = c.req.param('series');
  if (study) filters.studyUids = [study];
  if (series) filters.seriesUids = [series];

  for (const [rawKey, values] of Object.entries(c.req.queries())) {
    const key = rawKey.toLowerCase();
    const value = values.join(',');
    if (key === 'limit') limit = integer(value, 'limit', 1, MAX_LIMIT);
    else if (key === 'offset') offset = integer(value, 'offset', 0, Number.MAX_SAFE_INTEGER);
    else if (key === 'includefield') includeAll ||= values.some((v) => v.split(',').includes('all'));
    else if (key === 'fuzzymatching') continue; // accepted; names already match case-insensitively
    else {
      const keyword = keyAliases[key];
      if (!keyword || !supportedKeys[level].has(keyword)) {
        ignored.push(rawKey);
        continue;
      }
      applyKey(filters, keyword, value);
    }
  }
  return { filters, paging: { limit, offset }, includeAll, ignored };
}

function integer(value: string, name: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new AppError('InvalidRequest', `invalid or missing: ${name}`);
  return Math.min(n, max);
}

const uidList = (value: string) => value.split(/[,\\]/).map((v) => v.trim()).filter(Boolean);

function applyKey(filters: QidoFilters, keyword: string, value: string): void {
  switch (keyword) {
    case 'StudyInstanceUID':
      filters.studyUids = intersect(filters.studyUids, uidList(value));
      break;
    case 'SeriesInstanceUID':
      filters.seriesUids = intersect(filters.seriesUids, uidList(value));
      break;
    case 'SOPInstanceUID':
      filters.sopUids = uidList(value);
      break;
    case 'SOPClassUID':
      filters.sopClassUids = uidList(value);
      break;
    case 'PatientName':
      filters.patientName = value;
      break;
    case 'PatientID':
      filters.patientId = value;
      break;
    case 'AccessionNumber':
      filters.accessionNumber = value;
      break;
    case 'StudyDescription':
      filters.studyDescription = value;
      break;
    case 'SeriesDescription':
      filters.seriesDescription = value;
      break;
    case 'StudyID':
      filters.studyId = value;
      break;
    case 'ModalitiesInStudy':
      filters.modalitiesInStudy = uidList(value);
      break;
    case 'Modality':
      filters.modality = uidList(value);
      break;
    case 'SeriesNumber':
      filters.seriesNumber = integer(value, 'SeriesNumber', -2147483648, 2147483647);
      break;
    case 'InstanceNumber':
      filters.instanceNumber = integer(value, 'InstanceNumber', -2147483648, 2147483647);
      break;
    case 'StudyDate':
      filters.studyDate = dateRange(value);
      break;
    case 'StudyTime':
      filters.studyTime = timeRange(value);
      break;
  }
}

function intersect(existing: string[] | undefined, values: string[]): string[] {
  return existing ? existing.filter((v) => values.includes(v)) : values;
}

/** DA matching (PS3.4 C.2.2.2.5): a date, `from-`, `-to` or `from-to`, as YYYYMMDD. */
function dateRange(value: string): { from?: string; to?: string } {
  const match = /^(\d{8})?(-)?(\d{8})?$/.exec(value.trim());
  if (!match || (!match[1] && !match[3])) throw new AppError('InvalidRequest', 'invalid or missing: StudyDate');
  const iso = (d: string) => `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`;
  if (!match[2]) return { from: iso(match[1]!), to: iso(match[1]!) };
  return { ...(match[1] && { from: iso(match[1]) }), ...(match[3] && { to: iso(match[3]) }) };
}

function timeRange(value: string): { from?: string; to?: string } {
  const match = /^(\d{2,6}(?:\.\d+)?)?(-)?(\d{2,6}(?:\.\d+)?)?$/.exec(value.trim());
  if (!match || (!match[1] && !match[3])) throw new AppError('InvalidRequest', 'invalid or missing: StudyTime');
  if (!match[2]) return { from: match[1], to: match[1] };
  return { ...(match[1] && { from: match[1] }), ...(match[3] && { to: match[3] }) };
}

const da = (date: string | null) => (date ? date.replaceAll('-', '') : null);

type StudyFields = Pick<StudyMatch, 'study_date' | 'study_time' | 'accession_number' | 'pseudonym_name' | 'pseudonym_id' | 'birth_date' | 'sex' | 'study_uid' | 'study_id' | 'study_description'>;

function studyAttributes(m: StudyFields, origin: string): DicomJsonDataset {
  return {
    [T.SpecificCharacterSet]: attr('CS', 'ISO_IR 192'),
    [T.StudyDate]: attr('DA', da(m.study_date)),
    [T.StudyTime]: attr('TM', m.study_time),
    [T.AccessionNumber]: attr('SH', m.accession_number),
    [T.PatientName]: personName(m.pseudonym_name),
    [T.PatientID]: attr('LO', m.pseudonym_id),
    [T.PatientBirthDate]: attr('DA', m.birth_date),
    [T.PatientSex]: attr('CS', m.sex),
    [T.StudyInstanceUID]: attr('UI', m.study_uid),
    [T.StudyID]: attr('SH', m.study_id),
    [T.StudyDescription]: attr('LO', m.study_description),
    [T.RetrieveURL]: attr('UR', `${origin}/dicomweb/studies/${m.study_uid}`),
  };
}

function studyJson(m: StudyMatch, origin: string, includeAll: boolean): DicomJsonDataset {
  return sortTags({
    ...studyAttributes(m, origin),
    [T.ModalitiesInStudy]: attr('CS', ...(m.modalities ?? []).sort()),
    [T.NumberOfStudyRelatedSeries]: attr('IS', Number(m.series_count)),
    [T.NumberOfStudyRelatedInstances]: attr('IS', Number(m.instance_count)),
    ...(includeAll && { [T.PatientAge]: attr('AS', m.patient_age) }),
  });
}

function seriesAttributes(m: SeriesMatch | InstanceMatch): DicomJsonDataset {
  return {
    [T.Modality]: attr('CS', m.modality),
    [T.SeriesDescription]: attr('LO', m.series_description),
    [T.SeriesInstanceUID]: attr('UI', m.series_uid),
    [T.SeriesNumber]: attr('IS', m.series_number),
  };
}

function seriesJson(m: SeriesMatch & { instance_count: number }, origin: string, includeAll: boolean): DicomJsonDataset {
  return sortTags({
    ...(includeAll ? studyAttributes(m, origin) : { [T.StudyInstanceUID]: attr('UI', m.study_uid), [T.SpecificCharacterSet]: attr('CS', 'ISO_IR 192') }),
    ...seriesAttributes(m),
    ...(includeAll && { [T.BodyPartExamined]: attr('CS', m.body_part) }),
    [T.NumberOfSeriesRelatedInstances]: attr('IS', Number(m.instance_count)),
    [T.RetrieveURL]: attr('UR', `${origin}/dicomweb/studies/${m.study_uid}/series/${m.series_uid}`),
  });
}

function instanceJson(m: InstanceMatch, origin: string, includeAll: boolean): DicomJsonDataset {
  return sortTags({
    ...(includeAll ? studyAttributes(m, origin) : { [T.StudyInstanceUID]: attr('UI', m.study_uid), [T.SpecificCharacterSet]: attr('CS', 'ISO_IR 192') }),
    ...seriesAttributes(m),
    [T.SOPClassUID]: attr('UI', m.sop_class_uid),
    [T.SOPInstanceUID]: attr('UI', m.sop_instance_uid),
    [T.InstanceNumber]: attr('IS', m.instance_number),
    [T.Rows]: attr('US', m.rows),
    [T.Columns]: attr('US', m.columns),
    [T.BitsAllocated]: attr('US', m.bits_allocated),
    [T.NumberOfFrames]: attr('IS', m.number_of_frames),
    [T.RetrieveURL]: attr('UR', `${origin}/dicomweb/studies/${m.study_uid}/series/${m.series_uid}/instances/${m.sop_instance_uid}`),
  });
}

/** DICOM JSON lists attributes in tag order. */
function sortTags(dataset: DicomJsonDataset): DicomJsonDataset {
  return Object.fromEntries(Object.entries(dataset).sort(([a], [b]) => (a < b ? -1 : 1)));
}
