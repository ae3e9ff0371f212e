import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readSample } from '../testing/dicom-fixtures.js';
import { createConsult, stowInstances } from '../testing/seed-consult.js';
import { createTestApp, type TestApp, type TestResponse } from '../testing/test-app.js';

/**
 * Tumour board sessions: who may schedule and sit on one, that participants see only their
 * sessions (and the reading centre only pseudonyms), that the presenter's viewport reaches a
 * participant connected to another replica through PostgreSQL's NOTIFY, that the pointer
 * passes, and that the chair's signed consensus, with attendance, is in the report the sending
 * hospital gets back as PDF, DICOM SR and FHIR.
 */
describe('tumour board sessions', () => {
  let t: TestApp;
  let replica: TestApp;
  let base: string;
  let replicaBase: string;
  let consultId: string;
  let boardId: string;
  const tokens: Record<string, string> = {};
  const workDir = mkdtempSync(join(tmpdir(), 'yunzhen-board-'));

  const call = async (who: string, method: string, path: string, body?: unknown, at = base): Promise<TestResponse> =>
    fetch(new URL(path, at), { method, headers: { Authorization: `Bearer ${tokens[who]}`, ...(body !== undefined && { 'Content-Type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
  const userId = async (who: string) => ((await (await call(who, 'GET', '/api/me')).json()) as { user: { id: string } }).user.id;

  beforeAll(async () => {
    t = await createTestApp({ db: 'embedded' });
    replica = await createTestApp({ db: 'embedded', replicaOf: t });
    base = await t.listen();
    replicaBase = await replica.listen();
    for (const who of ['chair@scc.demo', 'specialist@scc.demo', 'lin@scc.demo', 'admin@scc.demo', 'rad@xuhui.demo', 'doctor@xuhui.demo', 'doctor@minhang.demo', 'rad@minhang.demo']) tokens[who] = await t.token(who);
    // CT_small: patient "CompressedSamples^CT1".
    const [uid] = await stowInstances(base, tokens['rad@xuhui.demo']!, [readSample('modalities/CT_small.dcm')]);
    consultId = (await createConsult(base, tokens['rad@xuhui.demo']!, [uid!], { clinicalQuestion: 'Staging?' })).id;
    expect((await call('specialist@scc.demo', 'POST', `/api/consults/${consultId}/report`, { templateId: 'general', language: 'en' })).status).toBe(201);
    expect((await call('specialist@scc.demo', 'PUT', `/api/consults/${consultId}/report`, { version: 1, changes: { values: { technique: { en: 'Non-contrast chest CT.' }, findings: { en: 'Mass in the right upper lobe.' }, impression: { en: 'Suspicious for lung cancer.' } } } })).status).toBe(200);
    expect((await call('specialist@scc.demo', 'POST', `/api/consults/${consultId}/report/sign`, { version: 2, kind: 'final' })).status).toBe(200);
  }, 180_000);
  afterAll(async () => {
    await replica?.close();
    await t?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('is scheduled by a licensed specialist with the cases and participants the consult access rules allow', async () => {
    const valid = { title: 'Thoracic board', scheduledAt: '2026-12-10T08:00:00Z', consultIds: [consultId], participantIds: [await userId('specialist@scc.demo')], referringDoctors: true };
    // Only specialists chair; the hospital does not.
    expect((await call('doctor@xuhui.demo', 'POST', '/api/boards', valid)).status).toBe(403);
    // Bad input: named field, 400.
    const bad = await call('chair@scc.demo', 'POST', '/api/boards', { ...valid, consultIds: [] });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe('InvalidRequest');
    expect((await call('chair@scc.demo', 'POST', '/api/boards', { ...valid, scheduledAt: 'tomorrow' })).status).toBe(400);
    // Named participants are the centre's specialists: not a referring doctor (they come with `referringDoctors`), not a radiographer.
    for (const who of ['doctor@minhang.demo', 'doctor@xuhui.demo', 'rad@xuhui.demo', 'admin@scc.demo']) {
      const refused = await call('chair@scc.demo', 'POST', '/api/boards', { ...valid, participantIds: [await userId(who)] });
      expect(refused.status).toBe(422);
      expect((await refused.json()).error.code).toBe('BoardParticipantNotAllowed');
    }
    // A consult the centre does not read (or that does not exist): 404.
    expect((await call('chair@scc.demo', 'POST', '/api/boards', { ...valid, consultIds: ['00000000-0000-4000-8000-000000000000'] })).status).toBe(404);

    expect((await call('chair@scc.demo', 'POST', '/api/boards', { ...valid, participantIds: [], referringDoctors: false })).status).toBe(400);

    // The chair is offered the centre's specialists by id, the sending hospital's referring doctors by name only.
    const candidates = await (await call('chair@scc.demo', 'GET', `/api/consults/${consultId}/board-candidates`)).json();
    expect(candidates).toEqual({
      specialists: [
        { userId: await userId('specialist@scc.demo'), displayName: 'Dr. Chen Wei (specialist)' },
        { userId: await userId('lin@scc.demo'), displayName: 'Dr. Lin Hui (specialist)' },
      ],
      referringDoctors: [{ displayName: 'Dr. Wang Fang (referring)' }],
    });
    expect((await call('doctor@xuhui.demo', 'GET', `/api/consults/${consultId}/board-candidates`)).status).toBe(403);

    const created = await call('chair@scc.demo', 'POST', '/api/boards', valid);
    expect(created.status).toBe(201);
    const { board } = await created.json();
    boardId = board.id;
    expect(board).toMatchObject({ title: 'Thoracic board', isChair: true, cases: [{ consultId }] });
    expect(board.participants.map((p: { displayName: string }) => p.displayName).sort()).toEqual(['Dr. Chen Wei (specialist)', 'Dr. Wang Fang (referring)', 'Prof. Zhou Hua (tumour board chair)']);

    // Participants see it; others get 404 as for a session that does not exist.
    expect((await (await call('specialist@scc.demo', 'GET', '/api/boards')).json()).boards.map((b: { id: string }) => b.id)).toContain(boardId);
    expect((await (await call('doctor@minhang.demo', 'GET', '/api/boards')).json()).boards).toEqual([]);
    for (const who of ['doctor@minhang.demo', 'admin@scc.demo', 'rad@xuhui.demo']) expect((await call(who, 'GET', `/api/boards/${boardId}`)).status).toBe(404);
    expect((await call('specialist@scc.demo', 'GET', '/api/boards/not-a-uuid')).status).toBe(404);

    // The reading centre sees the pseudonym; the sending hospital's doctor the patient.
    const readerView = JSON.stringify(await (await call('specialist@scc.demo', 'GET', `/api/boards/${boardId}`)).json());
    expect(readerView).not.toContain('CompressedSamples');
    expect(readerView).not.toContain(await userId('doctor@xuhui.demo'));
    const senderView = JSON.stringify(await (await call('doctor@xuhui.demo', 'GET', `/api/boards/${boardId}`)).json());
    expect(senderView).toContain('CompressedSamples');

    const audited = await t.db.kysely.selectFrom('audit_event').select(['object_type', 'object_id']).where('object_type', '=', 'board_session').where('object_id', '=', boardId).execute();
    expect(audited.length).toBeGreaterThan(0);
  }, 120_000);

  it("relays the presenter's viewport to a participant on another replica, and the pointer passes", async () => {
    const viewport = (imageIndex: number, width: number) => ({ viewport: { consultId, studyIndex: 0, displaySetIndex: 0, imageIndex, voi: { width, center: 40 }, camera: { focalPoint: [3, -2, 10], parallelScale: 120 } } });
    // Taking the pointer needs having joined.
    expect((await call('chair@scc.demo', 'POST', `/api/boards/${boardId}/pointer`)).status).toBe(409);
    for (const who of ['chair@scc.demo', 'specialist@scc.demo']) expect((await call(who, 'POST', `/api/boards/${boardId}/join`)).status).toBe(200);

    // The follower's stream is served by the replica; the presenter talks to the first app.
    const controller = new AbortController();
    const stream = await fetch(new URL(`/api/boards/${boardId}/events`, replicaBase), { headers: { Authorization: `Bearer ${tokens['specialist@scc.demo']}` }, signal: controller.signal });
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const states = readStates(stream.body!);
    try {
      const initial = await states.next((s) => s.seq >= 0);
      expect(initial.presenter).toBeNull();

      expect((await call('chair@scc.demo', 'POST', `/api/boards/${boardId}/pointer`)).status).toBe(200);
      const put = await call('chair@scc.demo', 'PUT', `/api/boards/${boardId}/viewport`, viewport(7, 400));
      expect(put.status).toBe(200);
      const seen = await states.next((s) => (s.viewport as { imageIndex?: number } | null)?.imageIndex === 7);
      expect(seen).toMatchObject({ presenter: { displayName: 'Prof. Zhou Hua (tumour board chair)' }, viewport: { imageIndex: 7, voi: { width: 400, center: 40 }, camera: { focalPoint: [3, -2, 10], parallelScale: 120 } } });

      // Someone not holding the pointer cannot move the board's viewport.
      const notPresenter = await call('specialist@scc.demo', 'PUT', `/api/boards/${boardId}/viewport`, viewport(1, 100));
      expect(notPresenter.status).toBe(409);
      expect((await notPresenter.json()).error.code).toBe('NotPresenter');
      // Bad viewports: 400.
      expect((await call('chair@scc.demo', 'PUT', `/api/boards/${boardId}/viewport`, { viewport: { ...viewport(1, 1).viewport, imageIndex: -1 } })).status).toBe(400);
      expect((await call('chair@scc.demo', 'PUT', `/api/boards/${boardId}/viewport`, { viewport: { ...viewport(1, 1).viewport, consultId: '00000000-0000-4000-8000-000000000000' } })).status).toBe(400);

      // The pointer passes to the specialist (through the replica), and the chair takes it back.
      expect((await call('specialist@scc.demo', 'POST', `/api/boards/${boardId}/pointer`, undefined, replicaBase)).status).toBe(200);
      await states.next((s) => s.presenter?.displayName === 'Dr. Chen Wei (specialist)');
      expect((await call('specialist@scc.demo', 'PUT', `/api/boards/${boardId}/viewport`, viewport(3, 1500), replicaBase)).status).toBe(200);
      await states.next((s) => (s.viewport as { imageIndex?: number }).imageIndex === 3);
      expect((await call('chair@scc.demo', 'PUT', `/api/boards/${boardId}/viewport`, viewport(9, 80))).status).toBe(409);
      expect((await call('chair@scc.demo', 'POST', `/api/boards/${boardId}/pointer`)).status).toBe(200);
      await states.next((s) => s.presenter?.displayName === 'Prof. Zhou Hua (tumour board chair)');
    } finally {
      controller.abort();
    }
    // A non-participant's stream is refused like the session itself.
    expect((await call('doctor@minhang.demo', 'GET', `/api/boards/${boardId}/events`, undefined, replicaBase)).status).toBe(404);
  }, 120_000);

  it("puts the chair's signed consensus, with date and attendance, into the report the hospital gets back", async () => {
    const recommendation = { en: 'Lobectomy after mediastinal staging; board agrees.', 'zh-CN': '纵隔分期后行肺叶切除术。' };
    expect((await call('specialist@scc.demo', 'POST', `/api/boards/${boardId}/cases/${consultId}/consensus`, { recommendation })).status).toBe(403);
    expect((await call('chair@scc.demo', 'POST', `/api/boards/${boardId}/cases/${consultId}/consensus`, { recommendation: { en: '  ' } })).status).toBe(400);
    const signed = await call('chair@scc.demo', 'POST', `/api/boards/${boardId}/cases/${consultId}/consensus`, { recommendation });
    expect(signed.status).toBe(200);
    expect((await signed.json()).board.cases[0].consensus).toMatchObject({ recommendation, signedBy: 'Prof. Zhou Hua (tumour board chair)' });
    const again = await call('chair@scc.demo', 'POST', `/api/boards/${boardId}/cases/${consultId}/consensus`, { recommendation });
    expect(again.status).toBe(409);
    expect((await again.json()).error.code).toBe('ConsensusSigned');

    // The sending hospital's PDF: poppler's pdftotext reads the section.
    const pdf = await call('doctor@xuhui.demo', 'GET', `/api/consults/${consultId}/report/pdf`);
    expect(pdf.status).toBe(200);
    const path = join(workDir, 'report.pdf');
    writeFileSync(path, new Uint8Array(await pdf.arrayBuffer()));
    const text = execFileSync('pdftotext', [path, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
    expect(text).toContain('Tumour board consensus');
    expect(text).toContain('Lobectomy after mediastinal staging; board agrees.');
    expect(text).toContain('Attendance: Dr. Chen Wei (specialist) (Shanghai Cancer Center (demo)); Prof. Zhou Hua (tumour board chair) (Shanghai Cancer Center (demo))');
    expect(text).not.toContain('Dr. Wang Fang'); // invited, never joined
    expect(text).toContain('2026-12-10');

    const sr = Buffer.from(await (await call('doctor@xuhui.demo', 'GET', `/api/consults/${consultId}/report/sr`)).arrayBuffer()).toString('utf8');
    expect(sr).toContain('Tumour board consensus');
    expect(sr).toContain('Lobectomy after mediastinal staging');
    expect(sr).toContain('纵隔分期后行肺叶切除术');
    const fhir = await (await call('doctor@xuhui.demo', 'GET', `/api/consults/${consultId}/report/fhir`)).json();
    expect(JSON.stringify(fhir)).toContain('Tumour board consensus');
  }, 120_000);
});

type State = { seq: number; presenter: { displayName: string } | null; viewport: unknown };

/** Reads server-sent `state` events from a stream; `next` waits for the first (from now on, or buffered) that matches. */
function readStates(body: ReadableStream<Uint8Array>) {
  const seen: State[] = [];
  let consumed = 0;
  let wake: (() => void) | undefined;
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = event.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n');
          if (/^event: ?state$/m.test(event) && data) seen.push(JSON.parse(data) as State);
          wake?.();
        }
      }
    } catch {
      // aborted
    }
  })();
  return {
    async next(match: (state: State) => boolean): Promise<State> {
      for (;;) {
        while (consumed < seen.length) {
          const state = seen[consumed++]!;
          if (match(state)) return state;
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}
