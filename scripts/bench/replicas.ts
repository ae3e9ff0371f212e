/**
 * `pnpm bench:replicas`: STOW-RS ingest through a round-robin proxy into one and into two
 * replicas of the server on the same machine, sharing one PostgreSQL server (embedded binaries,
 * reached by URL as replicas reach theirs) and one S3-compatible server (s3rver on loopback).
 * One instance per request, 4 clients; every row starts database, store and replicas afresh
 * (cache: cold). On a 2-core machine a second replica has no spare core to use: the point of
 * replicas is correctness and availability, and this records what throughput does.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startEmbeddedPostgres } from '@yunzhen/db';
import { buildCtSeries } from '@yunzhen/dicom/testing/synthetic';
import { demoToken, spawnServer, startRoundRobinProxy, startTestS3Server, stowBody, type SpawnedServer } from '@yunzhen/server/testing';

import { pool, report, round } from './harness.js';

const CLIENTS = 4;
const sets = [
  { name: 'ct-100x512', files: buildCtSeries({ slices: 100, rows: 512, columns: 512, seed: 21 }) },
  { name: 'small-400', files: buildCtSeries({ slices: 400, rows: 64, columns: 64, seed: 22 }) },
];

async function run(files: Uint8Array[], replicas: number) {
  const pgDir = await mkdtemp(join(tmpdir(), 'yunzhen-bench-pg-'));
  const postgres = await startEmbeddedPostgres({ dir: pgDir });
  const s3 = await startTestS3Server();
  const proxy = startRoundRobinProxy();
  const servers: SpawnedServer[] = [];
  try {
    const proxyUrl = await proxy.listen();
    const env = {
      DATABASE_URL: postgres.url,
      S3_BUCKET: 'yunzhen-bench',
      S3_ENDPOINT: s3.endpoint,
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      YUNZHEN_SECRET: 'bench-root-secret-of-at-least-32-characters',
      PUBLIC_URL: proxyUrl,
      DICOM_PORT: 'off',
      LOG_LEVEL: 'warn',
    };
    servers.push(...(await Promise.all(Array.from({ length: replicas }, () => spawnServer({ env })))));
    proxy.setBackends(servers.map((s) => s.url));
    const token = await demoToken(proxyUrl, 'rad@xuhui.demo');
    const started = performance.now();
    await pool(files, CLIENTS, async (file) => {
      const { body, contentType } = stowBody([file]);
      const response = await fetch(`${proxyUrl}/dicomweb/studies`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType }, body });
      if (response.status !== 200) throw new Error(`STOW answered ${response.status}`);
      await response.arrayBuffer();
    });
    return { seconds: (performance.now() - started) / 1000, perReplica: proxy.backends.map((b) => b.requests) };
  } finally {
    for (const server of servers) await server.stop();
    await proxy.close();
    await s3.close();
    await postgres.stop();
    await rm(pgDir, { recursive: true, force: true });
  }
}

for (const set of sets) {
  const mb = set.files.reduce((sum, f) => sum + f.length, 0) / 1e6;
  const perSecond: Record<number, number> = {};
  for (const replicas of [1, 2]) {
    const result = await run(set.files, replicas);
    perSecond[replicas] = set.files.length / result.seconds;
    report(
      {
        bench: 'replicas',
        set: set.name,
        replicas,
        clients: CLIENTS,
        cache: 'cold',
        source: 'memory',
        store: 's3rver',
        db: 'embedded-postgres-by-url',
        instances: set.files.length,
        mb: round(mb),
        instances_per_s: round(perSecond[replicas]!),
        mb_per_s: round(mb / result.seconds),
        requests_per_replica: result.perReplica,
        ...(replicas === 2 && { ratio_vs_one_replica: round(perSecond[2]! / perSecond[1]!, 2) }),
      },
      `replicas ${set.name} ×${replicas} replica(s), ${CLIENTS} clients: ${round(perSecond[replicas]!)} instances/s, ${round(mb / result.seconds)} MB/s (requests per replica ${result.perReplica.join('/')})` +
        (replicas === 2 ? ` → ${round(perSecond[2]! / perSecond[1]!, 2)}× one replica` : ''),
    );
  }
}
