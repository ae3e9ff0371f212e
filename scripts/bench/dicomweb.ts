/**
 * `pnpm bench:dicomweb`: DICOMweb read latency and throughput on the embedded defaults.
 *
 * - QIDO-RS over an index of 100,000 instances (1,000 studies × 4 series × 25 instances of 500
 *   patients, generated straight into the database, not uploaded): typical worklist queries,
 *   median and p95 over repeated requests.
 * - WADO-RS single frames of a real 300-slice 512×512 CT uploaded through STOW-RS: the first
 *   read of each instance (cold: from the object store) and repeated reads (warm: the viewer's
 *   pattern), median and p95.
 * - Whole-study retrieval (multipart, stored transfer syntax) in MB/s: right after the upload
 *   (read from the object store) and after the frame reads (the instances in memory).
 * With Debian's `orthanc` and `orthanc-dicomweb` installed, Orthanc gets the same CT and the
 * same frame and study requests in the same run, and ratios are printed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { buildCtSeries } from '@yunzhen/dicom/testing/synthetic';
import { demoToken, spawnServer, stowBody } from '@yunzhen/server/testing';

import { seedIndex, STUDIES, SERIES_PER_STUDY, INSTANCES_PER_SERIES } from './dicomweb-seed.js';
import { percentile, pool, report, round, startOrthanc } from './harness.js';

// Requests go through node:http with keep-alive, reading the body as it streams in, for both
// servers: with fetch (undici and Web Streams) the client itself capped a study retrieval at
// 500–650 MB/s while curl and node:http read the same answer at 1.0–1.3 GB/s.
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function get(url: string, headers: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    request(url, { agent, headers }, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        reject(new Error(`HTTP ${response.statusCode} for ${url}`));
        return;
      }
      response.on('data', () => undefined);
      response.on('end', resolve);
      response.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

async function timed(times: number, send: () => Promise<void>): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    await send();
    latencies.push(performance.now() - started);
  }
  return latencies;
}

const STUDY_ACCEPT = 'multipart/related; type="application/dicom"; transfer-syntax=*';

/** Median MB/s of five whole-study retrievals after two to warm up. */
async function retrievalMbPerS(send: () => Promise<void>, mb: number): Promise<number> {
  await timed(2, send);
  return mb / (percentile(await timed(5, send), 50) / 1000);
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
  const yunzhen = (path: string, accept = 'application/dicom+json') => get(`${server.url}${path}`, { ...auth, Accept: accept });

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
    await timed(5, () => yunzhen(path));
    const result = summary(await timed(100, () => yunzhen(path)));
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
  const studyPath = `/dicomweb/studies/${uids[0]!.study}`;
  // Just stored, so read from the object store; after the frame reads below the instances are
  // in the server's memory, where a study is retrieved while viewers are reading it.
  const fromStore = await retrievalMbPerS(() => yunzhen(studyPath, STUDY_ACCEPT), studyMb);
  const cold: number[] = [];
  for (const u of uids) cold.push(...(await timed(1, () => yunzhen(framePath(u), frameAccept))));
  const randomFrame = () => yunzhen(framePath(uids[Math.floor(Math.random() * uids.length)]!), frameAccept);
  await timed(100, randomFrame); // warm-up, as for the queries
  const warm = await timed(600, randomFrame);
  const frames = { cold: summary(cold), warm: summary(warm) };
  const inMemory = await retrievalMbPerS(() => yunzhen(studyPath, STUDY_ACCEPT), studyMb);

  // Orthanc, same CT, same requests.
  const orthanc = await startOrthanc({ dicomweb: true });
  let orthancFrames: { cold: ReturnType<typeof summary>; warm: ReturnType<typeof summary> } | undefined;
  let orthancFromStore: number | undefined;
  let orthancAfterReads: number | undefined;
  if (orthanc) {
    try {
      const oUids: { study: string; series: string; sop: string }[] = [];
      await pool(files, 4, async (file) => {
        const response = await fetch(`${orthanc.url}/instances`, { method: 'POST', body: file as Uint8Array<ArrayBuffer> });
        const { ID } = (await response.json()) as { ID: string };
        const tags = (await (await fetch(`${orthanc.url}/instances/${ID}/simplified-tags`)).json()) as Record<string, string>;
        oUids.push({ study: tags.StudyInstanceUID!, series: tags.SeriesInstanceUID!, sop: tags.SOPInstanceUID! });
      });
      const oGet = (path: string, accept: string) => get(`${orthanc.url}/dicom-web${path.replace('/dicomweb', '')}`, { Accept: accept });
      const oStudyPath = `/dicomweb/studies/${oUids[0]!.study}`;
      orthancFromStore = await retrievalMbPerS(() => oGet(oStudyPath, STUDY_ACCEPT), studyMb);
      const oCold: number[] = [];
      for (const u of oUids) oCold.push(...(await timed(1, () => oGet(framePath(u), frameAccept))));
      const oRandomFrame = () => oGet(framePath(oUids[Math.floor(Math.random() * oUids.length)]!), frameAccept);
      await timed(100, oRandomFrame);
      const oWarm = await timed(600, oRandomFrame);
      orthancFrames = { cold: summary(oCold), warm: summary(oWarm) };
      orthancAfterReads = await retrievalMbPerS(() => oGet(oStudyPath, STUDY_ACCEPT), studyMb);
    } finally {
      await orthanc.stop();
    }
  }

  report(
    { bench: 'dicomweb', measure: 'frame', instances: uids.length, cold: frames.cold, warm: frames.warm, orthanc: orthancFrames },
    `WADO frame (512×512×16): cold median ${frames.cold.median_ms} ms p95 ${frames.cold.p95_ms} ms; warm median ${frames.warm.median_ms} ms p95 ${frames.warm.p95_ms} ms` +
      (orthancFrames ? ` | Orthanc warm p95 ${orthancFrames.warm.p95_ms} ms` : ''),
  );
  for (const [where, mbPerS, orthancMbPerS] of [
    ['object store', fromStore, orthancFromStore],
    ['memory', inMemory, orthancAfterReads],
  ] as const) {
    const ratio = orthancMbPerS && round(mbPerS / orthancMbPerS, 2);
    report(
      { bench: 'dicomweb', measure: 'study-retrieve', from: where, mb: round(studyMb), mb_per_s: round(mbPerS), orthanc_mb_per_s: orthancMbPerS && round(orthancMbPerS), ratio_vs_orthanc: ratio },
      `WADO study retrieval from ${where} (${round(studyMb)} MB): ${round(mbPerS)} MB/s` + (orthancMbPerS ? ` | Orthanc ${round(orthancMbPerS)} MB/s → ${ratio}×` : ' | Orthanc not installed'),
    );
  }
} finally {
  await server.stop();
  await rm(dataDir, { recursive: true, force: true });
}
