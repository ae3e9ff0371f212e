import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

import { demoToken, readSample, rewriteInstances, seedConsult } from '@yunzhen/server/testing';
import type { Page } from '@playwright/test';

import { expect, login, test, watchPageErrors } from './fixtures.js';
import { drag } from './reading.js';

/**
 * A tumour board as a reading centre runs one: the chair schedules a session on a consult from
 * the consult page with a specialist and the referring doctor; the chair and the specialist
 * join in two browsers; the specialist's viewport follows the presenter's slice and window;
 * the pointer passes to the specialist and back; the chair signs the consensus, which the
 * sending hospital finds in the report's PDF (read by poppler's pdftotext) and DICOM SR.
 */
test('a tumour board: scheduled, followed in a second browser, the pointer passed, the consensus signed into the returned report', async ({ browser, baseURL }, testInfo) => {
  test.setTimeout(240_000);
  const base = baseURL!;
  const tag = `board-${Date.now()}`;
  const slices = Array.from({ length: 16 }, (_, i) => readSample(`studies/mr-16slice/MR${String(i + 1).padStart(2, '0')}.dcm`));
  const consult = await seedConsult(base, rewriteInstances(slices, { freshUids: true }), { clinicalQuestion: `Staging ${tag}` });

  // The specialist reports first: the consensus goes into the signed report.
  const specialistToken = await demoToken(base, 'specialist@scc.demo');
  const call = async (token: string, method: string, path: string, body?: unknown) => {
    const response = await fetch(new URL(path, base), { method, headers: { Authorization: `Bearer ${token}`, ...(body !== undefined && { 'Content-Type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
    expect(response.ok, `${method} ${path}: ${response.status}`).toBe(true);
    return response;
  };
  await call(specialistToken, 'POST', `/api/consults/${consult.id}/report`, { templateId: 'general', language: 'en' });
  await call(specialistToken, 'PUT', `/api/consults/${consult.id}/report`, { version: 1, changes: { values: { technique: { en: 'MR head.' }, findings: { en: 'Enhancing mass.' }, impression: { en: 'Suspicious for glioma.' } } } });
  await call(specialistToken, 'POST', `/api/consults/${consult.id}/report/sign`, { version: 2, kind: 'final' });

  const shot = async (page: Page, name: string) => testInfo.attach(name, { body: await page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true }), contentType: 'image/png' });

  // The chair schedules the session from the consult page.
  const chair = await (await browser.newContext({ baseURL: base, viewport: { width: 1280, height: 1000 } })).newPage();
  const chairProblems = watchPageErrors(chair);
  await login(chair, 'chair@scc.demo', 'en');
  await chair.goto(`/consults/${consult.id}`);
  await chair.getByTestId('board-schedule-open').click();
  const form = chair.getByTestId('board-scheduler');
  await form.locator('input[name=title]').fill(`Neuro-oncology board ${tag}`);
  await form.getByTestId('board-candidate').filter({ hasText: 'Dr. Chen Wei' }).locator('input').check();
  await form.getByTestId('board-candidate-referring').locator('input').check();
  await shot(chair, 'board-scheduling');
  await form.getByTestId('board-schedule').click();
  await expect(chair.getByTestId('board-page')).toBeVisible();
  await expect(chair.getByTestId('board-participant')).toHaveCount(3);
  const boardPath = new URL(chair.url()).pathname;

  await chair.getByTestId('board-join').click();
  await chair.getByTestId('board-take-pointer').click();
  await expect(chair.getByTestId('board-you-present')).toBeVisible();
  const chairViewport = chair.getByTestId('viewport');
  await expect(chairViewport).toHaveAttribute('data-image-count', '16', { timeout: 30_000 });
  await expect(chairViewport).toHaveAttribute('data-loading', 'false', { timeout: 30_000 });

  // The specialist finds the session on the worklist page and joins it.
  const specialist = await (await browser.newContext({ baseURL: base, viewport: { width: 1280, height: 1000 } })).newPage();
  const specialistProblems = watchPageErrors(specialist);
  await login(specialist, 'specialist@scc.demo', 'en');
  await specialist.getByTestId('board-list').getByTestId('open-board').filter({ hasText: tag }).click();
  await expect(specialist).toHaveURL(new RegExp(`${boardPath}$`));
  await specialist.getByTestId('board-join').click();
  await expect(specialist.getByTestId('board-following')).toContainText('Prof. Zhou Hua');
  const specialistViewport = specialist.getByTestId('viewport');
  await expect(specialistViewport).toHaveAttribute('data-image-count', '16', { timeout: 60_000 });

  const follows = async (presenter: Page, follower: Page) => {
    const view = async (page: Page) => {
      const viewport = page.getByTestId('viewport');
      return { image: await viewport.getAttribute('data-image-index'), voi: await viewport.getAttribute('data-voi') };
    };
    const wanted = await view(presenter);
    try {
      await expect.poll(() => view(follower), { timeout: 60_000 }).toEqual(wanted);
    } catch (error) {
      await shot(follower, 'follower-when-failed');
      await shot(presenter, 'presenter-when-failed');
      throw error;
    }
  };

  // The presenter moves to slice 12 and the lung window; the follower's viewport shows the same.
  await chairViewport.getByTestId('scrollbar').fill('11');
  await expect(chairViewport).toHaveAttribute('data-image-index', '11');
  await chair.getByTestId('board-window-brain').click();
  await expect(chairViewport).toHaveAttribute('data-voi', '40,80');
  await follows(chair, specialist);
  await expect(specialistViewport).toHaveAttribute('data-image-index', '11');
  await expect(specialistViewport).toHaveAttribute('data-voi', '40,80');
  // A measurement the presenter draws shows in the follower's viewport.
  await chair.getByTestId('board-tool-Length').click();
  await drag(chair, chairViewport, [0.4, 0.4], [0.6, 0.6]);
  await expect(chair.getByTestId('board-viewport')).toHaveAttribute('data-measurements', '1');
  await expect.poll(() => specialist.getByTestId('board-viewport').getAttribute('data-measurements'), { timeout: 60_000 }).toBe('1');
  await shot(chair, 'board-presenter');
  await shot(specialist, 'board-follower');

  // The pointer passes to the specialist; the chair follows them now.
  await specialist.getByTestId('board-take-pointer').click();
  await expect(specialist.getByTestId('board-you-present')).toBeVisible();
  await expect(chair.getByTestId('board-following')).toContainText('Dr. Chen Wei');
  await specialistViewport.getByTestId('scrollbar').fill('4');
  await expect(specialistViewport).toHaveAttribute('data-image-index', '4');
  await specialist.getByTestId('board-window-bone').click();
  await expect(specialistViewport).toHaveAttribute('data-voi', '400,1800');
  await follows(specialist, chair);
  await shot(chair, 'board-chair-following');

  // The chair takes it back.
  await chair.getByTestId('board-take-pointer').click();
  await expect(chair.getByTestId('board-you-present')).toBeVisible();
  await expect(specialist.getByTestId('board-following')).toContainText('Prof. Zhou Hua');

  // The consensus, signed by the chair.
  const consensus = chair.getByTestId('board-consensus-form');
  await consensus.locator('textarea[name=recommendationEn]').fill('Maximal safe resection, then chemoradiation.');
  await consensus.locator('textarea[name=recommendationZh]').fill('最大安全切除后行同步放化疗。');
  await chair.getByTestId('board-sign-consensus').click();
  await expect(chair.getByTestId('board-consensus')).toContainText('Maximal safe resection');
  await expect(chair.getByTestId('board-consensus')).toContainText('Prof. Zhou Hua');
  await shot(chair, 'board-consensus');

  // The sending hospital's copy of the report carries it: PDF (poppler reads it) and DICOM SR.
  const doctorToken = await demoToken(base, 'doctor@xuhui.demo');
  const pdf = new Uint8Array(await (await call(doctorToken, 'GET', `/api/consults/${consult.id}/report/pdf`)).arrayBuffer());
  const pdfPath = testInfo.outputPath('returned-report.pdf');
  writeFileSync(pdfPath, pdf);
  await testInfo.attach('returned-report.pdf', { path: pdfPath, contentType: 'application/pdf' });
  const text = execFileSync('pdftotext', [pdfPath, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
  expect(text).toContain('Tumour board consensus');
  expect(text).toContain(`Neuro-oncology board ${tag}`);
  expect(text).toContain('Maximal safe resection, then chemoradiation.');
  expect(text).toContain('Attendance: Dr. Chen Wei (specialist) (Shanghai Cancer Center (demo)); Prof. Zhou Hua (tumour board chair) (Shanghai Cancer Center (demo))');
  expect(text).toContain('Signed by: Prof. Zhou Hua (tumour board chair)');
  const sr = Buffer.from(await (await call(doctorToken, 'GET', `/api/consults/${consult.id}/report/sr`)).arrayBuffer()).toString('utf8');
  expect(sr).toContain('Tumour board consensus');
  expect(sr).toContain('Maximal safe resection, then chemoradiation.');
  expect(sr).toContain('最大安全切除后行同步放化疗。');

  expect(chairProblems).toEqual([]);
  expect(specialistProblems).toEqual([]);
});
