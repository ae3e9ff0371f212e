import { createHash } from 'node:crypto';

import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { withAdvisoryLock } from '@yunzhen/db';
import { scanDicom } from '@yunzhen/dicom';

import { defaultSettings } from '../app.js';
import { sweepExpiredUploads, UPLOAD_SESSION_SWEEP_LOCK } from '../ingest/upload-sessions.js';
import { readSample } from '../testing/dicom-fixtures.js';
import { quotedOverlapBomb } from '../testing/hostile-zips.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';

const PART_BYTES = 16 * 1024;
const HOUR = 60 * 60 * 1000;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest();
const digestOf = (bytes: Uint8Array) => `sha-256=:${sha256(bytes).toString('base64')}:`;
const partsOf = (archive: Uint8Array, size = PART_BYTES) => Array.from({ length: Math.ceil(archive.length / size) }, (_, i) => archive.subarray(i * size, (i + 1) * size));

describe('resumable upload sessions', () => {
  let t: TestApp;
  let token: string;
  let offset = 0;
  /** The app's clock, moved forward by tests of expiry. */
  const clock = () => new Date(Date.now() + offset);
  beforeAll(async () => {
    t = await createTestApp({
      db: 'embedded',
      now: clock,
      settings: {
        zipLimits: { ...defaultSettings.zipLimits, maxArchiveBytes: 4 * 1024 * 1024 },
        uploadSessions: { ...defaultSettings.uploadSessions, partBytes: PART_BYTES, maxParts: 100, maxOpenPerUser: 4 },
      },
    });
    token = await t.token('rad@minhang.demo');
  }, 60_000);
  afterAll(() => t.close());

  const call = (path: string, init: { method?: string; json?: unknown; body?: Uint8Array; headers?: Record<string, string>; auth?: string } = {}) =>
    t.request(path, {
      method: init.method ?? 'GET',
      headers: { Authorization: `Bearer ${init.auth ?? token}`, ...(init.json !== undefined && { 'Content-Type': 'application/json' }), ...init.headers },
      body: init.json !== undefined ? JSON.stringify(init.json) : init.body && new Blob([init.body]),
    });
  const open = async (totalBytes: number, auth?: string) => {
    const response = await call('/api/uploads/sessions', { method: 'POST', json: { kind: 'zip', totalBytes }, auth });
    expect(response.status).toBe(201);
    return (await response.json()).session as { id: string; partBytes: number; partCount: number; parts: { index: number }[] };
  };
  const putPart = (id: string, index: number, bytes: Uint8Array, headers: Record<string, string> = {}, auth?: string) =>
    call(`/api/uploads/sessions/${id}/parts/${index}`, { method: 'PUT', body: bytes, headers: { 'Content-Length': String(bytes.length), 'Content-Digest': digestOf(bytes), ...headers }, auth });
  /** Completes and asks again until the session is no longer being assembled (ingest runs after the answer). */
  const complete = async (id: string, auth?: string) => {
    for (let attempt = 0; attempt < 600; attempt++) {
      const response = await call(`/api/uploads/sessions/${id}/complete`, { method: 'POST', auth });
      if (response.status !== 202) return response;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the upload was still completing after a minute');
  };
  const cancel = (id: string) => call(`/api/uploads/sessions/${id}`, { method: 'DELETE' });
  const storedOriginals = async (...instances: Uint8Array[]) => {
    const uids = instances.map((bytes) => {
      const scanned = scanDicom(bytes);
      if (!scanned.ok) throw new Error('sample did not scan');
      return scanned.attributes.SOPInstanceUID!;
    });
    const { stored } = await (await call('/api/uploads/check', { method: 'POST', json: { sopInstanceUids: uids } })).json();
    return uids.map((uid) => (stored as string[]).includes(uid));
  };

  it('takes parts in any order, ingests nothing before completion, and answers as the one-request upload does', async () => {
    const mr = readSample('studies/mr-16slice/MR05.dcm');
    const archive = zipSync({ 'exam/mr.dcm': mr, 'exam/copy.dcm': mr, 'exam/notes.txt': new TextEncoder().encode('not dicom'), DICOMDIR: new Uint8Array(10) }, { level: 0 });
    const parts = partsOf(archive);
    expect(parts.length).toBeGreaterThanOrEqual(4);
    const session = await open(archive.length);
    expect(session).toMatchObject({ partBytes: PART_BYTES, partCount: parts.length, parts: [] });
    const order = parts.map((_, i) => i).reverse();
    for (const index of order) expect((await putPart(session.id, index, parts[index]!)).status).toBe(200);
    // A part sent again (its answer was lost) is taken again without harm.
    expect((await putPart(session.id, 1, parts[1]!)).status).toBe(200);
    expect(await storedOriginals(mr)).toEqual([false]);

    const done = await complete(session.id);
    expect(done.status).toBe(200);
    const { session: finished } = await done.json();
    expect(finished.status).toBe('completed');
    const byName = Object.fromEntries(finished.result.entries.map((e: { name: string; status: string; code?: string }) => [e.name, e.code ? `${e.status}:${e.code}` : e.status]));
    expect(byName).toEqual({ 'exam/mr.dcm': 'stored', 'exam/copy.dcm': 'duplicate', 'exam/notes.txt': 'rejected:NotDicom', DICOMDIR: 'ignored:Dicomdir' });
    expect(finished.result.summary).toEqual({ stored: 1, duplicate: 1, rejected: 1, ignored: 1 });
    expect(finished.result.studyIds).toHaveLength(1);
    expect(await storedOriginals(mr)).toEqual([true]);
    // Completing again (the answer was lost) answers the same result without ingesting twice.
    expect((await (await complete(session.id)).json()).session.result).toEqual(finished.result);
    // The parts are gone from the store once ingested; a part now is refused.
    expect((await t.repos.uploadSessions.parts(session.id)).length).toBe(0);
    expect((await putPart(session.id, 0, parts[0]!)).status).toBe(409);
    // Audited as one import.
    const imports = await t.db.kysely.selectFrom('audit_event').select('detail').where('event_code', '=', '110107').execute();
    expect(imports.some((row) => (row.detail as { entryPoint?: string }).entryPoint === 'zip-session')).toBe(true);
  }, 60_000);

  it('tells which parts are there, so a client resumes, and refuses to complete while one is missing', async () => {
    const archive = zipSync({ 'ct.dcm': readSample('modalities/CT_small.dcm') }, { level: 0 });
    const parts = partsOf(archive);
    const session = await open(archive.length);
    await putPart(session.id, 0, parts[0]!);
    await putPart(session.id, 2, parts[2]!);
    const missing = await complete(session.id);
    expect(missing.status).toBe(409);
    expect((await missing.json()).error.code).toBe('UploadIncomplete');
    const { session: state } = await (await call(`/api/uploads/sessions/${session.id}`)).json();
    expect(state.status).toBe('open');
    expect(state.parts.map((p: { index: number; sha256: string }) => [p.index, p.sha256])).toEqual([
      [0, sha256(parts[0]!).toString('hex')],
      [2, sha256(parts[2]!).toString('hex')],
    ]);
    // The client sends what is missing and completes.
    for (let index = 0; index < parts.length; index++) if (![0, 2].includes(index)) await putPart(session.id, index, parts[index]!);
    expect((await complete(session.id)).status).toBe(200);
  }, 60_000);

  it('takes over a completion whose replica died (its lease lapsed), and leaves a live one alone', async () => {
    const mr = readSample('studies/mr-16slice/MR06.dcm');
    const archive = zipSync({ 'mr.dcm': mr }, { level: 0 });
    const session = await open(archive.length);
    for (const [index, part] of partsOf(archive).entries()) await putPart(session.id, index, part);
    // Another replica claimed it and is assembling it: completing here only says so.
    const claimed = await t.repos.uploadSessions.claim(session.id, 'other-host:1', clock(), new Date(clock().getTime() + 60_000));
    expect(claimed?.status).toBe('completing');
    const waiting = await call(`/api/uploads/sessions/${session.id}/complete`, { method: 'POST' });
    expect(waiting.status).toBe(202);
    expect((await waiting.json()).session.status).toBe('completing');
    expect(await storedOriginals(mr)).toEqual([false]);
    // That replica died: once its lease has lapsed, completing again takes over and ingests.
    offset = 2 * 60_000;
    const done = await complete(session.id);
    offset = 0;
    expect(done.status).toBe(200);
    expect((await done.json()).session.result.summary.stored).toBe(1);
    expect(await storedOriginals(mr)).toEqual([true]);
  }, 60_000);

  it('asks again for a part the store lost, and completes once it is sent again', async () => {
    const mr = readSample('studies/mr-16slice/MR07.dcm');
    const archive = zipSync({ 'mr.dcm': mr }, { level: 0 });
    const parts = partsOf(archive);
    const session = await open(archive.length);
    for (const [index, part] of parts.entries()) await putPart(session.id, index, part);
    const lost = (await t.repos.uploadSessions.parts(session.id)).find((p) => p.index === 1)!;
    await t.store.delete(lost.objectKey);
    // The first completion finds the part missing and reopens the session without it.
    expect((await call(`/api/uploads/sessions/${session.id}/complete`, { method: 'POST' })).status).toBe(202);
    const incomplete = await complete(session.id);
    expect(incomplete.status).toBe(409);
    expect((await incomplete.json()).error.code).toBe('UploadIncomplete');
    const { session: state } = await (await call(`/api/uploads/sessions/${session.id}`)).json();
    expect(state.parts.map((p: { index: number }) => p.index)).not.toContain(1);
    expect((await putPart(session.id, 1, parts[1]!)).status).toBe(200);
    const done = await complete(session.id);
    expect(done.status).toBe(200);
    expect((await done.json()).session.result.summary.stored).toBe(1);
  }, 60_000);

  it('refuses a part with a wrong checksum, size or index, and keeps nothing of it', async () => {
    const archive = new Uint8Array(PART_BYTES + 100).fill(7);
    const session = await open(archive.length);
    const [first, last] = partsOf(archive);
    const other = new Uint8Array(first!.length).fill(8);
    const wrongDigest = await putPart(session.id, 0, first!, { 'Content-Digest': digestOf(other) });
    expect(wrongDigest.status).toBe(400);
    expect((await wrongDigest.json()).error.code).toBe('IntegrityMismatch');
    const noDigest = await putPart(session.id, 0, first!, { 'Content-Digest': '' });
    expect((await noDigest.json()).error.code).toBe('DigestRequired');
    // Every part but the last has the session's part size; the last the remainder.
    const short = await putPart(session.id, 0, last!);
    expect(short.status).toBe(400);
    expect((await short.json()).error.code).toBe('PartSizeMismatch');
    expect((await (await putPart(session.id, 2, last!)).json()).error.code).toBe('PartOutOfRange');
    expect((await putPart(session.id, 1, last!)).status).toBe(200);
    const { session: state } = await (await call(`/api/uploads/sessions/${session.id}`)).json();
    expect(state.parts.map((p: { index: number }) => p.index)).toEqual([1]);
    const keys: string[] = [];
    for await (const object of t.store.list(`uploads/${session.id}/`)) keys.push(object.key);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(new RegExp(`^uploads/${session.id}/1-[0-9a-f]{64}$`));
    expect((await cancel(session.id)).status).toBe(204);
  });

  it('checks the limits before any work: total size, part count, open sessions per user', async () => {
    const tooBig = await call('/api/uploads/sessions', { method: 'POST', json: { kind: 'zip', totalBytes: 4 * 1024 * 1024 + 1 } });
    expect(tooBig.status).toBe(413);
    expect((await tooBig.json()).error.code).toBe('PayloadTooLarge');
    const wrongKind = await call('/api/uploads/sessions', { method: 'POST', json: { kind: 'folder', totalBytes: 10 } });
    expect(wrongKind.status).toBe(400);
    const reader = await call('/api/uploads/sessions', { method: 'POST', json: { kind: 'zip', totalBytes: 10 }, auth: await t.token('specialist@scc.demo') });
    expect(reader.status).toBe(403);
    const opened = [];
    for (let n = 0; n < 4; n++) opened.push(await open(10));
    const fifth = await call('/api/uploads/sessions', { method: 'POST', json: { kind: 'zip', totalBytes: 10 } });
    expect(fifth.status).toBe(429);
    expect((await fifth.json()).error.code).toBe('UploadSessionLimit');
    for (const session of opened) await cancel(session.id);
    expect((await call('/api/uploads/sessions', { method: 'POST', json: { kind: 'zip', totalBytes: 10 } })).status).toBe(201);
  });

  it('answers 404 for another user’s session, of another hospital or the same one', async () => {
    const session = await open(10);
    const admin = await t.login('admin@xuhui.demo');
    const xuhui = await t.token('rad@xuhui.demo');
    const created = await t.request('/api/users', {
      method: 'POST',
      session: admin,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'rad2@xuhui.demo', displayName: 'Second radiographer', role: 'radiographer', licensed: true, password: 'a-long-enough-password' }),
    });
    expect(created.status).toBe(201);
    const colleague = (await (await t.request('/api/auth/token', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: 'rad2@xuhui.demo', password: 'a-long-enough-password' }) })).json()).token;
    const mine = await open(10, xuhui);
    for (const [id, auth] of [
      [session.id, xuhui],
      [mine.id, colleague],
    ] as const) {
      for (const response of [
        await call(`/api/uploads/sessions/${id}`, { auth }),
        await putPart(id, 0, new Uint8Array(10), {}, auth),
        await call(`/api/uploads/sessions/${id}/complete`, { method: 'POST', auth }),
        await call(`/api/uploads/sessions/${id}`, { method: 'DELETE', auth }),
      ]) {
        expect(response.status).toBe(404);
        expect((await response.json()).error.code).toBe('NotFound');
      }
    }
    expect((await call('/api/uploads/sessions/not-a-uuid')).status).toBe(404);
  });

  it('fails an upload whose archive is refused, with the archive’s reason', async () => {
    const bomb = quotedOverlapBomb(16, 64 << 10);
    const session = await open(bomb.length);
    for (const [index, part] of partsOf(bomb).entries()) await putPart(session.id, index, part);
    const failed = await complete(session.id);
    expect(failed.status).toBe(422);
    const body = await failed.json();
    expect(body.error.code).toBe('InvalidRequest');
    expect(body.error.message).toMatch(/OverlappingEntries/);
    expect(body.session.status).toBe('failed');
  });

  it('sweeps abandoned sessions and their parts once they expire, one replica at a time', async () => {
    const bytes = new Uint8Array(100).fill(1);
    const session = await open(bytes.length);
    await putPart(session.id, 0, bytes);
    const keys = async () => {
      const found: string[] = [];
      for await (const object of t.store.list(`uploads/${session.id}/`)) found.push(object.key);
      return found;
    };
    expect(await keys()).toHaveLength(1);
    const db = { kysely: t.db.kysely };
    // Not yet expired: kept.
    expect((await sweepExpiredUploads({ store: t.store, repos: t.repos, db }, clock())).sessions).toBe(0);
    offset = 25 * HOUR;
    // Another replica sweeping holds the lock: this one skips the round.
    const other = withAdvisoryLock(t.db.kysely, UPLOAD_SESSION_SWEEP_LOCK, { wait: true }, async () => {
      expect(await sweepExpiredUploads({ store: t.store, repos: t.repos, db }, clock())).toEqual({ ran: false, sessions: 0, parts: 0 });
    });
    await other;
    const swept = await sweepExpiredUploads({ store: t.store, repos: t.repos, db }, clock());
    expect(swept.ran).toBe(true);
    expect(swept.sessions).toBeGreaterThanOrEqual(1);
    expect(await keys()).toEqual([]);
    expect((await call(`/api/uploads/sessions/${session.id}`)).status).toBe(404);
    offset = 0;
  });
});
