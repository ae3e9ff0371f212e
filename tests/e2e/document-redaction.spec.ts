import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { demoToken, readSample, rewriteInstances, seedConsult, textPdf } from '@yunzhen/server/testing';

import { expect, login, test, watchPageErrors } from './fixtures.js';

/**
 * A referral letter names the patient on page 2. The radiographer redacts it on the consult
 * page: the proposed boxes sit over the name, she adds one of her own over the hospital number
 * line, and the reading centre's copy has no text left (poppler's pdftotext reads nothing).
 */
test('the radiographer redacts a referral letter before the reading centre gets it', async ({ page }) => {
  test.setTimeout(240_000);
  const base = process.env.YUNZHEN_URL!;
  const problems = watchPageErrors(page);
  const dir = mkdtempSync(join(tmpdir(), 'yunzhen-redaction-'));
  try {
    const patientId = `RED-${Date.now()}`;
    const [ct] = rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true, replace: { 0x00100010: 'ZHAO^LIHUA', 0x00100020: patientId } });
    const consult = await seedConsult(base, [ct!], { clinicalQuestion: 'Nodule follow-up?' });
    const rad = await demoToken(base, 'rad@xuhui.demo');
    const letter = await textPdf(['Referral letter\nDr. Li, Xuhui District Hospital', `Patient: Zhao Lihua\nHospital no. ${patientId}\nNodule 8 mm, right upper lobe`]);
    const attached = await fetch(new URL(`/api/consults/${consult.id}/attachments?label=referral`, base), {
      method: 'POST',
      headers: { Authorization: `Bearer ${rad}`, 'Content-Type': 'application/pdf' },
      body: Buffer.from(letter),
    });
    expect(attached.status).toBe(201);

    await login(page, 'rad@xuhui.demo', 'en');
    await page.goto(`/consults/${consult.id}`);
    const document = page.getByTestId('attachment');
    await expect(document.getByTestId('attachment-check')).toContainText('page 2');
    await document.getByTestId('attachment-redact').click();
    const editor = page.getByTestId('redaction-editor');
    const pageTwo = editor.locator('[data-testid=redaction-page][data-page="2"]');
    await expect(pageTwo.locator('img')).toHaveJSProperty('complete', true);
    // Proposed: the name and the hospital number, both on page 2, none on page 1.
    await expect(pageTwo.getByTestId('redaction-box')).toHaveCount(2);
    await expect(editor.locator('[data-testid=redaction-page][data-page="1"] [data-testid=redaction-box]')).toHaveCount(0);

    // She draws a box over the letterhead of page 1, then thinks better of it and removes it.
    // The panels above the editor load on their own and can move it down, so each point is
    // placed on the sheet where it is at that moment (hover waits for it to hold still).
    const pageOne = editor.locator('[data-testid=redaction-page][data-page="1"]');
    await expect(pageOne.locator('img')).toHaveJSProperty('complete', true);
    const sheet = (await pageOne.boundingBox())!;
    await pageOne.hover({ position: { x: sheet.width * 0.1, y: sheet.height * 0.05 } });
    await page.mouse.down();
    await pageOne.hover({ position: { x: sheet.width * 0.3, y: sheet.height * 0.08 } });
    await pageOne.hover({ position: { x: sheet.width * 0.5, y: sheet.height * 0.12 } });
    await page.mouse.up();
    await expect(pageOne.getByTestId('redaction-box')).toHaveCount(1);
    await pageOne.getByTestId('redaction-box').click();
    await expect(pageOne.getByTestId('redaction-box')).toHaveCount(0);
    await pageTwo.scrollIntoViewIfNeeded();
    await page.screenshot({ path: test.info().outputPath('redaction-editor.png'), fullPage: true });

    await editor.getByTestId('redaction-confirm').click();
    await expect(document).toHaveAttribute('data-review', 'released', { timeout: 120_000 });
    await expect(document.getByTestId('attachment-redacted')).toBeVisible();

    // The reading centre's copy: pictures of the pages, no text layer, no identity.
    const specialist = await demoToken(base, 'specialist@scc.demo');
    const seen = (await (await fetch(new URL(`/api/consults/${consult.id}`, base), { headers: { Authorization: `Bearer ${specialist}` } })).json()).consult;
    const copy = await fetch(new URL(`/api/consults/${consult.id}/attachments/${seen.attachments[0].id}`, base), { headers: { Authorization: `Bearer ${specialist}` } });
    expect(copy.status).toBe(200);
    const path = join(dir, 'centre.pdf');
    writeFileSync(path, new Uint8Array(await copy.arrayBuffer()));
    expect(execFileSync('pdftotext', [path, '-'], { encoding: 'utf8' }).trim()).toBe('');
    expect(problems).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
