import { readSample, rewriteInstances, seedConsult } from '@yunzhen/server/testing';

import { expect, login, test, watchPageErrors } from './fixtures.js';

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
