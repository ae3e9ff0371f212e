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
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { buildCtSeries } from '@yunzhen/dicom/testing/synthetic';
import { demoToken, spawnServer, stowBody } from '@yunzhen/server/testing';

import { seedIndex, STUDIES, SERIES_PER_STUDY, INSTANCES_PER_SERIES } from './dicomweb-seed.js';
import { percentile, pool, report, round, startOrthanc } from './harness.js';

// Every timed request goes through http-latency.mjs: node:http with keep-alive, reading the
// body as it streams in, for both servers, in a plain Node.js process (see that file). With
// fetch (undici and Web Streams) the client itself capped a study retrieval at 500–650 MB/s
// while curl and node:http read the same answer at 1.0–1.3 GB/s.
const latencyClient = fileURLToPath(new URL('./http-latency.mjs', import.meta.url));

interface Timing {
  urls: string[];
  headers: Record<string, string>;
  count: number;
  warmup?: number;
  /** `each`: the URLs in turn; `random`: any of them each time. */
  order?: 'each' | 'random';
}

/** Latencies in milliseconds of `count` GETs made by a plain Node.js process. */
async function timed(timing: Timing): Promise<number[]> {
  const { NODE_OPTIONS: _loader, ...env } = process.env; // no TypeScript loader in the client
  const child = spawn(process.execPath, [latencyClient], { env, stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin.end(JSON.stringify(timing));
  let output = '';
  for await (const chunk of child.stdout) output += chunk;
  const code = await new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', resolve)));
  if (code !== 0) throw new Error(`the latency client exited with ${code}`);
  return JSON.parse(output) as number[];
}

const STUDY_ACCEPT = 'multipart/related; type="application/dicom"; transfer-syntax=*';

/** Median MB/s of five whole-study retrievals after two to warm up. */
async function retrievalMbPerS(url: string, headers: Record<string, string>, mb: number): Promise<number> {
  const seconds = (await timed({ urls: [url], headers: { ...headers, Accept: STUDY_ACCEPT }, count: 5, warmup: 2 })).map((ms) => ms / 1000);
  return mb / percentile(seconds, 50);
}

/**
 * Each frame once (cold: its first read), then 600 at random after 1,000 to warm up: the
 * server's JIT needs about that many before its frame path runs at the speed it keeps for
 * days (the slowest twentieth still fell over the first thousand requests).
 */
async function frameLatencies(urls: string[], headers: Record<string, string>) {
  const cold = await timed({ urls, headers, count: urls.length });
  const warm = await timed({ urls, headers, count: 600, warmup: 1000, order: 'random' });
  return { cold: summary(cold), warm: summary(warm) };
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
    const result = summary(await timed({ urls: [server.url + path], headers: { ...auth, Accept: 'application/dicom+json' }, count: 100, warmup: 5 }));
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
  const studyUrl = `${server.url}/dicomweb/studies/${uids[0]!.study}`;
  // Just stored, so read from the object store; after the frame reads below the instances are
  // in the server's memory, where a study is retrieved while viewers are reading it.
  const fromStore = await retrievalMbPerS(studyUrl, auth, studyMb);
  const frames = await frameLatencies(uids.map((u) => server.url + framePath(u)), { ...auth, Accept: frameAccept });
  const inMemory = await retrievalMbPerS(studyUrl, auth, studyMb);

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
      const orthancUrl = (path: string) => `${orthanc.url}/dicom-web${path.replace('/dicomweb', '')}`;
      const oStudyUrl = orthancUrl(`/dicomweb/studies/${oUids[0]!.study}`);
      orthancFromStore = await retrievalMbPerS(oStudyUrl, {}, studyMb);
      orthancFrames = await frameLatencies(oUids.map((u) => orthancUrl(framePath(u))), { Accept: frameAccept });
      orthancAfterReads = await retrievalMbPerS(oStudyUrl, {}, studyMb);
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
