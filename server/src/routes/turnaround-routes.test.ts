import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createEscalations } from '../notify/escalations.js';
import { readSample, rewriteInstances } from '../testing/dicom-fixtures.js';
import { createConsult, stowInstances } from '../testing/seed-consult.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';

const HOUR = 60 * 60 * 1000;

/**
 * Turnaround: a reading centre's service levels set the due time, consults running out of time
 * are escalated at 80 % and 100 % (once each) to the claimer and the centre's leads, and the
 * admins' dashboard and CSV show turnaround without patient data.
 */
describe('service levels, escalation and the turnaround dashboard', () => {
  let t: TestApp;
  let base: string;
  let tokens: Record<string, string>;
  let clockOffsetMs = 0;
  const now = () => new Date(Date.now() + clockOffsetMs);
  let urgentId: string;
  let routineId: string;

  const call = async (who: string, method: string, path: string, body?: unknown) =>
    t.request(path, { method, headers: { Authorization: `Bearer ${tokens[who]}`, ...(body !== undefined && { 'Content-Type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
  const newConsult = async (priority: 'urgent' | 'routine', question: string) => {
    const [uid] = await stowInstances(base, tokens['rad@xuhui.demo']!, rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true }));
    return (await createConsult(base, tokens['rad@xuhui.demo']!, [uid!], { clinicalQuestion: question, priority })).id;
  };

  beforeAll(async () => {
    t = await createTestApp({ db: 'embedded', now, settings: { email: true } });
    base = await t.listen();
    tokens = {};
    for (const who of ['rad@xuhui.demo', 'admin@xuhui.demo', 'specialist@scc.demo', 'lin@scc.demo', 'admin@scc.demo']) tokens[who] = await t.token(who);
  }, 120_000);
  afterAll(() => t?.close());

  it('lets the centre admin set its service levels, which set the due time of new consults', async () => {
    expect((await (await call('specialist@scc.demo', 'GET', '/api/service-levels')).json()).levels).toEqual({ stat: 60, urgent: 1440, routine: 4320 });
    expect((await call('admin@scc.demo', 'PUT', '/api/service-levels', { stat: 30, urgent: 600, routine: 2880 })).status).toBe(200);
    expect((await call('admin@scc.demo', 'PUT', '/api/service-levels', { stat: 700, urgent: 600, routine: 2880 })).status).toBe(400);
    expect((await call('admin@xuhui.demo', 'PUT', '/api/service-levels', { stat: 30, urgent: 600, routine: 2880 })).status).toBe(403);
    expect((await call('specialist@scc.demo', 'PUT', '/api/service-levels', { stat: 30, urgent: 600, routine: 2880 })).status).toBe(403);

    urgentId = await newConsult('urgent', 'urgent one');
    routineId = await newConsult('routine', 'routine one');
    const consult = (await (await call('rad@xuhui.demo', 'GET', `/api/consults/${urgentId}`)).json()).consult;
    expect(new Date(consult.dueAt).getTime() - new Date(consult.createdAt).getTime()).toBe(10 * HOUR);
  }, 120_000);

  it('escalates at 80 % to the claimer and the leads, at 100 % again, once each, in the app and by e-mail', async () => {
    expect((await call('specialist@scc.demo', 'POST', `/api/consults/${urgentId}/claim`)).status).toBe(200);
    const escalations = createEscalations({ repos: t.repos, logger: t.logger, now, email: true, publicUrl: 'https://yunzhen.example.org' });
    clockOffsetMs = 7 * HOUR;
    expect(await escalations.tick()).toEqual({ dueSoon: 0, overdue: 0 });
    clockOffsetMs = 8 * HOUR + 60_000;
    expect(await escalations.tick()).toEqual({ dueSoon: 1, overdue: 0 });
    expect(await escalations.tick()).toEqual({ dueSoon: 0, overdue: 0 });

    const bell = async (who: string) => (await call(who, 'GET', '/api/notifications')).json();
    expect(await bell('specialist@scc.demo')).toMatchObject({ unread: 1, notifications: [{ kind: 'consult-due-soon', consultId: urgentId, priority: 'urgent' }] });
    expect((await bell('admin@scc.demo')).unread).toBe(1);
    // The sending hospital is not told of the centre's lateness in its bell.
    expect((await bell('rad@xuhui.demo')).unread).toBe(0);

    clockOffsetMs = 10 * HOUR + 60_000;
    expect(await escalations.tick()).toEqual({ dueSoon: 0, overdue: 1 });
    expect((await bell('admin@scc.demo')).notifications.map((n: { kind: string }) => n.kind)).toEqual(['consult-overdue', 'consult-due-soon']);
    expect((await (await call('admin@scc.demo', 'POST', '/api/notifications/read')).json()).unread).toBe(0);
    expect((await bell('admin@scc.demo')).unread).toBe(0);
    // Nobody had begun the report: the consult went to the centre's other specialist, who is told.
    expect(await bell('lin@scc.demo')).toMatchObject({ unread: 1, notifications: [{ kind: 'consult-reassigned', consultId: urgentId }] });
    const consult = (await (await call('admin@scc.demo', 'GET', `/api/consults/${urgentId}`)).json()).consult;
    expect(consult.claimedBy).toMatchObject({ displayName: 'Dr. Lin Hui (specialist)' });
    const audit = await t.db.kysely.selectFrom('audit_event').select(['user_id', 'detail']).where('object_id', '=', urgentId).where('event_code', '=', '110111').execute();
    expect(audit.map((a) => a.detail)).toContainEqual(expect.objectContaining({ change: 'reassigned', by: 'escalation' }));

    // Five e-mails (the two first told twice, the new reader once), with the reference and link, without the patient.
    const emails = await t.repos.messages.claimDueEmails({ now: now(), leaseMs: 0, claimant: 'test', limit: 50 });
    expect(emails.map((e) => e.to_address).sort()).toEqual(['admin@scc.demo', 'admin@scc.demo', 'lin@scc.demo', 'specialist@scc.demo', 'specialist@scc.demo']);
    for (const email of emails) {
      expect(email.subject).toContain(urgentId.slice(0, 8).toUpperCase());
      expect(email.body).toContain(`https://yunzhen.example.org/consults/${urgentId}/read`);
      expect(`${email.subject}${email.body}`).not.toMatch(/CompressedSamples|1CT1/);
    }
  }, 120_000);

  it('shows the admins turnaround by hospital, modality and month, and exports it as CSV without patient data', async () => {
    // Sign the routine consult two hours after it was sent.
    clockOffsetMs = 2 * HOUR;
    expect((await call('specialist@scc.demo', 'POST', `/api/consults/${routineId}/report`, { templateId: 'general', language: 'en' })).status).toBe(201);
    const values = { technique: { en: 'CT chest.' }, findings: { en: 'A 6 mm nodule.' }, impression: { en: 'Small nodule; follow up.' } };
    expect((await call('specialist@scc.demo', 'PUT', `/api/consults/${routineId}/report`, { version: 1, changes: { values } })).status).toBe(200);
    expect((await call('specialist@scc.demo', 'POST', `/api/consults/${routineId}/report/sign`, { version: 2, kind: 'final' })).status).toBe(200);
    clockOffsetMs = 11 * HOUR;

    const centre = await (await call('admin@scc.demo', 'GET', '/api/dashboard/turnaround')).json();
    expect(centre.side).toBe('reader');
    expect(centre.overall).toMatchObject({ consults: 2, signed: 1, overdue: 1 });
    expect(centre.overall.medianHours).toBeCloseTo(2, 0);
    expect(centre.byHospital).toMatchObject([{ key: 'Xuhui District Hospital (demo)', consults: 2 }]);
    expect(centre.byModality).toMatchObject([{ key: 'CT', consults: 2 }]);
    expect(centre.byPriority.map((g: { key: string }) => g.key)).toEqual(['routine', 'urgent']);
    expect(centre.overdueOpen).toMatchObject([{ id: urgentId, priority: 'urgent', hospital: 'Xuhui District Hospital (demo)' }]);

    const sender = await (await call('admin@xuhui.demo', 'GET', '/api/dashboard/turnaround')).json();
    expect(sender).toMatchObject({ side: 'sender', byHospital: [{ key: 'Shanghai Cancer Center (demo)', consults: 2 }] });
    expect((await call('specialist@scc.demo', 'GET', '/api/dashboard/turnaround')).status).toBe(403);
    expect((await call('admin@scc.demo', 'GET', '/api/dashboard/turnaround?from=nonsense')).status).toBe(400);

    const csv = await call('admin@scc.demo', 'GET', '/api/dashboard/turnaround.csv');
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines[0]).toBe('reference,priority,status,sending_hospital,reading_centre,modalities,created_at,due_at,claimed_at,signed_at,turnaround_hours,overdue,opinions_agree,opinions_total');
    expect(lines).toHaveLength(3);
    expect(lines.join('\n')).not.toMatch(/CompressedSamples|1CT1/);
    expect(lines.find((l) => l.startsWith(urgentId.slice(0, 8).toUpperCase()))).toMatch(/,yes,0,0$/);
  }, 120_000);

  it('at 100 % leaves a report in progress with its reader, and gives an unclaimed consult to the least busy specialist', async () => {
    clockOffsetMs = 11 * HOUR;
    const drafted = await newConsult('urgent', 'a report in progress');
    const unclaimed = await newConsult('urgent', 'nobody took it');
    expect((await call('specialist@scc.demo', 'POST', `/api/consults/${drafted}/claim`)).status).toBe(200);
    expect((await call('specialist@scc.demo', 'POST', `/api/consults/${drafted}/report`, { templateId: 'general', language: 'en' })).status).toBe(201);
    const escalations = createEscalations({ repos: t.repos, logger: t.logger, now, email: false, publicUrl: undefined });
    clockOffsetMs = 21 * HOUR + 60_000;
    expect(await escalations.tick()).toEqual({ dueSoon: 0, overdue: 2 });
    const holder = async (id: string) => (await (await call('admin@scc.demo', 'GET', `/api/consults/${id}`)).json()).consult.claimedBy?.displayName;
    expect(await holder(drafted)).toBe('Dr. Chen Wei (specialist)');
    // Each reader holds one open consult (Dr. Chen the drafted one, Dr. Lin the one reassigned
    // before); a tie goes by name.
    expect(await holder(unclaimed)).toBe('Dr. Chen Wei (specialist)');
    const told = await (await call('specialist@scc.demo', 'GET', '/api/notifications')).json();
    expect(told.notifications.filter((n: { consultId: string }) => n.consultId === unclaimed || n.consultId === drafted).map((n: { kind: string }) => n.kind).sort()).toEqual(['consult-overdue', 'consult-reassigned']);
  }, 120_000);
});
