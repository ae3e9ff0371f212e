import { ageConsult, demoToken, mailText, readSample, rewriteInstances, seedConsult } from '@yunzhen/server/testing';

import { expect, login, receivedMails, test, watchPageErrors } from './fixtures.js';

/**
 * Turnaround as the centre's admin and a specialist meet it: the admin sets the centre's
 * service levels and reads the dashboard (charts drawn, CSV without patient data); the
 * specialist's worklist counts down to each due time.
 */
test('the centre admin sets service levels and reads the turnaround dashboard; the worklist counts down', async ({ browser, baseURL }) => {
  const tag = `sla-${Date.now()}`;
  const page = await (await browser.newContext({ baseURL })).newPage();
  const problems = watchPageErrors(page);
  await login(page, 'admin@scc.demo', 'en');
  await page.getByTestId('go-turnaround').click();
  const levels = page.getByTestId('service-levels');
  await expect(levels.locator('input[name=urgent]')).toHaveValue('24');
  await levels.locator('input[name=urgent]').fill('6');
  await page.getByTestId('levels-save').click();
  await expect(levels).toContainText('Saved.');

  // A new urgent consult is due six hours after it is sent.
  await seedConsult(baseURL!, rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true }), { clinicalQuestion: `Due in six hours ${tag}`, priority: 'urgent' });

  await page.reload();
  await expect(page.getByTestId('overall-consults')).not.toHaveText('0');
  // The charts are drawn: their canvases hold non-transparent pixels.
  for (const chart of ['chart-distribution', 'chart-volume', 'chart-hospital']) {
    const canvas = page.getByTestId(chart).locator('canvas');
    await expect.poll(() => canvas.evaluate((c: HTMLCanvasElement) => c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data.some((v, i) => i % 4 === 3 && v > 0))).toBe(true);
  }
  await expect(page.getByTestId('by-hospital')).toContainText('Xuhui District Hospital (demo)');
  const csv = await page.request.get('/api/dashboard/turnaround.csv');
  expect(csv.status()).toBe(200);
  const text = await csv.text();
  expect(text.split('\r\n')[0]).toContain('reference,priority,status');
  expect(text).not.toMatch(/CompressedSamples|1CT1/);
  await page.screenshot({ path: test.info().outputPath('dashboard.png'), fullPage: true });

  const specialist = await (await browser.newContext({ baseURL })).newPage();
  await login(specialist, 'specialist@scc.demo', 'en');
  await specialist.getByTestId('worklist-search').fill(tag);
  await expect(specialist.getByTestId('consult-row').filter({ hasText: tag }).getByTestId('due-in')).toHaveText(/^in 5 h 5\d min$/);
  await expect(specialist.getByTestId('bell')).toBeVisible();

  // The shared server's other tests expect the default levels.
  await levels.locator('input[name=urgent]').fill('24');
  await page.getByTestId('levels-save').click();
  await expect(levels).toContainText('Saved.');
  expect(problems).toEqual([]);
});

const HOUR = 60 * 60 * 1000;

/**
 * Escalation as the centre meets it once a consult's time has run out: the clock of one claimed
 * consult is moved past its due time; the server's escalation pass (every 30 s) tells the
 * claimer and the centre's lead, and gives the consult, whose report nobody had begun, to the
 * other specialist, who finds it in the bell, on the worklist and in an e-mail.
 */
test('an overdue consult is escalated to the lead and reassigned to the other specialist once the clock has moved on', async ({ browser, baseURL }) => {
  test.setTimeout(180_000);
  const tag = `overdue-${Date.now()}`;
  const consult = await seedConsult(baseURL!, rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true }), { clinicalQuestion: `Overdue ${tag}`, priority: 'urgent' });
  const chen = await demoToken(baseURL!, 'specialist@scc.demo');
  expect((await fetch(new URL(`/api/consults/${consult.id}/claim`, baseURL), { method: 'POST', headers: { Authorization: `Bearer ${chen}` } })).status).toBe(200);
  await ageConsult(process.env.YUNZHEN_DATA_DIR!, consult.id, 25 * HOUR);
  const reference = consult.id.slice(0, 8).toUpperCase();

  const lead = await (await browser.newContext({ baseURL })).newPage();
  const problems = watchPageErrors(lead);
  await login(lead, 'admin@scc.demo', 'en');
  // The pass runs every 30 s: wait for it through the API the bell reads, then look at the bell.
  const told = async (page: typeof lead) => ((await (await page.request.get('/api/notifications')).json()) as { notifications: { consultId: string; kind: string }[] }).notifications.filter((n) => n.consultId === consult.id).map((n) => n.kind);
  await expect.poll(() => told(lead), { timeout: 90_000, intervals: [2_000] }).toContain('consult-overdue');
  await lead.reload();
  await lead.getByTestId('bell').click();
  await expect(lead.locator(`[data-testid="bell-item"][data-kind="consult-overdue"]`).filter({ hasText: reference })).toBeVisible();
  await lead.screenshot({ path: test.info().outputPath('lead-bell-overdue.png'), fullPage: true });

  const lin = await (await browser.newContext({ baseURL })).newPage();
  await login(lin, 'lin@scc.demo', 'en');
  expect(await told(lin)).toEqual(['consult-reassigned']);
  await lin.getByTestId('bell').click();
  await expect(lin.locator(`[data-testid="bell-item"][data-kind="consult-reassigned"]`).filter({ hasText: reference })).toContainText('Overdue, now yours');
  await lin.getByTestId('bell').click();
  await lin.getByTestId('worklist-search').fill(tag);
  await expect(lin.getByTestId('consult-row').filter({ hasText: tag })).toContainText('Claimed by: me');
  await lin.screenshot({ path: test.info().outputPath('reassigned-worklist.png'), fullPage: true });

  // E-mail too (SMTP_URL is set), with the reference and a link, without the patient.
  await expect.poll(() => receivedMails().some((m) => m.to.includes('lin@scc.demo') && mailText(m.data).includes(reference)), { timeout: 30_000 }).toBe(true);
  const mail = receivedMails().find((m) => m.to.includes('lin@scc.demo') && mailText(m.data).includes(reference))!;
  expect(mailText(mail.data)).toContain(`https://yunzhen.example.org/consults/${consult.id}/read`);
  expect(mailText(mail.data)).not.toMatch(/CompressedSamples|1CT1/);
  expect(problems).toEqual([]);
});
