/**
 * Helpers for the browser tests and `pnpm bench:viewer`: they put studies on a running Yunzhen
 * server the way a sending hospital does (STOW-RS with an API token) and open a consult to the
 * reading centre, so a specialist finds it on the worklist.
 */
import { stowBody } from './dicom-fixtures.js';
import { demoToken } from './spawn-server.js';

async function call<T>(baseUrl: string, token: string, path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const response = await fetch(new URL(path, baseUrl), {
    method: init.method ?? 'GET',
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json', ...(init.body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/**
 * Stores instances with STOW-RS (PS3.18 10.5), `batch` per request, and returns the
 * (pseudonymized) StudyInstanceUIDs they were stored under.
 */
export async function stowInstances(baseUrl: string, token: string, instances: Uint8Array[], batch = 50): Promise<string[]> {
  const studies = new Set<string>();
  for (let start = 0; start < instances.length; start += batch) {
    const { body: request, contentType } = stowBody(instances.slice(start, start + batch));
    const response = await fetch(new URL('/dicomweb/studies', baseUrl), {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType, Accept: 'application/dicom+json' },
      body: request,
    });
    const body = (await response.json()) as Record<string, { Value?: Record<string, { Value?: string[] }>[] }>;
    if (response.status !== 200) throw new Error(`STOW-RS answered ${response.status}: ${JSON.stringify(body['00081198'])}`);
    for (const item of body['00081199']?.Value ?? []) {
      const url = item['00081190']?.Value?.[0] ?? '';
      const study = /\/studies\/([0-9.]+)\//.exec(url)?.[1];
      if (study) studies.add(study);
    }
  }
  return [...studies];
}

export interface SeededConsult {
  id: string;
  studyInstanceUids: string[];
}

/**
 * Opens a consult to the sender's first reading centre for the given (already stored) studies,
 * as the radiographer whose token this is.
 */
export async function createConsult(
  baseUrl: string,
  token: string,
  studyInstanceUids: string[],
  options: { clinicalQuestion: string; priority?: 'routine' | 'urgent' | 'stat' },
): Promise<SeededConsult> {
  const me = await call<{ readingCentres: { id: string }[] }>(baseUrl, token, '/api/me');
  const centre = me.readingCentres[0];
  if (!centre) throw new Error('the sender has no reading centre');
  const { studies } = await call<{ studies: { id: string; studyInstanceUid: string }[] }>(baseUrl, token, '/api/studies');
  const ids = studyInstanceUids.map((uid) => {
    const study = studies.find((s) => s.studyInstanceUid === uid);
    if (!study) throw new Error(`study ${uid} is not visible to the sender`);
    return study.id;
  });
  // Images held for pixel review (burned-in text suspected) are released, as the radiographer would after looking;
  // images still being OCR'd for burned-in text are waited for first (a server with PIXEL_OCR on).
  for (const id of ids) {
    let instances: { id: string; pixelReview: string }[] = [];
    for (let started = Date.now(); ; ) {
      ({ instances } = await call<{ instances: { id: string; pixelReview: string }[] }>(baseUrl, token, `/api/studies/${id}`));
      if (!instances.some((i) => i.pixelReview === 'scanning')) break;
      if (Date.now() - started > 10 * 60 * 1000) throw new Error('images were still being scanned for burned-in text after 10 minutes');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const held = instances.filter((i) => i.pixelReview === 'pending').map((i) => i.id);
    if (held.length) await call(baseUrl, token, `/api/studies/${id}/pixel-review`, { method: 'POST', body: { release: held, remove: [] } });
  }
  const { consult } = await call<{ consult: { id: string } }>(baseUrl, token, '/api/consults', {
    method: 'POST',
    body: { readingCentreId: centre.id, studyIds: ids, clinicalQuestion: options.clinicalQuestion, priority: options.priority ?? 'routine' },
  });
  return { id: consult.id, studyInstanceUids };
}

/** Stores the instances as the radiographer and opens one consult for all the studies they form. */
export async function seedConsult(
  baseUrl: string,
  instances: Uint8Array[],
  options: { clinicalQuestion: string; priority?: 'routine' | 'urgent' | 'stat'; sender?: string },
): Promise<SeededConsult> {
  const token = await demoToken(baseUrl, options.sender ?? 'rad@xuhui.demo');
  const studies = await stowInstances(baseUrl, token, instances);
  return createConsult(baseUrl, token, studies, options);
}
