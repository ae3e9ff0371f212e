import { readSample, rewriteInstances, seedConsult } from '@yunzhen/server/testing';

import { expect, login, logout, test } from './fixtures.js';
import { openReader } from './reading.js';

const REAL_NAME = /CompressedSamples/i;

/**
 * A referral from the demo cancer centre to its foreign partner and back, as the people do it:
 * the centre's specialist refers the consult; the sending hospital's radiographer records the
 * patient's consent; the partner's specialist finds it on the worklist under a pseudonym, reads
 * the images, writes the report and submits it; the cancer centre countersigns; the referring
 * doctor sees the report with who read it and who countersigned (page and PDF).
 */
test('a consult referred to the partner centre, read there, countersigned and returned to the sender', async ({ page, baseURL }) => {
  const tag = `referral-${Date.now()}`;
  const consult = await seedConsult(baseURL!, rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true }), {
    clinicalQuestion: `Nodule: second opinion ${tag}`,
  });
  // Each step's screenshot is kept as a file beside the test's results and attached to its report.
  const shot = async (name: string) => {
    const path = test.info().outputPath(name);
    await page.screenshot({ path, fullPage: true });
    await test.info().attach(name, { path, contentType: 'image/png' });
  };

  // The cancer centre's specialist refers it to the partner, with a reason.
  await login(page, 'specialist@scc.demo');
  await page.goto(`/consults/${consult.id}`);
  const referral = page.getByTestId('referral');
  const form = referral.getByTestId('referral-form');
  await expect(form.locator('select[name=toCentreId]')).toContainText('Pacific Partner Hospital (demo)');
  await form.locator('textarea[name=reason]').fill('Rare histology: the partner centre reads these every week.');
  await referral.getByTestId('referral-request-button').click();
  await expect(referral.getByTestId('referral-status')).toContainText('awaiting the sending hospital');
  await shot('1-centre-refers.png');
  await logout(page);

  // Before consent the partner sees nothing of it.
  await login(page, 'reader@partner.demo');
  await page.getByTestId('worklist-search').fill(tag);
  await expect(page.getByTestId('consult-row')).toHaveCount(0);
  expect((await page.request.get(`/api/consults/${consult.id}`)).status()).toBe(404);
  await logout(page);

  // The sending hospital's radiographer records the consent on its consult page.
  await login(page, 'rad@xuhui.demo');
  await page.goto(`/consults/${consult.id}`);
  await expect(referral.getByTestId('referral-reason')).toContainText('Rare histology');
  await referral.getByTestId('referral-consent-button').click();
  await expect(referral.getByTestId('referral-consent')).toContainText('Li Na (radiographer)');
  await shot('2-sender-consents.png');
  await logout(page);

  // The partner's specialist: the consult on the worklist, under a pseudonym; reads and reports.
  await login(page, 'reader@partner.demo');
  await page.getByTestId('worklist-search').fill(tag);
  const row = page.getByTestId('consult-row').filter({ hasText: tag });
  await expect(row).toHaveCount(1);
  await expect(row.getByTestId('referral-badge')).toHaveText('Referred: Shanghai Cancer Center (demo) → Pacific Partner Hospital (demo)');
  await expect(page.getByTestId('consult-row')).toHaveCount(1);
  expect(await page.locator('main').innerText()).not.toMatch(REAL_NAME);
  await shot('3-partner-worklist.png');
  await openReader(page, consult.id);
  const panel = page.getByTestId('report-panel');
  await panel.locator('select[name=template]').selectOption('general');
  await panel.locator('select[name=report-language]').selectOption('en');
  await panel.getByTestId('create-report').click();
  await expect(panel.getByTestId('report-status')).toHaveText('Draft');
  await panel.getByTestId('field-technique-en').fill('CT of the chest without contrast.');
  await panel.getByTestId('field-findings-en').fill('A 6 mm solid nodule in the right upper lobe.');
  await panel.getByTestId('field-impression-en').fill('Small solid nodule; follow up in 12 months.');
  // Saved as typed (the editor saves a moment after the last keystroke).
  await expect
    .poll(async () => ((await (await page.request.get(`/api/consults/${consult.id}/report`)).json()) as { report: { values: { impression?: { en?: string } } } }).report.values.impression?.en, { timeout: 20_000 })
    .toBe('Small solid nodule; follow up in 12 months.');
  await expect(panel.getByTestId('report-save-state')).toHaveAttribute('data-state', 'saved', { timeout: 10_000 });
  expect(await page.locator('body').innerText()).not.toMatch(REAL_NAME);
  await shot('4-partner-reads.png');
  await page.goto(`/consults/${consult.id}`);
  await referral.getByTestId('referral-submit-button').click();
  await expect(referral.getByTestId('referral-status')).toContainText('awaiting countersignature');
  await expect(referral.getByTestId('referral-reader')).toContainText('Dr. Sarah Miller');
  await shot('5-partner-submits.png');
  await logout(page);

  // The cancer centre countersigns.
  await login(page, 'specialist@scc.demo');
  await page.goto(`/consults/${consult.id}`);
  await referral.getByTestId('referral-countersign-button').click();
  await expect(referral.getByTestId('referral-countersigned')).toContainText('Dr. Chen Wei');
  await shot('6-centre-countersigns.png');
  await logout(page);

  // The referring doctor: the report with the real patient, who read it and who countersigned.
  await login(page, 'doctor@xuhui.demo');
  await page.goto(`/consults/${consult.id}`);
  const report = page.getByTestId('sender-report');
  await expect(report.getByTestId('report-patient')).toContainText('CompressedSamples');
  await expect(referral.getByTestId('referral-reader')).toContainText('Dr. Sarah Miller (partner specialist) (Pacific Partner Hospital (demo))');
  await expect(referral.getByTestId('referral-countersigned')).toContainText('Dr. Chen Wei (specialist)');
  await shot('7-sender-report.png');
  const pdf = await page.request.get(await report.getByTestId('download-pdf').getAttribute('href').then((h) => h!));
  expect(pdf.status()).toBe(200);
  await test.info().attach('report.pdf', { body: await pdf.body(), contentType: 'application/pdf' });
  const fhir = await (await page.request.get(`/api/consults/${consult.id}/report/fhir`)).json();
  expect(JSON.stringify(fhir)).toContain('Dr. Sarah Miller (partner specialist)');
});
