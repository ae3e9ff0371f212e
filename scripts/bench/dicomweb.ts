/**
 * `pnpm bench:dicomweb`: DICOMweb read latency and throughput on the embedded defaults.
 *
 * - QIDO-RS over an index of 100,000 instances (1,000 studies × 4 series × 25 instances of 500
 *   patients, generated straight into the database, not uploaded): typical worklist queries,
 *   median and p95 over repeated requests.
 * - WADO-RS single frames of a real 300-slice 512×512 CT uploaded through STOW-RS: the first
 *   read of each instance (cold: from the object store) and repeated reads (warm: the viewer's
 *   pattern), median and p95.
 * - Whole-study retrieval (multipart, stored transfer syntax) in MB/s.
 * With Debian's `orthanc` and `orthanc-dicomweb` installed, Orthanc gets the same CT and the
 * same frame and study requests in the same run, and ratios are printed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { buildCtSeries } from '@yunzhen/dicom/testing/synthetic';
import { demoToken, spawnServer, stowBody } from '@yunzhen/server/testing';

import { seedIndex, STUDIES, SERIES_PER_STUDY, INSTANCES_PER_SERIES } from './dicomweb-seed.js';
import { percentile, pool, report, round, startOrthanc } from './harness.js';

async function timed(times: number, request: () => Promise<Response>): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    const response = await request();
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    // Read the body as a client that streams does (a viewer parsing parts as they arrive);
    // collecting a 150 MB multipart into one ArrayBuffer measured the client's copying instead.
    for await (const chunk of response.body!) void chunk;
    latencies.push(performance.now() - started);
  }
  return latencies;
}

function summary(latencies: number[]) {
  return { median_ms: round(percentile(latencies, 50), 2), p95_ms: round(percentile(latencies, 95), 2) };
}

const dataDir = await mkdtemp(join(tmpdir(), 'yunzhen-bench-dicomweb-'));
await seedIndex(dataDir);
const server = await spawnServer({ dataDir, env: { LOG_LEVEL: 'warn' } });
const files = buildCtSeries({ slices: 300, rows: 512, columns: 512, seed: 21 });
const studyMb = files.reduce((sum, f) => sum + f.length, 0) / 1e6;

try {
  const token = await demoToken(server.url, 'rad@xuhui.demo');
  const auth = { Authorization: `Bearer ${token}` };
  const get = (path: string, accept = 'application/dicom+json') => fetch(`${server.url}${path}`, { headers: { ...auth, Accept: accept } });

  // QIDO-RS worklist queries over the generated index.
  const queries: Record<string, string> = {
    'latest-50': '/dicomweb/studies?limit=50',
    'patient-name-wildcard': '/dicomweb/studies?PatientName=anonymous%5Eyzbench12*&limit=50',
    'patient-id': '/dicomweb/studies?PatientID=YZBENCH123',
    'date-range-month': '/dicomweb/studies?StudyDate=20240301-20240331&limit=100',
    'modality-ct': '/dicomweb/studies?ModalitiesInStudy=CT&limit=50',
    'accession': '/dicomweb/studies?AccessionNumber=BENCH500',
    'series-of-study': '/dicomweb/studies/2.25.9500/series',
    'instances-of-series': '/dicomweb/studies/2.25.9500/series/2.25.9500.2/instances',
  };
  for (const [name, path] of Object.entries(queries)) {
    await timed(5, () => get(path));
    const result = summary(await timed(100, () => get(path)));
    report({ bench: 'dicomweb', measure: 'qido', query: name, index_instances: STUDIES * SERIES_PER_STUDY * INSTANCES_PER_SERIES, ...result }, `QIDO ${name}: median ${result.median_ms} ms, p95 ${result.p95_ms} ms`);
  }

  // A real study for WADO-RS.
  const uids: { study: string; series: string; sop: string }[] = [];
  await pool(files, 4, async (file) => {
    const { body, contentType } = stowBody([file]);
    const response = await fetch(`${server.url}/dicomweb/studies`, { method: 'POST', headers: { ...auth, 'Content-Type': contentType }, body });
    const url: string = ((await response.json()) as Record<string, { Value: Record<string, { Value: string[] }>[] }>)['00081199']!.Value[0]!['00081190']!.Value[0]!;
    const [, study, series, sop] = /studies\/([\d.]+)\/series\/([\d.]+)\/instances\/([\d.]+)$/.exec(url)!;
    uids.push({ study: study!, series: series!, sop: sop! });
  });
  const frameAccept = 'multipart/related; type="application/octet-stream"; transfer-syntax=*';
  const framePath = (u: (typeof uids)[number]) => `/dicomweb/studies/${u.study}/series/${u.series}/instances/${u.sop}/frames/1`;
  const cold: number[] = [];
  for (const u of uids) cold.push(...(await timed(1, () => get(framePath(u), frameAccept))));
  const warm = await timed(600, () => get(framePath(uids[Math.floor(Math.random() * uids.length)]!), frameAccept));
  const frames = { cold: summary(cold), warm: summary(warm) };

  const studyPath = `/dicomweb/studies/${uids[0]!.study}`;
  const retrieveSeconds: number[] = [];
  for (let i = 0; i < 5; i++) retrieveSeconds.push(...(await timed(1, () => get(studyPath, 'multipart/related; type="application/dicom"; transfer-syntax=*'))).map((ms) => ms / 1000));
  const studyMbPerS = studyMb / percentile(retrieveSeconds, 50);

  // Orthanc, same CT, same requests.
  const orthanc = await startOrthanc({ dicomweb: true });
  let orthancFrames: { cold: ReturnType<typeof summary>; warm: ReturnType<typeof summary> } | undefined;
  let orthancMbPerS: number | undefined;
  if (orthanc) {
    try {
      const oUids: { study: string; series: string; sop: string }[] = [];
      await pool(files, 4, async (file) => {
        const response = await fetch(`${orthanc.url}/instances`, { method: 'POST', body: file as Uint8Array<ArrayBuffer> });
        const { ID } = (await response.json()) as { ID: string };
        const tags = (await (await fetch(`${orthanc.url}/instances/${ID}/simplified-tags`)).json()) as Record<string, string>;
        oUids.push({ study: tags.StudyInstanceUID!, series: tags.SeriesInstanceUID!, sop: tags.SOPInstanceUID! });
      });
      const oGet = (path: string, accept: string) => fetch(`${orthanc.url}/dicom-web${path.replace('/dicomweb', '')}`, { headers: { Accept: accept } });
      const oCold: number[] = [];
      for (const u of oUids) oCold.push(...(await timed(1, () => oGet(framePath(u), frameAccept))));
      const oWarm = await timed(600, () => oGet(framePath(oUids[Math.floor(Math.random() * oUids.length)]!), frameAccept));
      orthancFrames = { cold: summary(oCold), warm: summary(oWarm) };
      const oSeconds: number[] = [];
      for (let i = 0; i < 5; i++) oSeconds.push(...(await timed(1, () => oGet(`/dicomweb/studies/${oUids[0]!.study}`, 'multipart/related; type="application/dicom"; transfer-syntax=*'))).map((ms) => ms / 1000));
      orthancMbPerS = studyMb / percentile(oSeconds, 50);
    } finally {
      await orthanc.stop();
    }
  }

  report(
    { bench: 'dicomweb', measure: 'frame', instances: uids.length, cold: frames.cold, warm: frames.warm, orthanc: orthancFrames },
    `WADO frame (512×512×16): cold median ${frames.cold.median_ms} ms p95 ${frames.cold.p95_ms} ms; warm median ${frames.warm.median_ms} ms p95 ${frames.warm.p95_ms} ms` +
      (orthancFrames ? ` | Orthanc warm p95 ${orthancFrames.warm.p95_ms} ms` : ''),
  );
  report(
    { bench: 'dicomweb', measure: 'study-retrieve', mb: round(studyMb), mb_per_s: round(studyMbPerS), orthanc_mb_per_s: orthancMbPerS && round(orthancMbPerS), ratio_vs_orthanc: orthancMbPerS && round(studyMbPerS / orthancMbPerS, 2) },
    `WADO study retrieval (${round(studyMb)} MB): ${round(studyMbPerS)} MB/s` + (orthancMbPerS ? ` | Orthanc ${round(orthancMbPerS)} MB/s → ${round(studyMbPerS / orthancMbPerS, 2)}×` : ' | Orthanc not installed'),
  );
} finally {
  await server.stop();
  await rm(dataDir, { recursive: true, force: true });
}
