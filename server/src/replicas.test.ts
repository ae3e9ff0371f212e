import { createHash } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import { hostname } from 'node:os';

import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createDb, type Db } from '@yunzhen/db';
import { createEmptyTestDatabase } from '@yunzhen/db/testing';
import { createS3Client, createS3Store, type ObjectStore } from '@yunzhen/storage';
import { startTestS3Server, type TestS3Server } from '@yunzhen/storage/testing';

import { demoUnion } from './demo-union.js';
import { readSample, rewriteInstances, stowBody } from './testing/dicom-fixtures.js';
import { startRoundRobinProxy, type Backend } from './testing/round-robin-proxy.js';
import { demoToken, spawnServer, type SpawnedServer } from './testing/spawn-server.js';

/**
 * Issue 12: several stateless replicas behave as one. PostgreSQL, an S3-compatible server and
 * two server processes (`server/src/main.ts`, as an operator starts them) behind a round-robin
 * reverse proxy written here: uploads split across the replicas, a token revoked on one is
 * refused by the other, report webhooks reach a receiver once per delivery also when the
 * replica sending one is SIGKILLed mid-request, and a replica SIGKILLed mid-upload loses no
 * acknowledged instance.
 */

const STUDY = 0x0020000d;
const SERIES = 0x0020000e;
const SOP = 0x00080018;
const INSTANCE_NUMBER = 0x00200013;
const BUCKET = 'yunzhen-replicas';
/** Small parts (`UPLOAD_PART_BYTES`), so a zip of a few slices goes up in many requests. */
const PART_BYTES = 64 * 1024;
const SECRET = 'replica-test-root-secret-of-at-least-32-chars';

const uid = () => `2.25.${BigInt(`0x${Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('hex')}`).toString()}`;

/** `count` instances of one new study, made from the 16-slice MR sample with fresh UIDs. */
function newStudy(count: number): Uint8Array[] {
  const slices = Array.from({ length: 16 }, (_, i) => readSample(`studies/mr-16slice/MR${String(i + 1).padStart(2, '0')}.dcm`));
  const study = uid();
  const series = uid();
  return Array.from({ length: count }, (_, n) => rewriteInstances([slices[n % 16]!], { replace: { [STUDY]: study, [SERIES]: series, [SOP]: uid(), [INSTANCE_NUMBER]: String(n + 1) } })[0]!);
}

/**
 * A hospital system receiving webhooks: it keeps each delivery once by its Idempotency-Key
 * (what the header is for) and counts every POST. `holdNext` makes the next POST wait unanswered.
 */
function startReceiver() {
  const posts: string[] = [];
  const accepted = new Map<string, number>();
  const held: ServerResponse[] = [];
  let hold: ((key: string) => void) | undefined;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const key = String(req.headers['idempotency-key'] ?? '');
      posts.push(key);
      if (hold) {
        const notify = hold;
        hold = undefined;
        held.push(res);
        notify(key);
        return;
      }
      accepted.set(key, (accepted.get(key) ?? 0) + 1);
      res.writeHead(204).end();
    });
  });
  return {
    posts,
    accepted,
    holdNext: () => new Promise<string>((resolve) => (hold = resolve)),
    listen: () => new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}/hook`))),
    close: () => {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('two replicas behind a load balancer on one PostgreSQL and one S3 bucket', () => {
  let s3: TestS3Server;
  let database: { url: string; appUrl: string; drop(): Promise<void> };
  let db: Db;
  let store: ObjectStore;
  /** Which replica acknowledged each part of a resumable upload (by its URL path). */
  const partAnswers: { path: string; backend: Backend }[] = [];
  const proxy = startRoundRobinProxy({
    onAnswer: (method, path, status, backend) => {
      if (method === 'PUT' && status === 200 && path.includes('/parts/')) partAnswers.push({ path, backend });
    },
  });
  const receiver = startReceiver();
  let proxyUrl: string;
  let receiverUrl: string;
  const replicas: SpawnedServer[] = [];
  let env: Record<string, string>;

  const startReplica = async (): Promise<SpawnedServer> => {
    const replica = await spawnServer({ env });
    replicas.push(replica);
    return replica;
  };
  const alive = () => replicas.filter((r) => r.process.exitCode === null && r.process.signalCode === null);
  const kill = async (replica: SpawnedServer) => {
    await new Promise<void>((resolve) => {
      replica.process.once('exit', () => resolve());
      replica.process.kill('SIGKILL');
    });
  };

  beforeAll(async () => {
    [s3, database] = await Promise.all([startTestS3Server(), createEmptyTestDatabase('embedded')]);
    [proxyUrl, receiverUrl] = await Promise.all([proxy.listen(), receiver.listen()]);
    env = {
      // As an external deployment: the application role under row-level security, the owner migrating.
      DATABASE_URL: database.appUrl,
      DATABASE_MIGRATION_URL: database.url,
      S3_BUCKET: BUCKET,
      S3_ENDPOINT: s3.endpoint,
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      S3_FORCE_PATH_STYLE: 'true',
      YUNZHEN_SECRET: SECRET,
      PUBLIC_URL: proxyUrl,
      DICOM_PORT: 'off',
      UPLOAD_PART_BYTES: String(PART_BYTES),
    };
    // Both start at once on an empty database: migrations and demo seeding run once.
    await Promise.all([startReplica(), startReplica()]);
    proxy.setBackends(replicas.map((r) => r.url));
    db = await createDb({ databaseUrl: database.url, poolSize: 2 });
    store = createS3Store({ client: createS3Client({ endpoint: s3.endpoint, region: 'us-east-1', accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, forcePathStyle: true }), bucket: BUCKET });
  }, 180_000);

  afterAll(async () => {
    for (const replica of replicas) await replica.stop();
    await db?.close();
    await Promise.all([proxy.close(), receiver.close()]);
    await database?.drop();
    await s3?.close();
  }, 60_000);

  /** STOW-RS of one instance per request through the proxy, `clients` at a time, retrying a failed request up to 5 times. */
  async function upload(files: Uint8Array[], options: { clients: number; token: string; afterAcknowledged?: (count: number) => void }) {
    const acknowledged: string[] = [];
    let failures = 0;
    let next = 0;
    await Promise.all(
      Array.from({ length: options.clients }, async () => {
        while (next < files.length) {
          const file = files[next++]!;
          for (let attempt = 1; ; attempt++) {
            const { body, contentType } = stowBody([file]);
            try {
              const response = await fetch(`${proxyUrl}/dicomweb/studies`, { method: 'POST', headers: { Authorization: `Bearer ${options.token}`, 'Content-Type': contentType }, body });
              const text = await response.text();
              if (response.status === 200) {
                const item = JSON.parse(text)['00081199'].Value[0];
                expect(item['00081190'].Value[0].startsWith(`${proxyUrl}/dicomweb/studies/`), 'RetrieveURL names PUBLIC_URL').toBe(true);
                acknowledged.push(item['00081155'].Value[0] as string);
                options.afterAcknowledged?.(acknowledged.length);
                break;
              }
            } catch {
              // the connection was cut (a replica died mid-request): send it again
            }
            failures++;
            if (attempt === 5) throw new Error('an instance was refused 5 times');
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
        }
      }),
    );
    return { acknowledged, failures };
  }

  /** Every acknowledged instance has exactly one index row, and its object is in the bucket. */
  async function expectStoredOnce(sops: string[]) {
    const rows = await db.kysely.selectFrom('instance').select(['sop_instance_uid', 'object_key']).where('sop_instance_uid', 'in', sops).execute();
    expect(rows.map((r) => r.sop_instance_uid).sort()).toEqual([...sops].sort());
    for (const row of rows) expect(await store.head(row.object_key), row.object_key).not.toBeNull();
  }

  /**
   * A zip through a resumable upload session, as the uploader sends it: parts through the proxy,
   * `clients` at a time, each retried when its connection is cut; then the session is asked
   * which parts it has (resume), the missing ones are sent, and it is completed.
   */
  async function uploadZipInParts(archive: Uint8Array, options: { token: string; clients: number; afterPart?: (count: number) => void }) {
    const headers = { Authorization: `Bearer ${options.token}` };
    const send = async (method: string, path: string, init: { json?: unknown; body?: Uint8Array; headers?: Record<string, string> } = {}) => {
      for (let attempt = 1; ; attempt++) {
        try {
          const response = await fetch(`${proxyUrl}${path}`, {
            method,
            headers: { ...headers, ...(init.json !== undefined && { 'Content-Type': 'application/json' }), ...init.headers },
            body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
          });
          if (response.status < 500) return { status: response.status, body: (await response.json()) as any };
        } catch {
          // the replica died mid-request: send it again
        }
        if (attempt === 8) throw new Error(`${method} ${path} failed 8 times`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    };
    const opened = await send('POST', '/api/uploads/sessions', { json: { kind: 'zip', totalBytes: archive.length } });
    expect(opened.status).toBe(201);
    const session = opened.body.session as { id: string; partBytes: number; partCount: number };
    const putParts = async (indexes: number[]) => {
      let next = 0;
      let done = 0;
      await Promise.all(
        Array.from({ length: options.clients }, async () => {
          while (next < indexes.length) {
            const index = indexes[next++]!;
            const bytes = archive.subarray(index * session.partBytes, (index + 1) * session.partBytes);
            const digest = `sha-256=:${createHash('sha256').update(bytes).digest('base64')}:`;
            const answer = await send('PUT', `/api/uploads/sessions/${session.id}/parts/${index}`, { body: bytes, headers: { 'Content-Digest': digest } });
            expect(answer.status, JSON.stringify(answer.body)).toBe(200);
            options.afterPart?.(++done);
          }
        }),
      );
    };
    await putParts(Array.from({ length: session.partCount }, (_, i) => i));
    // Resume: the session says which parts it has; whatever is missing goes again.
    const state = (await send('GET', `/api/uploads/sessions/${session.id}`)).body.session as { parts: { index: number }[] };
    const present = new Set(state.parts.map((p) => p.index));
    const missing = Array.from({ length: session.partCount }, (_, i) => i).filter((i) => !present.has(i));
    await putParts(missing);
    for (;;) {
      const answer = await send('POST', `/api/uploads/sessions/${session.id}/complete`);
      if (answer.status === 200) return { session, result: answer.body.session.result as { summary: { stored: number }; studyIds: string[] }, missing };
      expect(answer.status, JSON.stringify(answer.body)).toBe(202);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** `count` new instances in one zip, stored without compression: many parts. */
  const zipOfNewStudy = (count: number) => zipSync(Object.fromEntries(newStudy(count).map((bytes, i) => [`exam/${i + 1}.dcm`, bytes] as const)), { level: 0 });

  /** Every instance of these studies has one index row and its object in the bucket. */
  async function expectStudiesStored(studyIds: string[], count: number) {
    const rows = await db.kysely.selectFrom('instance').select(['sop_instance_uid', 'object_key']).where('study_id', 'in', studyIds).execute();
    expect(rows).toHaveLength(count);
    expect(new Set(rows.map((r) => r.sop_instance_uid)).size).toBe(count);
    for (const row of rows) expect(await store.head(row.object_key), row.object_key).not.toBeNull();
  }

  it('splits uploads across both replicas and stores every instance once', async () => {
    const token = await demoToken(proxyUrl, 'rad@xuhui.demo');
    expect(await db.kysely.selectFrom('tenant').select('id').execute()).toHaveLength(demoUnion.tenants.length + 1); // seeded once (the union and its foreign partner)
    const before = proxy.backends.map((b) => b.requests);
    const { acknowledged, failures } = await upload(newStudy(24), { clients: 2, token });
    expect(failures).toBe(0);
    expect(acknowledged).toHaveLength(24);
    const served = proxy.backends.map((b, i) => b.requests - before[i]!);
    expect(served.every((n) => n >= 10), `requests per replica: ${served}`).toBe(true);
    await expectStoredOnce(acknowledged);
  }, 120_000);

  it('takes the parts of a resumable zip upload on both replicas and ingests the zip once', async () => {
    const token = await demoToken(proxyUrl, 'rad@xuhui.demo');
    partAnswers.length = 0;
    const { session, result, missing } = await uploadZipInParts(zipOfNewStudy(12), { token, clients: 2 });
    expect(session.partCount).toBeGreaterThanOrEqual(8);
    expect(missing).toEqual([]);
    const byReplica = new Map<string, number>();
    for (const answer of partAnswers) byReplica.set(answer.backend.url.href, (byReplica.get(answer.backend.url.href) ?? 0) + 1);
    expect(byReplica.size, `parts per replica: ${[...byReplica.values()]}`).toBe(2);
    expect(result.summary.stored).toBe(12);
    await expectStudiesStored(result.studyIds, 12);
    // The parts are removed from the bucket once ingested (just after the session says so: the answer comes first).
    const left = async () => {
      const keys: string[] = [];
      for await (const object of store.list(`uploads/${session.id}/`)) keys.push(object.key);
      return keys;
    };
    await expect.poll(left, { timeout: 30_000 }).toEqual([]);
  }, 120_000);

  it('refuses on replica B a token revoked on replica A, before B’s cache would let it lapse', async () => {
    const [a, b] = replicas;
    const token = await demoToken(a!.url, 'doctor@xuhui.demo');
    const me = () => fetch(`${b!.url}/api/me`, { headers: { Authorization: `Bearer ${token}` } });
    expect((await me()).status).toBe(200);
    expect((await fetch(`${a!.url}/api/auth/logout`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } })).status).toBe(204);
    const started = performance.now();
    let status = 200;
    // B caches a principal for 10 s: a refusal before then is the change notification's doing.
    while (status !== 401 && performance.now() - started < 8_000) {
      status = (await me()).status;
      if (status !== 401) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(status).toBe(401);
    console.info(`token revoked on replica A, refused on replica B after ${Math.round(performance.now() - started)} ms`);
  }, 60_000);

  it('delivers each report webhook once, also when the replica sending one is SIGKILLed mid-request', async () => {
    const call = async (token: string, method: string, path: string, body?: unknown) => {
      const response = await fetch(`${proxyUrl}${path}`, { method, headers: { Authorization: `Bearer ${token}`, ...(body !== undefined && { 'Content-Type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
      return response.json() as Promise<any>;
    };
    const admin = await demoToken(proxyUrl, 'admin@xuhui.demo');
    const rad = await demoToken(proxyUrl, 'rad@xuhui.demo');
    const specialist = await demoToken(proxyUrl, 'specialist@scc.demo');
    await call(admin, 'PUT', '/api/webhook', { url: receiverUrl, enabled: true });
    const centreId = (await db.kysely.selectFrom('tenant').select('id').where('name', '=', 'Shanghai Cancer Center (demo)').executeTakeFirstOrThrow()).id;

    const held = receiver.holdNext();
    const consults: string[] = [];
    for (let n = 0; n < 3; n++) {
      await upload(newStudy(1), { clients: 1, token: rad });
      const inbox = (await call(rad, 'GET', '/api/studies?inbox=true')).studies as { id: string; consultId?: string | null; openConsult?: unknown }[];
      const sent = new Set((await db.kysely.selectFrom('consult_study').select('study_id').execute()).map((r) => r.study_id));
      const study = inbox.find((s) => !sent.has(s.id))!;
      const { consult } = await call(rad, 'POST', '/api/consults', { readingCentreId: centreId, studyIds: [study.id], clinicalQuestion: 'Lesion?', priority: 'routine' });
      consults.push(consult.id);
      await call(specialist, 'POST', `/api/consults/${consult.id}/report`, { templateId: 'general', language: 'zh-CN' });
      await call(specialist, 'PUT', `/api/consults/${consult.id}/report`, {
        version: 1,
        changes: { values: { technique: { 'zh-CN': '头颅 MR 平扫。' }, findings: { 'zh-CN': '未见异常信号。' }, impression: { 'zh-CN': '未见异常。' } } },
      });
      await call(specialist, 'POST', `/api/consults/${consult.id}/report/sign`, { version: 2, kind: 'final' });
    }

    // The first delivery is held unanswered; the replica that claimed it is killed mid-request.
    const heldKey = await held;
    const claim = await db.kysely.selectFrom('webhook_delivery').select('claimed_by').where('id', '=', heldKey).executeTakeFirstOrThrow();
    const sender = replicas.find((r) => claim.claimed_by === `${hostname()}:${r.process.pid}`);
    expect(sender, `claimed by ${claim.claimed_by}`).toBeDefined();
    await kill(sender!);
    proxy.setBackends(alive().map((r) => r.url));
    // The balancer gets a fresh replica in its place, as an orchestrator would.
    const replacement = await startReplica();
    proxy.setBackends(alive().map((r) => r.url));
    expect(alive()).toContain(replacement);

    // After the lease (30 s) the delivery falls due again and a living replica sends it.
    const deliveries = await db.kysely.selectFrom('webhook_delivery').select('id').where('consult_id', 'in', consults).execute();
    expect(deliveries).toHaveLength(3);
    const started = Date.now();
    for (;;) {
      const pending = await db.kysely.selectFrom('webhook_delivery').select('id').where('consult_id', 'in', consults).where('status', '!=', 'delivered').execute();
      if (pending.length === 0) break;
      if (Date.now() - started > 150_000) throw new Error(`${pending.length} deliveries still pending`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    // Each delivery accepted exactly once; the one cut off was sent again under the same key.
    expect([...receiver.accepted.keys()].sort()).toEqual(deliveries.map((d) => d.id).sort());
    expect([...receiver.accepted.values()].every((n) => n === 1)).toBe(true);
    expect(receiver.posts.filter((key) => key === heldKey)).toHaveLength(2);
    expect(receiver.posts).toHaveLength(4);
  }, 300_000);

  it('keeps every acknowledged instance once when a replica is SIGKILLed mid-upload and the client retries', async () => {
    const token = await demoToken(proxyUrl, 'rad@xuhui.demo');
    const victim = alive()[0]!;
    let killing: Promise<void> | undefined;
    const { acknowledged, failures } = await upload(newStudy(60), {
      clients: 3,
      token,
      afterAcknowledged: (count) => {
        if (count === 15 && !killing) killing = kill(victim);
      },
    });
    await killing;
    expect(acknowledged).toHaveLength(60);
    expect(new Set(acknowledged).size).toBe(60);
    console.info(`one replica SIGKILLed mid-upload: ${failures} requests failed and were sent again`);
    await expectStoredOnce(acknowledged);
    // Nothing left indexed twice by a retry of a request whose first answer was lost.
    const { count } = await db.kysely.selectFrom('instance').select((eb) => eb.fn.countAll<number>().as('count')).where('sop_instance_uid', 'in', acknowledged).executeTakeFirstOrThrow();
    expect(Number(count)).toBe(60);
  }, 180_000);

  it('finishes a resumable zip upload when a replica is SIGKILLed mid-upload and the client resumes', async () => {
    // A fresh replica beside the survivor of the test above, as an orchestrator would start.
    await startReplica();
    proxy.setBackends(alive().map((r) => r.url));
    expect(alive()).toHaveLength(2);
    const token = await demoToken(proxyUrl, 'rad@xuhui.demo');
    const victim = alive()[0]!;
    let killing: Promise<void> | undefined;
    const { result, missing } = await uploadZipInParts(zipOfNewStudy(12), {
      token,
      clients: 3,
      afterPart: (count) => {
        if (count === 3 && !killing) killing = kill(victim);
      },
    });
    await killing;
    expect(alive()).not.toContain(victim);
    console.info(`one replica SIGKILLed mid-upload of a zip in parts: ${missing.length} parts sent again after asking the session`);
    expect(result.summary.stored).toBe(12);
    await expectStudiesStored(result.studyIds, 12);
  }, 180_000);
});
