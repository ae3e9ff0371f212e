/**
 * Reads started before the code that needs them has loaded. Opening a consult to read downloads
 * and compiles the Cornerstone bundle (a few hundred milliseconds); the consult, its series list
 * and their metadata are fetched meanwhile, so the first image waits for one of the two, not both.
 * Each response is handed out once, to the first caller asking for the same path.
 */
import type { ConsultSummary } from './api.js';
import { Tag, text, type DicomJson } from './viewer/dicom-json.js';
import { DICOM_JSON, dicomweb } from './viewer/dicomweb-paths.js';

/** Unclaimed answers are dropped after this long: they would be stale. */
const KEEP_MS = 30_000;

const early = new Map<string, Promise<Response>>();

function start(path: string, accept: string): Promise<Response> {
  const response = fetch(path, { credentials: 'same-origin', headers: { Accept: accept } });
  const forget = () => early.get(path) === response && early.delete(path);
  // A refusal is not kept: a reading link opened while signed out answers 401, and the page
  // must ask again once the reader has signed in.
  response.then((answer) => answer.ok || forget(), forget);
  early.set(path, response);
  setTimeout(forget, KEEP_MS);
  return response;
}

/** The early response for `path`, once; undefined when none was started (the caller fetches). */
export function takeEarly(path: string): Promise<Response> | undefined {
  const response = early.get(path);
  early.delete(path);
  return response;
}

/** Settles once the reads that follow from the consult (series list, metadata) are under way. */
let followUps: Promise<void> = Promise.resolve();

/**
 * `takeEarly` for the reads that follow from the consult: the page parses the consult as fast
 * as the early reads do, and asking before they have started a read would send it twice
 * (a series' metadata is the heaviest answer the page waits for).
 */
export async function takeEarlyFollowUp(path: string): Promise<Response | undefined> {
  const response = takeEarly(path);
  if (response) return response;
  await followUps;
  return takeEarly(path);
}

/** Starts the reads the reading page makes first: the consult, its first study's series and their metadata. */
export function startReadingReads(consultId: string): void {
  const consultPath = `/api/consults/${encodeURIComponent(consultId)}`;
  if (early.has(consultPath)) return; // started already (a reading link opened directly)
  followUps = start(consultPath, 'application/json')
    .then(async (response) => {
      if (!response.ok) return;
      const { consult } = (await response.clone().json()) as { consult: ConsultSummary };
      const study = consult.studies[0]?.studyInstanceUid;
      if (!study) return;
      const series = await start(dicomweb.series(study), DICOM_JSON);
      if (!series.ok) return;
      for (const json of (await series.clone().json()) as DicomJson[]) start(dicomweb.seriesMetadata(study, text(json, Tag.SeriesInstanceUID)), DICOM_JSON);
    })
    .catch(() => undefined); // best effort: the page makes any read that did not start here
}
