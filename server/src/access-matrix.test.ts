import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readSample, stowBody } from './testing/dicom-fixtures.js';
import { textPdf } from './testing/pdf-fixtures.js';
import { createTestApp, type TestApp } from './testing/test-app.js';

/**
 * Every route of the app × every role of the other hospitals: nobody outside Xuhui District
 * Hospital gets any of its data, and a reading centre gets only what a consult addressed to it
 * covers. Admins, of either side, manage people, not patients: no route shows them a real
 * identity, and the routes that are only about patients refuse them. The route list comes from
 * the router itself; a route added without an entry here fails the test until someone decides
 * how it must be probed.
 */

interface Owned {
  studyUid: string;
  seriesUid: string;
  sopUid: string;
  studyId: string;
  consultId: string;
  attachmentId: string;
  /** A real PDF (the server reads attachments' text). */
  pdf: Uint8Array;
  userId: string;
  centreId: string;
  keyImageId: string;
  /** A resumable upload the Xuhui radiographer opened. */
  uploadSessionId: string;
  reportVersion: number;
  /** Values that must never appear in an outsider's answer. */
  secrets: string[];
  /** The sending hospital's real identities (names, patient IDs, birth dates, original UIDs): never in an admin's answer. */
  identities: string[];
}

type Probe =
  | { kind: 'public' }
  /** Names one of Xuhui's resources: outsiders get 403/404, the owner (positive control) 2xx. */
  | {
      kind: 'resource';
      path: (o: Owned) => string;
      method?: string;
      body?: (o: Owned) => unknown;
      contentType?: string;
      owner: string;
      /** Outsiders the resource is addressed to (the reading centre of a consult): any answer, but never identity. */
      sharedWith?: string[];
    }
  /** Lists or searches: outsiders get a success without any of Xuhui's data. */
  | { kind: 'list'; path: string; method?: string; body?: (o: Owned) => unknown }
  /** Writes or uploads that act only on the caller's own hospital. */
  | { kind: 'own-hospital'; note: string };

/** A 1×1 PNG (key images are PNG). */
const PNG = new Uint8Array(Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==', 'base64'));

const instance = (o: Owned) => `/dicomweb/studies/${o.studyUid}/series/${o.seriesUid}/instances/${o.sopUid}`;
const RAD = 'rad@xuhui.demo';
const DOCTOR = 'doctor@xuhui.demo';
const ADMIN = 'admin@xuhui.demo';
const SPECIALIST = 'specialist@scc.demo';
const CENTRE_ADMIN = 'admin@scc.demo';

/** Routes about patients and nothing else: an admin is refused (403) whatever the resource. */
const patientOnly = new Set([
  'GET /api/studies',
  'GET /api/studies/:id',
  'GET /api/consults/:id/attachments/:attachmentId',
  'GET /api/consults/:id/key-images/:imageId',
  'GET /api/consults/:id/report',
  'GET /api/consults/:id/report/history',
  'GET /api/consults/:id/report/recist-history',
  'GET /api/consults/:id/report/versions/:version',
  'GET /api/consults/:id/report/pdf',
  'GET /api/consults/:id/report/fhir',
  'GET /api/consults/:id/report/sr',
  'GET /api/consults/:id/report/patient-summary.pdf',
]);

const matrix: Record<string, Probe> = {
  'GET /healthz': { kind: 'public' },
  'GET /readyz': { kind: 'public' },
  'POST /api/auth/login': { kind: 'public' },
  'POST /api/auth/token': { kind: 'public' },
  'POST /api/auth/logout': { kind: 'own-hospital', note: 'revokes the caller’s own credential' },
  'GET /api/auth/session': { kind: 'list', path: '/api/auth/session' },
  'GET /api/me': { kind: 'list', path: '/api/me' },
  'POST /api/me/password': { kind: 'own-hospital', note: 'changes the caller’s own password, given the current one' },
  'GET /api/users': { kind: 'list', path: '/api/users' },
  'POST /api/users': { kind: 'own-hospital', note: 'creates a user in the admin’s own hospital' },
  'GET /api/users/:id': { kind: 'resource', path: (o) => `/api/users/${o.userId}`, owner: ADMIN },
  'PATCH /api/users/:id': { kind: 'resource', method: 'PATCH', path: (o) => `/api/users/${o.userId}`, body: () => ({ licensed: true }), owner: ADMIN },
  'GET /api/studies': { kind: 'list', path: '/api/studies' },
  'GET /api/studies/:id': { kind: 'resource', path: (o) => `/api/studies/${o.studyId}`, owner: DOCTOR },
  'POST /api/studies/:id/pixel-review': { kind: 'resource', method: 'POST', path: (o) => `/api/studies/${o.studyId}/pixel-review`, body: () => ({ release: [] }), owner: RAD },
  // No owner control here: masking replaces the image the other probes read (pixel-mask-routes.test.ts masks as the owner).
  'POST /api/studies/:id/pixel-review/mask': {
    kind: 'resource',
    method: 'POST',
    path: (o) => `/api/studies/${o.studyId}/pixel-review/mask`,
    body: () => ({ instanceIds: ['00000000-0000-4000-8000-000000000000'], boxes: [{ x: 0, y: 0, width: 1, height: 1 }] }),
    owner: '',
  },
  'POST /api/consults': { kind: 'resource', method: 'POST', path: () => '/api/consults', body: (o) => ({ readingCentreId: o.centreId, studyIds: [o.studyId], clinicalQuestion: 'x', priority: 'routine' }), owner: '' },
  'GET /api/consults': { kind: 'list', path: '/api/consults' },
  'GET /api/consults/:id': { kind: 'resource', path: (o) => `/api/consults/${o.consultId}`, owner: DOCTOR, sharedWith: ['specialist@scc.demo', 'admin@scc.demo'] },
  'POST /api/consults/:id/studies': { kind: 'own-hospital', note: 'adds the sender’s own studies to its own open consult; another hospital gets 404 (consult-routes.test.ts)' },
  'POST /api/consults/:id/attachments': { kind: 'resource', method: 'POST', path: (o) => `/api/consults/${o.consultId}/attachments`, body: (o) => o.pdf, contentType: 'application/pdf', owner: RAD },
  'POST /api/consults/:id/attachments/:attachmentId/release': { kind: 'resource', method: 'POST', path: (o) => `/api/consults/${o.consultId}/attachments/${o.attachmentId}/release`, body: () => ({ reason: 'looked at it' }), owner: RAD },
  'GET /api/consults/:id/attachments/:attachmentId/pages/:page': { kind: 'resource', path: (o) => `/api/consults/${o.consultId}/attachments/${o.attachmentId}/pages/1`, owner: RAD },
  'POST /api/consults/:id/attachments/:attachmentId/redact': {
    kind: 'own-hospital',
    note: 'only the sending hospital redacts its own pending document; the reading centre and others get 403/404 (attachment-redaction.test.ts)',
  },
  'DELETE /api/consults/:id/attachments/:attachmentId': { kind: 'own-hospital', note: 'the sender removes its own pending document; another hospital gets 404 (attachment-review.test.ts)' },
  'GET /api/consults/:id/attachments/:attachmentId': {
    kind: 'resource',
    path: (o) => `/api/consults/${o.consultId}/attachments/${o.attachmentId}`,
    owner: DOCTOR,
    sharedWith: ['specialist@scc.demo'],
  },
  'POST /api/consults/:id/claim': { kind: 'resource', method: 'POST', path: (o) => `/api/consults/${o.consultId}/claim`, owner: '', sharedWith: [SPECIALIST] },
  'POST /api/consults/:id/release': { kind: 'resource', method: 'POST', path: (o) => `/api/consults/${o.consultId}/release`, owner: '', sharedWith: [SPECIALIST] },
  'POST /api/consults/:id/assign': { kind: 'resource', method: 'POST', path: (o) => `/api/consults/${o.consultId}/assign`, body: () => ({ userId: null }), owner: '', sharedWith: [CENTRE_ADMIN] },
  // Referral between centres (referral-routes.test.ts walks a whole referral; here nobody outside reaches one).
  'GET /api/centre-relationships': { kind: 'own-hospital', note: 'configuration for deployment administrators only; everyone else 403 (referral-routes.test.ts)' },
  'POST /api/centre-relationships': { kind: 'own-hospital', note: 'configuration for deployment administrators only; everyone else 403 (referral-routes.test.ts)' },
  'DELETE /api/centre-relationships/:relationshipId': { kind: 'own-hospital', note: 'configuration for deployment administrators only; everyone else 403 (referral-routes.test.ts)' },
  'GET /api/consults/:id/referral': { kind: 'resource', path: (o) => `/api/consults/${o.consultId}/referral`, owner: DOCTOR, sharedWith: [SPECIALIST, CENTRE_ADMIN] },
  'POST /api/consults/:id/referral': {
    kind: 'resource',
    method: 'POST',
    path: (o) => `/api/consults/${o.consultId}/referral`,
    body: () => ({ toCentreId: '00000000-0000-4000-8000-000000000000', reason: 'second opinion abroad' }),
    owner: '',
    sharedWith: [SPECIALIST, CENTRE_ADMIN],
  },
  'POST /api/consults/:id/referral/consent': { kind: 'resource', method: 'POST', path: (o) => `/api/consults/${o.consultId}/referral/consent`, owner: '' },
  'POST /api/consults/:id/referral/decline': { kind: 'resource', method: 'POST', path: (o) => `/api/consults/${o.consultId}/referral/decline`, owner: '' },
  'POST /api/consults/:id/referral/submit': { kind: 'resource', method: 'POST', path: (o) => `/api/consults/${o.consultId}/referral/submit`, body: () => ({ version: 1 }), owner: '' },
  'POST /api/consults/:id/referral/return': { kind: 'resource', method: 'POST', path: (o) => `/api/consults/${o.consultId}/referral/return`, body: () => ({ comment: 'x' }), owner: '' },
  'GET /api/consults/:id/annotations': { kind: 'resource', path: (o) => `/api/consults/${o.consultId}/annotations`, owner: SPECIALIST, sharedWith: [SPECIALIST] },
  'PUT /api/consults/:id/annotations': {
    kind: 'resource',
    method: 'PUT',
    path: (o) => `/api/consults/${o.consultId}/annotations`,
    body: () => ({ version: 0, data: { measurements: [] } }),
    owner: SPECIALIST,
    sharedWith: [SPECIALIST],
  },
  'POST /api/uploads': { kind: 'own-hospital', note: 'stores into the uploader’s own hospital' },
  'POST /api/uploads/sessions': { kind: 'own-hospital', note: 'opens an upload of the caller’s own, into their own hospital' },
  'GET /api/uploads/sessions/:id': { kind: 'resource', path: (o) => `/api/uploads/sessions/${o.uploadSessionId}`, owner: RAD },
  // Owner '' : the owner's own answers are in upload-session-routes.test.ts (a part needs its length and digest headers).
  'PUT /api/uploads/sessions/:id/parts/:index': { kind: 'resource', method: 'PUT', path: (o) => `/api/uploads/sessions/${o.uploadSessionId}/parts/0`, body: () => 'x', contentType: 'application/octet-stream', owner: '' },
  'POST /api/uploads/sessions/:id/complete': { kind: 'resource', method: 'POST', path: (o) => `/api/uploads/sessions/${o.uploadSessionId}/complete`, owner: '' },
  'DELETE /api/uploads/sessions/:id': { kind: 'resource', method: 'DELETE', path: (o) => `/api/uploads/sessions/${o.uploadSessionId}`, owner: '' },
  'GET /api/consults/:id/report': { kind: 'resource', path: (o) => `/api/consults/${o.consultId}/report`, owner: DOCTOR, sharedWith: [SPECIALIST] },
  'POST /api/consults/:id/report': { kind: 'resource', method: 'POST', path: (o) => `/api/consults/${o.consultId}/report`, body: () => ({ templateId: 'general', language: 'en' }), owner: '', sharedWith: [SPECIALIST] },
  'PUT /api/consults/:id/report': { kind: 'resource', method: 'PUT', path: (o) => `/api/consults/${o.consultId}/report`, body: (o) => ({ version: o.reportVersion, changes: {} }), owner: '', sharedWith: [SPECIALIST] },
  'POST /api/consults/:id/report/sign': { kind: 'resource', method: 'POST', path: (o) => `/api/consults/${o.consultId}/report/sign`, body: (o) => ({ version: o.reportVersion, kind: 'final' }), owner: '', sharedWith: [SPECIALIST] },
  'POST /api/consults/:id/report/addenda': { kind: 'resource', method: 'POST', path: (o) => `/api/consults/${o.consultId}/report/addenda`, body: () => ({ version: 1, text: { en: 'x' } }), owner: '', sharedWith: [SPECIALIST] },
  'POST /api/consults/:id/report/sr': { kind: 'resource', method: 'POST', path: (o) => `/api/consults/${o.consultId}/report/sr`, owner: '', sharedWith: [SPECIALIST] },
  'POST /api/consults/:id/readers': { kind: 'resource', method: 'POST', path: (o) => `/api/consults/${o.consultId}/readers`, body: (o) => ({ userId: o.userId, kind: 'second-opinion' }), owner: '', sharedWith: [SPECIALIST] },
  'POST /api/consults/:id/report/opinions': { kind: 'resource', method: 'POST', path: (o) => `/api/consults/${o.consultId}/report/opinions`, body: () => ({ verdict: 'agree' }), owner: '', sharedWith: [SPECIALIST] },
  'GET /api/consults/:id/report/recist-history': { kind: 'resource', path: (o) => `/api/consults/${o.consultId}/report/recist-history`, owner: '', sharedWith: [SPECIALIST] },
  'GET /api/consults/:id/report/history': { kind: 'resource', path: (o) => `/api/consults/${o.consultId}/report/history`, owner: DOCTOR, sharedWith: [SPECIALIST] },
  'GET /api/consults/:id/report/versions/:version': { kind: 'resource', path: (o) => `/api/consults/${o.consultId}/report/versions/${o.reportVersion}`, owner: DOCTOR, sharedWith: [SPECIALIST] },
  'GET /api/consults/:id/report/patient-summary.pdf': { kind: 'resource', path: (o) => `/api/consults/${o.consultId}/report/patient-summary.pdf`, owner: DOCTOR },
  'GET /api/consults/:id/report/pdf': { kind: 'resource', path: (o) => `/api/consults/${o.consultId}/report/pdf`, owner: DOCTOR, sharedWith: [SPECIALIST] },
  'GET /api/consults/:id/report/fhir': { kind: 'resource', path: (o) => `/api/consults/${o.consultId}/report/fhir`, owner: DOCTOR, sharedWith: [SPECIALIST] },
  'GET /api/consults/:id/report/sr': { kind: 'resource', path: (o) => `/api/consults/${o.consultId}/report/sr`, owner: DOCTOR, sharedWith: [SPECIALIST] },
  'POST /api/consults/:id/key-images': { kind: 'resource', method: 'POST', path: (o) => `/api/consults/${o.consultId}/key-images`, body: () => PNG, contentType: 'image/png', owner: '', sharedWith: [SPECIALIST] },
  'GET /api/consults/:id/key-images/:imageId': { kind: 'resource', path: (o) => `/api/consults/${o.consultId}/key-images/${o.keyImageId}`, owner: DOCTOR, sharedWith: [SPECIALIST] },
  'POST /api/consults/:id/acknowledge': { kind: 'resource', method: 'POST', path: (o) => `/api/consults/${o.consultId}/acknowledge`, owner: DOCTOR, sharedWith: [SPECIALIST] },
  'GET /api/webhook': { kind: 'list', path: '/api/webhook' },
  'GET /api/devices': { kind: 'list', path: '/api/devices' },
  'POST /api/devices': { kind: 'own-hospital', note: 'registers a device of the admin’s own hospital' },
  'PATCH /api/devices/:id': { kind: 'own-hospital', note: 'the admin’s own devices; another hospital’s id answers 404 (device-routes.test.ts)' },
  'GET /api/notifications': { kind: 'list', path: '/api/notifications' },
  'POST /api/notifications/read': { kind: 'own-hospital', note: 'marks the caller’s own notifications read' },
  'GET /api/service-levels': { kind: 'own-hospital', note: 'the caller’s own reading centre’s levels; a sending hospital gets 403' },
  'PUT /api/service-levels': { kind: 'own-hospital', note: 'the admin’s own reading centre (turnaround-routes.test.ts)' },
  'GET /api/dashboard/turnaround': { kind: 'list', path: '/api/dashboard/turnaround' },
  'GET /api/dashboard/turnaround.csv': { kind: 'list', path: '/api/dashboard/turnaround.csv' },
  'GET /api/consults/:id/messages': { kind: 'resource', path: (o) => `/api/consults/${o.consultId}/messages`, owner: DOCTOR, sharedWith: [SPECIALIST, CENTRE_ADMIN] },
  'POST /api/consults/:id/messages': {
    kind: 'resource',
    method: 'POST',
    path: (o) => `/api/consults/${o.consultId}/messages`,
    body: () => ({ kind: 'note', text: { en: 'a note' } }),
    owner: DOCTOR,
    sharedWith: [SPECIALIST, CENTRE_ADMIN],
  },
  'POST /api/consults/:id/messages/read': {
    kind: 'resource',
    method: 'POST',
    path: (o) => `/api/consults/${o.consultId}/messages/read`,
    body: () => ({ upTo: new Date().toISOString() }),
    owner: DOCTOR,
    sharedWith: [SPECIALIST, CENTRE_ADMIN],
  },
  'GET /api/boards': { kind: 'list', path: '/api/boards' },
  'GET /api/consults/:id/board-candidates': { kind: 'resource', path: (o) => `/api/consults/${o.consultId}/board-candidates`, owner: '', sharedWith: [SPECIALIST] },
  'POST /api/boards': { kind: 'own-hospital', note: 'a specialist schedules a session on consults their own centre reads; others get 403/404 (board-routes.test.ts)' },
  'GET /api/boards/:id': { kind: 'own-hospital', note: 'participants only; anyone else, of any hospital, gets 404 (board-routes.test.ts)' },
  'POST /api/boards/:id/join': { kind: 'own-hospital', note: 'records the caller’s own attendance; non-participants get 404 (board-routes.test.ts)' },
  'GET /api/boards/:id/events': { kind: 'own-hospital', note: 'participants only; anyone else gets 404 (board-routes.test.ts)' },
  'POST /api/boards/:id/pointer': { kind: 'own-hospital', note: 'a participant who joined takes the pointer; others get 404 (board-routes.test.ts)' },
  'PUT /api/boards/:id/viewport': { kind: 'own-hospital', note: 'the presenter only; other participants 409, non-participants 404 (board-routes.test.ts)' },
  'POST /api/boards/:id/cases/:consultId/consensus': { kind: 'own-hospital', note: 'the chair only; other participants 403, non-participants 404 (board-routes.test.ts)' },
  'GET /api/consults/:id/pacs-deliveries': { kind: 'resource', path: (o) => `/api/consults/${o.consultId}/pacs-deliveries`, owner: DOCTOR, sharedWith: [SPECIALIST, CENTRE_ADMIN] },
  'DELETE /api/devices/:id': { kind: 'own-hospital', note: 'the admin’s own devices; another hospital’s id answers 404 (device-routes.test.ts)' },
  'PUT /api/webhook': { kind: 'own-hospital', note: 'configures the admin’s own hospital' },
  'GET /api/webhook/deliveries': { kind: 'list', path: '/api/webhook/deliveries' },
  'POST /api/webhook/test': { kind: 'own-hospital', note: 'sends a test event to the admin’s own hospital’s webhook' },
  'POST /api/webhook/secret': { kind: 'own-hospital', note: 'rotates the admin’s own hospital’s webhook secret' },
  'POST /api/webhook/deliveries/:id/retry': { kind: 'own-hospital', note: 'the admin’s own deliveries; another hospital’s id answers 404 (webhook-routes.test.ts)' },
  'POST /api/uploads/check': { kind: 'list', method: 'POST', path: '/api/uploads/check', body: (o) => ({ sopInstanceUids: [o.sopUid] }) },
  'GET /dicomweb/studies': { kind: 'list', path: '/dicomweb/studies?includefield=all' },
  'GET /dicomweb/series': { kind: 'list', path: '/dicomweb/series?includefield=all' },
  'GET /dicomweb/instances': { kind: 'list', path: '/dicomweb/instances?includefield=all' },
  'GET /dicomweb/studies/:study/series': { kind: 'list', path: '' },
  'GET /dicomweb/studies/:study/instances': { kind: 'list', path: '' },
  'GET /dicomweb/studies/:study/series/:series/instances': { kind: 'list', path: '' },
  'GET /dicomweb/studies/:study': { kind: 'resource', path: (o) => `/dicomweb/studies/${o.studyUid}`, owner: DOCTOR },
  'GET /dicomweb/studies/:study/series/:series': { kind: 'resource', path: (o) => `/dicomweb/studies/${o.studyUid}/series/${o.seriesUid}`, owner: DOCTOR },
  'GET /dicomweb/studies/:study/series/:series/instances/:instance': { kind: 'resource', path: instance, owner: DOCTOR },
  'GET /dicomweb/studies/:study/metadata': { kind: 'resource', path: (o) => `/dicomweb/studies/${o.studyUid}/metadata`, owner: DOCTOR },
  'GET /dicomweb/studies/:study/series/:series/metadata': { kind: 'resource', path: (o) => `/dicomweb/studies/${o.studyUid}/series/${o.seriesUid}/metadata`, owner: DOCTOR },
  'GET /dicomweb/studies/:study/series/:series/instances/:instance/metadata': { kind: 'resource', path: (o) => `${instance(o)}/metadata`, owner: DOCTOR },
  'GET /dicomweb/studies/:study/series/:series/instances/:instance/frames/:frames': { kind: 'resource', path: (o) => `${instance(o)}/frames/1`, owner: DOCTOR },
  'GET /dicomweb/studies/:study/series/:series/instances/:instance/frames/:frame/rendered': { kind: 'resource', path: (o) => `${instance(o)}/frames/1/rendered`, owner: DOCTOR },
  'GET /dicomweb/studies/:study/series/:series/instances/:instance/rendered': { kind: 'resource', path: (o) => `${instance(o)}/rendered`, owner: DOCTOR },
  'GET /dicomweb/studies/:study/series/:series/instances/:instance/thumbnail': { kind: 'resource', path: (o) => `${instance(o)}/thumbnail`, owner: DOCTOR },
  'GET /dicomweb/studies/:study/series/:series/thumbnail': { kind: 'resource', path: (o) => `/dicomweb/studies/${o.studyUid}/series/${o.seriesUid}/thumbnail`, owner: DOCTOR },
  'GET /dicomweb/studies/:study/thumbnail': { kind: 'resource', path: (o) => `/dicomweb/studies/${o.studyUid}/thumbnail`, owner: DOCTOR },
  'GET /dicomweb/studies/:study/series/:series/instances/:instance/bulkdata/*': { kind: 'resource', path: (o) => `${instance(o)}/bulkdata/7FE00010`, owner: DOCTOR },
  'POST /dicomweb/studies': { kind: 'own-hospital', note: 'stores into the sender’s own hospital; a specialist’s derived objects go only into studies it reads (stow-derived.test.ts)' },
  'GET /oidc/interaction/:uid': { kind: 'public' },
  'POST /oidc/interaction/:uid/login': { kind: 'public' },
  'POST /oidc/interaction/:uid/consent': { kind: 'public' },
  'GET /api/oidc-clients': { kind: 'list', path: '/api/oidc-clients' },
  'POST /api/oidc-clients': { kind: 'own-hospital', note: 'a reading centre’s admin registers an application of the deployment (oidc.test.ts)' },
  'PATCH /api/oidc-clients/:clientId': { kind: 'own-hospital', note: 'a reading centre’s admin edits an application of the deployment (oidc.test.ts)' },
  'DELETE /api/oidc-clients/:clientId': { kind: 'own-hospital', note: 'a reading centre’s admin removes an application of the deployment (oidc.test.ts)' },
  'POST /dicomweb/studies/:study': { kind: 'own-hospital', note: 'stores into the sender’s own hospital (a Xuhui study UID is a new study for anyone else)' },
};

/** Users outside Xuhui, and the reading centre for a study no consult addresses to it. */
// The foreign partner centre too: without a consented referral it reaches nothing of Xuhui's.
const outsiders = ['rad@minhang.demo', 'doctor@minhang.demo', 'specialist@scc.demo', CENTRE_ADMIN, 'reader@partner.demo'];

describe('route × role × hospital access matrix', () => {
  let t: TestApp;
  let owned: Owned;
  const tokens = new Map<string, string>();
  const request = (email: string, path: string, init: { method?: string; body?: unknown; contentType?: string } = {}) =>
    t.request(path, {
      method: init.method ?? 'GET',
      headers: {
        Authorization: `Bearer ${tokens.get(email)}`,
        ...(init.body !== undefined && { 'Content-Type': init.contentType ?? 'application/json' }),
      },
      body: init.body === undefined ? undefined : typeof init.body === 'string' || init.body instanceof Uint8Array ? (init.body as string) : JSON.stringify(init.body),
    });

  beforeAll(async () => {
    t = await createTestApp({ db: 'embedded' });
    for (const email of [RAD, DOCTOR, ADMIN, ...outsiders]) tokens.set(email, await t.token(email));
    // Two Xuhui studies: one in a consult with the reading centre (it may read that one only),
    // and one that never leaves the hospital: the probes name the second.
    const stow = async (file: string) => {
      const { body, contentType } = stowBody([readSample(file)]);
      const response = await t.request('/dicomweb/studies', { method: 'POST', headers: { Authorization: `Bearer ${tokens.get(RAD)}`, 'Content-Type': contentType }, body });
      const url: string = (await response.json())['00081199'].Value[0]['00081190'].Value[0];
      return /studies\/([\d.]+)\/series\/([\d.]+)\/instances\/([\d.]+)$/.exec(url)!.slice(1) as [string, string, string];
    };
    const [sharedStudyUid] = await stow('modalities/CT_small.dcm');
    const [studyUid, seriesUid, sopUid] = await stow('transfer-syntaxes/MR_small.dcm');
    const studies = (await (await request(RAD, '/api/studies')).json()).studies as {
      id: string;
      studyInstanceUid: string;
      identity: { name: string; id: string; birthDate: string; accessionNumber: string; studyInstanceUid: string };
      patient: { pseudonymId: string; pseudonymName: string };
    }[];
    const shared = studies.find((s) => s.studyInstanceUid === sharedStudyUid)!;
    const kept = studies.find((s) => s.studyInstanceUid === studyUid)!;
    const centre = (await (await request(RAD, '/api/me')).json()).readingCentres[0].id;
    const consult = (await (await request(RAD, '/api/consults', { method: 'POST', body: { readingCentreId: centre, studyIds: [shared.id], clinicalQuestion: 'Matrix question', priority: 'routine' } })).json()).consult;
    const pdf = await textPdf(['Matrix attachment']);
    const attachment = (await (await request(RAD, `/api/consults/${consult.id}/attachments`, { method: 'POST', body: pdf, contentType: 'application/pdf' })).json()).attachment;
    // A signed report on the shared consult, with a key image.
    await request(SPECIALIST, `/api/consults/${consult.id}/report`, { method: 'POST', body: { templateId: 'general', language: 'en' } });
    const values = { technique: { en: 'CT' }, findings: { en: 'Nodule' }, impression: { en: 'Benign' } };
    await request(SPECIALIST, `/api/consults/${consult.id}/report`, { method: 'PUT', body: { version: 1, changes: { values } } });
    const signed = await (await request(SPECIALIST, `/api/consults/${consult.id}/report/sign`, { method: 'POST', body: { version: 2, kind: 'final' } })).json();
    const keyImage = await (await t.request(`/api/consults/${consult.id}/key-images`, { method: 'POST', headers: { Authorization: `Bearer ${tokens.get(SPECIALIST)}`, 'Content-Type': 'image/png' }, body: PNG })).json();
    const user = await t.repos.users.findByEmail(DOCTOR);
    const uploadSession = (await (await request(RAD, '/api/uploads/sessions', { method: 'POST', body: { kind: 'zip', totalBytes: 10 } })).json()).session;
    owned = {
      studyUid,
      seriesUid,
      sopUid,
      studyId: kept.id,
      consultId: consult.id,
      attachmentId: attachment.id,
      pdf,
      userId: user!.id,
      centreId: centre,
      keyImageId: keyImage.id,
      uploadSessionId: uploadSession.id,
      reportVersion: signed.report.version,
      secrets: [studyUid, seriesUid, sopUid, kept.id, kept.patient.pseudonymId, kept.identity.name, shared.identity.name, user!.id, user!.email],
      // Short values (a one-digit Patient ID) would match anywhere; the samples' are longer.
      identities: [kept, shared].flatMap((s) => [s.identity.name, s.identity.id, s.identity.birthDate, s.identity.accessionNumber, s.identity.studyInstanceUid]).filter((v) => v.length >= 4),
    };
    expect(owned.identities.length, 'the samples carry real identities to look for').toBeGreaterThanOrEqual(4);
    // Paths of list probes under a study are filled in now that the UIDs exist.
    for (const [route, probe] of Object.entries(matrix)) {
      if (probe.kind === 'list' && probe.path === '') {
        probe.path = route
          .replace('GET ', '')
          .replace(':study', studyUid)
          .replace(':series', seriesUid);
      }
    }
  }, 90_000);
  afterAll(() => t.close());

  it('has an entry for every route the app serves', () => {
    const routes = [...new Set(t.app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`))];
    expect(routes.filter((route) => !(route in matrix))).toEqual([]);
    expect(Object.keys(matrix).filter((route) => !routes.includes(route))).toEqual([]);
  });

  it('answers the owning hospital (positive control), so the probes name real data', async () => {
    for (const [route, probe] of Object.entries(matrix)) {
      if (probe.kind !== 'resource' || !probe.owner) continue;
      const response = await request(probe.owner, probe.path(owned), { method: probe.method, body: probe.body?.(owned), contentType: probe.contentType });
      expect(response.status, `${route} as ${probe.owner}`).toBeLessThan(300);
    }
  });

  for (const outsider of outsiders) {
    it(`gives ${outsider} none of Xuhui’s data on any route`, async () => {
      for (const [route, probe] of Object.entries(matrix)) {
        if (probe.kind === 'public' || probe.kind === 'own-hospital') continue;
        const path = probe.kind === 'resource' ? probe.path(owned) : probe.path;
        const response = await request(outsider, path, { method: probe.method, body: probe.body?.(owned), contentType: probe.kind === 'resource' ? probe.contentType : undefined });
        const text = await response.text();
        if (probe.kind === 'resource') {
          if (!probe.sharedWith?.includes(outsider)) expect([403, 404], `${route} as ${outsider}`).toContain(response.status);
        } else {
          expect(response.status < 300 || response.status === 403, `${route} as ${outsider}: ${response.status}`).toBe(true);
        }
        for (const secret of owned.secrets) expect(text.includes(secret), `${route} as ${outsider} leaks ${secret}`).toBe(false);
      }
    });
  }

  for (const admin of [ADMIN, CENTRE_ADMIN]) {
    it(`shows ${admin} no real identity on any route, and refuses the routes only about patients`, async () => {
      for (const [route, probe] of Object.entries(matrix)) {
        if (probe.kind === 'public' || probe.kind === 'own-hospital') continue;
        const path = probe.kind === 'resource' ? probe.path(owned) : probe.path;
        const response = await request(admin, path, { method: probe.method, body: probe.body?.(owned), contentType: probe.kind === 'resource' ? probe.contentType : undefined });
        const text = await response.text();
        if (patientOnly.has(route)) expect(response.status, `${route} as ${admin}`).toBe(403);
        expect(text, `${route} as ${admin}`).not.toMatch(/"identity":\{/);
        for (const identity of owned.identities) expect(text.includes(identity), `${route} as ${admin} shows ${identity}`).toBe(false);
      }
    });
  }

  it('shows the sending hospital’s clinical staff the real identity (positive control)', async () => {
    const listed = await (await request(DOCTOR, '/api/studies')).json();
    const text = JSON.stringify(listed);
    for (const identity of owned.identities) expect(text).toContain(identity);
  });

  it('answers a UID of another hospital exactly like one that does not exist', async () => {
    const missing = { ...owned, studyUid: '2.25.1', seriesUid: '2.25.2', sopUid: '2.25.3', studyId: '00000000-0000-4000-8000-000000000001', consultId: '00000000-0000-4000-8000-000000000002' };
    for (const [route, probe] of Object.entries(matrix)) {
      if (probe.kind !== 'resource' || probe.method) continue;
      const foreign = await request('rad@minhang.demo', probe.path(owned));
      const absent = await request('rad@minhang.demo', probe.path(missing));
      expect(foreign.status, route).toBe(absent.status);
      expect(await foreign.text(), route).toBe(await absent.text());
    }
  });
});
