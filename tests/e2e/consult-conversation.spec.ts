import { demoToken, mailText, readSample, rewriteInstances, seedConsult, textPdf } from '@yunzhen/server/testing';

import { expect, login, receivedMails, test, watchPageErrors } from './fixtures.js';

/**
 * A question and its answer on a consult, as the two sides do it: the radiographer asks on the
 * consult page (a first try that names the patient is refused), the specialist is told by e-mail
 * and by the worklist, answers from the reading page, and the hospital sees the answer.
 */
test('the hospital asks, the reading centre is told by e-mail and on its worklist, and answers from the reading page', async ({ browser, baseURL }) => {
  const tag = `thread-${Date.now()}`;
  const consult = await seedConsult(baseURL!, rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true }), { clinicalQuestion: `Nodule? ${tag}` });

  const hospital = await (await browser.newContext({ baseURL })).newPage();
  const hospitalProblems = watchPageErrors(hospital);
  await login(hospital, 'rad@xuhui.demo', 'zh-CN');
  await hospital.goto(`/consults/${consult.id}`);
  const thread = hospital.getByTestId('consult-thread');
  await expect(thread.getByTestId('thread-empty')).toBeVisible();
  const compose = thread.getByTestId('thread-compose');
  // The patient's name in the message: refused in words, nothing sent.
  await compose.locator('textarea[name=text]').fill('CompressedSamples CT1 去年做过手术');
  await compose.getByTestId('thread-send').click();
  await expect(thread.getByTestId('thread-error')).toContainText('消息中含有患者身份信息');
  await compose.locator('textarea[name=text]').fill('去年做过右上肺手术，请对比。');
  await compose.locator('input[name=bilingual]').check();
  await compose.locator('textarea[name=otherText]').fill('Right upper lobe surgery last year; please compare.');
  await compose.getByTestId('thread-send').click();
  await expect(thread.getByTestId('thread-message')).toHaveCount(1);
  await expect(thread.getByTestId('thread-message')).toContainText('去年做过右上肺手术');
  await hospital.screenshot({ path: test.info().outputPath('hospital-question.png'), fullPage: true });

  // The specialist's worklist says there is something unread; the e-mail came without patient or text.
  const centre = await (await browser.newContext({ baseURL })).newPage();
  const centreProblems = watchPageErrors(centre);
  await login(centre, 'specialist@scc.demo', 'en');
  await centre.getByTestId('worklist-search').fill(tag);
  const row = centre.getByTestId('consult-row').filter({ hasText: tag });
  await expect(row.getByTestId('unread-messages')).toHaveText(/1 unread/);
  // Waits for this notice itself: another e-mail (the consult's own announcement, another test's)
  // may arrive first, and the outbox sends each in its own pass.
  const noticeOf = () => receivedMails().find((m) => m.to.includes('specialist@scc.demo') && mailText(m.data).includes(`wrote on consult ${consult.id.slice(0, 8).toUpperCase()}`));
  await expect.poll(() => noticeOf() !== undefined, { timeout: 30_000 }).toBe(true);
  const notice = noticeOf();
  expect(mailText(notice!.data)).toContain(`https://yunzhen.example.org/consults/${consult.id}/read`);
  expect(mailText(notice!.data)).not.toMatch(/CompressedSamples|1CT1|右上肺|upper lobe/);

  await centre.goto(`/consults/${consult.id}/read`);
  const open = centre.getByTestId('open-messages');
  await expect(open.getByTestId('unread-messages')).toHaveText(/1 unread/);
  await open.click();
  const centreThread = centre.getByTestId('consult-thread');
  // The English reader sees the English text first, the Chinese beneath.
  await expect(centreThread.getByTestId('thread-message')).toContainText('Right upper lobe surgery last year');
  await centreThread.locator('select[name=kind]').selectOption('request');
  await centreThread.locator('textarea[name=text]').fill('Please send the prior CT from 2023.');
  await centreThread.getByTestId('thread-send').click();
  await expect(centreThread.getByTestId('thread-message')).toHaveCount(2);
  await expect(open.getByTestId('unread-messages')).toHaveCount(0);
  await centre.screenshot({ path: test.info().outputPath('centre-answer.png') });

  // Back at the hospital, the request is there (after the page's next look for new messages).
  await hospital.reload();
  await expect(hospital.getByTestId('consult-thread').getByTestId('thread-message')).toHaveCount(2);
  await expect(hospital.getByTestId('consult-thread').getByTestId('thread-message').nth(1)).toContainText('Please send the prior CT');

  // The hospital answers with the prior report attached: it is a consult attachment, checked for
  // the patient's identity, and the centre can open it once the hospital released it.
  const answer = hospital.getByTestId('consult-thread').getByTestId('thread-compose');
  await answer.locator('select[name=kind]').selectOption('answer');
  await answer.locator('textarea[name=text]').fill('2023 年胸部 CT 报告见附件。');
  await answer.getByTestId('attachment-input').setInputFiles({ name: 'prior.pdf', mimeType: 'application/pdf', buffer: Buffer.from(await textPdf(['Chest CT 2023: 4 mm nodule in the right upper lobe.'])) });
  await answer.getByTestId('thread-send').click();
  const answered = hospital.getByTestId('consult-thread').getByTestId('thread-message').nth(2);
  await expect(answered.getByTestId('thread-attachment')).toHaveAttribute('data-available', 'true');
  const pending = hospital.locator('[data-testid="attachment"][data-review="pending"]');
  await expect(pending).toHaveCount(1);
  await centre.reload();
  await centre.getByTestId('open-messages').click();
  await expect(centre.getByTestId('consult-thread').getByTestId('thread-attachment')).toHaveAttribute('data-available', 'false');
  await pending.getByTestId('attachment-release').click();
  await expect(hospital.locator('[data-testid="attachment"][data-review="released"]')).toHaveCount(1);
  await centre.reload();
  await centre.getByTestId('open-messages').click();
  const document = centre.getByTestId('consult-thread').getByTestId('thread-attachment');
  await expect(document).toHaveAttribute('data-available', 'true');
  const response = await centre.request.get((await document.locator('a').getAttribute('href'))!);
  expect(response.status()).toBe(200);
  expect(response.headers()['content-type']).toContain('application/pdf');
  await centre.screenshot({ path: test.info().outputPath('centre-document.png') });
  expect(hospitalProblems.filter((p) => !/status of 422/.test(p))).toEqual([]);
  expect(centreProblems).toEqual([]);
});

/**
 * The thread follows new messages only for someone looking at its end: a radiographer working
 * further down the consult page (redacting a letter, reading the report) is not moved away.
 */
test('a message arriving while the hospital works further down the consult page does not move the page', async ({ page, baseURL }) => {
  const consult = await seedConsult(baseURL!, rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true }), { clinicalQuestion: 'Compare with last year?' });
  await page.setViewportSize({ width: 1000, height: 300 });
  await page.clock.install();
  await login(page, 'rad@xuhui.demo', 'en');
  await page.goto(`/consults/${consult.id}`);
  const thread = page.getByTestId('consult-thread');
  await expect(thread.getByTestId('thread-empty')).toBeAttached();
  await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  await expect(thread.getByTestId('thread-empty')).not.toBeInViewport();
  // Where the part she works on is on screen (content growing above it keeps it in place).
  const workingOn = page.getByTestId('add-attachments');
  const before = (await workingOn.boundingBox())!.y;

  const specialist = await demoToken(baseURL!, 'specialist@scc.demo');
  const answered = await fetch(new URL(`/api/consults/${consult.id}/messages`, baseURL), {
    method: 'POST',
    headers: { Authorization: `Bearer ${specialist}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ kind: 'answer', text: { en: 'Please send the prior CT as well.' }, attachmentIds: [] }),
  });
  expect(answered.status).toBe(201);
  await page.clock.runFor(16_000); // the thread's next poll
  await expect(thread.getByTestId('thread-message')).toHaveCount(1);
  expect((await workingOn.boundingBox())!.y).toBeCloseTo(before, 0);
});
