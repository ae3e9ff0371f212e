/**
 * `pnpm bench:dicomweb`: DICOMweb read latency and throughput on the embedded defaults. Every
 * figure says whether the server's caches were cold or warm (`cache`) and where the bytes came
 * from (`source`).
 *
 * - QIDO-RS over an index of 100,000 instances (1,000 studies × 4 series × 25 instances of 500
 *   patients, generated straight into the database, not uploaded; half of the studies sent to
 *   the reading centre for a consult): typical worklist queries, median and p95 over 100
 *   requests after 5 to warm up, as the sending hospital's radiographer and as the reading
 *   centre's specialist (whose every query goes through the consults).
 * - WADO-RS single frames of a real 300-slice 512×512 CT uploaded through STOW-RS: the first
 *   read of each instance (cold: from the object store) and 600 at random after 1,000 to warm
 *   up (warm: from the server's memory, the viewer's pattern), median and p95.
 * - Whole-study retrieval (multipart, stored transfer syntax) in MB/s: the first retrieval after
 *   the upload (cold), five more (warm; a retrieval streams from the object store and does not
 *   fill the server's cache), and five after the frame reads (warm, the instances in memory).
 * With Debian's `orthanc` and `orthanc-dicomweb` installed, Orthanc gets the same CT and the
 * same frame and study requests in the same run, restarted before each first read so that cold
 * is cold for both servers: frames with its default storage cache (128 MB) and with one as
 * large as our object cache (256 MB), whole-study retrievals with 256 MB so that its repeated
 * retrieval is from memory, warm against our warm.
 * Cold means the server's own caches are empty: the files were just written, so the operating
 * system's page cache holds them for both servers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { buildCtSeries } from '@yunzhen/dicom/testing/synthetic';
import { demoToken, spawnServer, startOrthanc, stowBody } from '@yunzhen/server/testing';

import { CONSULT_STUDIES, INSTANCES_PER_SERIES, seedIndex, SERIES_PER_STUDY, STUDIES } from './dicomweb-seed.js';
import { percentile, pool, report, round } from './harness.js';

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
const FRAME_ACCEPT = 'multipart/related; type="application/octet-stream"; transfer-syntax=*';
/** The server's object cache and Orthanc's storage cache, the same size for a warm-to-warm comparison. */
const CACHE_MB = 256;
/** Orthanc's own default `MaximumStorageCacheSize`. */
const ORTHANC_DEFAULT_CACHE_MB = 128;

function summary(latencies: number[]) {
  return { median_ms: round(percentile(latencies, 50), 2), p95_ms: round(percentile(latencies, 95), 2) };
}

type Server = 'yunzhen' | 'orthanc';
/** Which retrieval of the study: the first, repeated ones, or repeated ones after the frame reads. */
type Step = 'first-read' | 'repeat' | 'after-frame-reads';

function reportFrames(server: Server, cache: 'cold' | 'warm', source: string, latencies: number[], extra: Record<string, unknown>) {
  const result = summary(latencies);
  report(
    { bench: 'dicomweb', measure: 'frame', server, cache, source, requests: latencies.length, ...extra, ...result },
    `WADO frame (512×512×16) ${server}, ${cache} (${source}${extra.orthanc_storage_cache_mb ? `, ${extra.orthanc_storage_cache_mb} MB` : ''}): median ${result.median_ms} ms, p95 ${result.p95_ms} ms over ${latencies.length}`,
  );
}

/** MB/s of whole-study retrievals: the median of `count` after `warmup`. */
async function reportStudy(server: Server, step: Step, cache: 'cold' | 'warm', source: string, url: string, headers: Record<string, string>, count: number, warmup: number, extra: Record<string, unknown>) {
  const seconds = (await timed({ urls: [url], headers: { ...headers, Accept: STUDY_ACCEPT }, count, warmup })).map((ms) => ms / 1000);
  const mbPerS = round(studyMb / percentile(seconds, 50));
  report(
    { bench: 'dicomweb', measure: 'study-retrieve', server, step, cache, source, mb: round(studyMb), requests: count, warmup, ...extra, mb_per_s: mbPerS },
    `WADO study retrieval (${round(studyMb)} MB) ${server}, ${step}, ${cache} (${source}): ${mbPerS} MB/s`,
  );
}

const dataDir = await mkdtemp(join(tmpdir(), 'yunzhen-bench-dicomweb-'));
await seedIndex(dataDir);
const server = await spawnServer({ dataDir, env: { LOG_LEVEL: 'warn', OBJECT_CACHE_MB: String(CACHE_MB) } });
const files = buildCtSeries({ slices: 300, rows: 512, columns: 512, seed: 21 });
const studyMb = files.reduce((sum, f) => sum + f.length, 0) / 1e6;

try {
  const auth = { Authorization: `Bearer ${await demoToken(server.url, 'rad@xuhui.demo')}` };
  const users = { 'sending-hospital': auth, 'reading-centre': { Authorization: `Bearer ${await demoToken(server.url, 'specialist@scc.demo')}` } };

  // QIDO-RS worklist queries over the generated index, as each user.
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
  for (const [user, headers] of Object.entries(users)) {
    for (const [name, path] of Object.entries(queries)) {
      const qidoHeaders = { ...headers, Accept: 'application/dicom+json' };
      // How many results the query has, so a fast answer is known not to be an empty one.
      const answer = await fetch(server.url + path, { headers: qidoHeaders });
      const matches = answer.status === 204 ? 0 : ((await answer.json()) as unknown[]).length;
      const result = summary(await timed({ urls: [server.url + path], headers: qidoHeaders, count: 100, warmup: 5 }));
      report(
        {
          bench: 'dicomweb',
          measure: 'qido',
          query: name,
          user,
          cache: 'warm',
          source: 'index',
          index_instances: STUDIES * SERIES_PER_STUDY * INSTANCES_PER_SERIES,
          consult_studies: CONSULT_STUDIES,
          matches,
          requests: 100,
          warmup: 5,
          ...result,
        },
        `QIDO ${name} as the ${user} (${matches} results): median ${result.median_ms} ms, p95 ${result.p95_ms} ms`,
      );
    }
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
  const framePath = (u: (typeof uids)[number]) => `/dicomweb/studies/${u.study}/series/${u.series}/instances/${u.sop}/frames/1`;
  const studyUrl = `${server.url}/dicomweb/studies/${uids[0]!.study}`;
  const frameUrls = uids.map((u) => server.url + framePath(u));
  const ours = { object_cache_mb: CACHE_MB };
  await reportStudy('yunzhen', 'first-read', 'cold', 'object-store', studyUrl, auth, 1, 0, ours);
  await reportStudy('yunzhen', 'repeat', 'warm', 'object-store', studyUrl, auth, 5, 0, ours);
  // Each frame once (cold: its first read), then 600 at random after 1,000 to warm up: the
  // server's JIT needs about that many before its frame path runs at the speed it keeps for
  // days (the slowest twentieth still fell over the first thousand requests).
  reportFrames('yunzhen', 'cold', 'object-store', await timed({ urls: frameUrls, headers: { ...auth, Accept: FRAME_ACCEPT }, count: frameUrls.length }), { warmup: 0, ...ours });
  reportFrames('yunzhen', 'warm', 'memory', await timed({ urls: frameUrls, headers: { ...auth, Accept: FRAME_ACCEPT }, count: 600, warmup: 1000, order: 'random' }), { warmup: 1000, ...ours });
  await reportStudy('yunzhen', 'after-frame-reads', 'warm', 'memory', studyUrl, auth, 5, 2, ours);

  // Orthanc, same CT, same requests, restarted before each first read so that its storage
  // cache (which keeps written files too) is empty. Its frames are timed with its default
  // storage cache, 128 MB, and again with 256 MB: Orthanc 1.10.1 answered warm frames more
  // slowly with the larger cache here, so the default is its better figure. Its whole-study
  // retrievals need 256 MB for a warm read from memory (the study is 157.9 MB).
  const orthanc = await startOrthanc({ dicomweb: true, storageCacheMb: ORTHANC_DEFAULT_CACHE_MB });
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
      const oFrameUrls = oUids.map((u) => orthancUrl(framePath(u)));
      const frameHeaders = { Accept: FRAME_ACCEPT };
      const theirs = (cacheMb: number) => ({ orthanc_version: orthanc.version, orthanc_storage_cache_mb: cacheMb });

      await orthanc.restart({ storageCacheMb: ORTHANC_DEFAULT_CACHE_MB });
      reportFrames('orthanc', 'cold', 'storage', await timed({ urls: oFrameUrls, headers: frameHeaders, count: oFrameUrls.length }), { warmup: 0, ...theirs(ORTHANC_DEFAULT_CACHE_MB) });
      reportFrames('orthanc', 'warm', 'storage-cache', await timed({ urls: oFrameUrls, headers: frameHeaders, count: 600, warmup: 1000, order: 'random' }), { warmup: 1000, ...theirs(ORTHANC_DEFAULT_CACHE_MB) });

      await orthanc.restart({ storageCacheMb: CACHE_MB });
      await reportStudy('orthanc', 'first-read', 'cold', 'storage', oStudyUrl, {}, 1, 0, theirs(CACHE_MB));
      // The first read put the study in Orthanc's storage cache; a retrieval does not fill ours.
      await reportStudy('orthanc', 'repeat', 'warm', 'storage-cache', oStudyUrl, {}, 5, 0, theirs(CACHE_MB));
      reportFrames('orthanc', 'warm', 'storage-cache', await timed({ urls: oFrameUrls, headers: frameHeaders, count: 600, warmup: 1000, order: 'random' }), { warmup: 1000, ...theirs(CACHE_MB) });
    } finally {
      await orthanc.stop();
    }
  } else {
    process.stdout.write('# Orthanc not installed: no side-by-side figures\n');
  }
} finally {
  await server.stop();
  await rm(dataDir, { recursive: true, force: true });
}
