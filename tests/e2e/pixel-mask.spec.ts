import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { buildCorpusInstance, CORPUS_PATIENTS, coverage, demoToken, readSample, rewriteInstances } from '@yunzhen/server/testing';

import type { Page } from '@playwright/test';
import { dragAcross, expect, login, logout, test } from './fixtures.js';

/**
 * Issue 17: a radiographer masks burned-in identity in an ultrasound clip (RLE, palette colour,
 * 10 frames) on the upload page, releases it and sends a consult; the specialist's rendered
 * images of the clip are black where the boxes were, in the first and the last frame. And a clip
 * whose header says it has no burned-in text, but has the patient's name, ID and birth date in
 * its pixels: the OCR holds it and proposes the boxes (red where they name the patient), the
 * radiographer adjusts and confirms them, and the specialist's frames are black under the text.
 */
let folder: string;
test.beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'yunzhen-mask-'));
});
test.afterAll(() => rmSync(folder, { recursive: true, force: true }));

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** As the radiographer, sends the one file in `clipFolder` from the upload page and waits until it is stored. */
async function uploadOneClip(page: Page, clipFolder: string, language: 'zh-CN' | 'en') {
  await login(page, 'rad@xuhui.demo', language);
  await page.goto('/upload');
  await page.getByTestId('folder-input').setInputFiles(clipFolder);
  await expect(page.getByTestId('summary-instances')).toHaveText('1');
  await page.getByTestId('start-upload').click();
  await expect(page.locator('[data-testid=file-results] tr[data-state=stored]')).toHaveCount(1, { timeout: 30_000 });
}

for (const language of ['zh-CN', 'en'] as const) {
  test(`a radiographer masks an ultrasound clip; the specialist sees it masked (${language})`, async ({ page }, testInfo) => {
    const base = process.env.YUNZHEN_URL!;
    const name = `MASKED^CLIP${language === 'en' ? 'EN' : 'ZH'}${Date.now()}`;
    const clipFolder = join(folder, language);
    mkdirSync(clipFolder, { recursive: true });
    const [clip] = rewriteInstances([readSample('modalities/US-PAL-8-10x-echo')], { freshUids: true, replace: { 0x00100010: name, 0x00100020: `MASK-${Date.now()}` } });
    writeFileSync(join(clipFolder, 'US1'), clip!);

    await uploadOneClip(page, clipFolder, language);

    // The clip is held; open the mask dialog on it.
    const held = page.getByTestId('review-item');
    await expect(held).toHaveCount(1);
    await held.getByTestId('review-mask').click();
    const dialog = page.getByTestId('mask-dialog');
    const surface = dialog.getByTestId('mask-surface');
    await expect(surface.locator('img')).toHaveJSProperty('complete', true, { timeout: 30_000 });
    await expect.poll(() => surface.locator('img').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(600);
    const area = (await surface.boundingBox())!;
    const drag = (from: [number, number], to: [number, number]) => dragAcross(page, area, from, to);
    // Boxes the pixel scan proposed (when it was done before the page read the clip) are cleared: this test draws its own.
    if ((await dialog.getByTestId('mask-box').count()) > 0) await dialog.getByTestId('mask-clear').click();
    // The header band, a box drawn by mistake and removed by a click, and a box at the bottom.
    await drag([0.003, 0.003], [0.997, 0.2]);
    await drag([0.4, 0.4], [0.6, 0.6]);
    await expect(dialog.getByTestId('mask-box')).toHaveCount(2);
    await dialog.getByTestId('mask-box').nth(1).click();
    await expect(dialog.getByTestId('mask-box')).toHaveCount(1);
    await drag([0.7, 0.85], [0.95, 0.97]);
    await expect(dialog.getByTestId('mask-box')).toHaveCount(2);
    await expect(dialog.getByTestId('mask-confirm')).toBeDisabled();
    await dialog.getByTestId('mask-preview').click();
    await expect(dialog.getByTestId('mask-summary')).toContainText('10');
    await dialog.screenshot({ path: testInfo.outputPath(`pixel-mask-preview-${language}.png`) });
    await testInfo.attach(`pixel-mask-preview-${language}`, { path: testInfo.outputPath(`pixel-mask-preview-${language}.png`), contentType: 'image/png' });

    const sent = page.waitForRequest((request) => request.url().endsWith('/pixel-review/mask') && request.method() === 'POST');
    await dialog.getByTestId('mask-confirm').click();
    const { boxes } = (await sent).postDataJSON() as { boxes: Box[] };
    expect(boxes).toHaveLength(2);
    // Dragged from next to the corner to next to the right edge: snapped to the whole width from row 0.
    expect(boxes[0]).toMatchObject({ x: 0, y: 0, width: 600 });
    await expect(dialog).toHaveCount(0);
    // Masked and released: nothing is held any more.
    await expect(page.getByTestId('review-none')).toBeVisible();

    const form = page.getByTestId('consult-form');
    await expect(form.getByTestId('consult-study')).toBeChecked();
    await form.locator('textarea[name=question]').fill('Pericardial effusion?');
    await page.getByTestId('create-consult').click();
    await expect(page.getByTestId('consult-page')).toBeVisible();
    await logout(page);

    // What the reading centre gets: the clip's only image is the masked copy.
    const radToken = await demoToken(base, 'rad@xuhui.demo');
    const { studies } = (await (await fetch(`${base}api/studies`, { headers: { Authorization: `Bearer ${radToken}` } })).json()) as { studies: { id: string; studyInstanceUid: string; identity: { name: string } }[] };
    const study = studies.find((s) => s.identity.name === name)!;
    const { instances } = (await (await fetch(`${base}api/studies/${study.id}`, { headers: { Authorization: `Bearer ${radToken}` } })).json()) as { instances: { sopInstanceUid: string; seriesInstanceUid: string; pixelReview: string }[] };
    expect(instances.map((i) => i.pixelReview)).toEqual(['released']);
    const specialist = await demoToken(base, 'specialist@scc.demo');
    const instanceUrl = `${base}dicomweb/studies/${study.studyInstanceUid}/series/${instances[0]!.seriesInstanceUid}/instances/${instances[0]!.sopInstanceUid}`;
    const listed = (await (await fetch(`${base}dicomweb/studies/${study.studyInstanceUid}/instances`, { headers: { Authorization: `Bearer ${specialist}`, Accept: 'application/dicom+json' } })).json()) as Record<string, { Value: string[] }>[];
    expect(listed.map((i) => i['00080018']!.Value[0])).toEqual([instances[0]!.sopInstanceUid]);

    await login(page, 'specialist@scc.demo', language);
    for (const frame of [1, 10]) {
      const png = await fetch(`${instanceUrl}/frames/${frame}/rendered`, { headers: { Authorization: `Bearer ${specialist}`, Accept: 'image/png' } });
      expect(png.status).toBe(200);
      const rendered = await litPixels(page, await png.arrayBuffer(), boxes);
      const result = { width: rendered.width, height: rendered.height, notBlackInside: rendered.inside, litOutside: rendered.outside };
      expect(result).toMatchObject({ width: 600, height: 430, notBlackInside: 0 });
      expect(result.litOutside).toBeGreaterThan(1000);
      await page.getByTestId('specialist-rendered').screenshot({ path: testInfo.outputPath(`pixel-mask-specialist-frame${frame}-${language}.png`) });
    }
  });
}

/**
 * Lit (not black) pixels of a rendered PNG inside and outside `boxes`, as the specialist's browser
 * decodes it; the image is left alone on the page for a screenshot (`specialist-rendered`).
 */
async function litPixels(page: Page, png: ArrayBuffer, boxes: Box[]) {
  const dataUrl = `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
  return page.evaluate(
    async ({ dataUrl, boxes }) => {
      const img = new Image();
      img.src = dataUrl;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.naturalWidth;
      canvas.height = img.naturalHeight;
      const context = canvas.getContext('2d')!;
      context.drawImage(img, 0, 0);
      const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
      let inside = 0;
      let outside = 0;
      for (let y = 0; y < canvas.height; y++) {
        for (let x = 0; x < canvas.width; x++) {
          const i = (y * canvas.width + x) * 4;
          if (data[i]! + data[i + 1]! + data[i + 2]! === 0) continue;
          if (boxes.some((b) => x >= b.x && x < b.x + b.width && y >= b.y && y < b.y + b.height)) inside++;
          else outside++;
        }
      }
      document.body.innerHTML = '';
      img.setAttribute('data-testid', 'specialist-rendered');
      document.body.append(img);
      return { width: canvas.width, height: canvas.height, inside, outside };
    },
    { dataUrl, boxes },
  );
}

test('the OCR finds burned-in identity in an ultrasound clip, proposes the boxes, and the specialist sees the clip masked', async ({ page }, testInfo) => {
  test.setTimeout(240_000);
  const base = process.env.YUNZHEN_URL!;
  const patient = { ...CORPUS_PATIENTS[0]!, id: `P${Date.now() % 1_000_000_000}` };
  patient.shown = { ...patient.shown, id: `ID: ${patient.id}` };
  const clip = await buildCorpusInstance({ label: 'e2e', patient, syntax: 'rle', frames: 6, width: 640, height: 480, sizePx: 18, grey: 255, placement: 'bottom', headerSaysNo: true });
  const clipFolder = join(folder, 'ocr');
  mkdirSync(clipFolder, { recursive: true });
  writeFileSync(join(clipFolder, 'US1'), clip.bytes);

  await uploadOneClip(page, clipFolder, 'en');

  // The header says "no burned-in text"; the scan reads it and holds the clip, saying it names the patient.
  const held = page.getByTestId('review-item');
  await expect(held).toHaveCount(1, { timeout: 180_000 });
  await expect(held.getByTestId('review-identity-found')).toBeVisible();
  await held.getByTestId('review-mask').click();
  const dialog = page.getByTestId('mask-dialog');
  const surface = dialog.getByTestId('mask-surface');
  await expect.poll(() => surface.locator('img').evaluate((img: HTMLImageElement) => img.naturalWidth), { timeout: 30_000 }).toBe(640);
  const identityBoxes = dialog.locator('[data-testid=mask-box][data-proposal=identity]');
  await expect(identityBoxes).toHaveCount(3);
  await expect(identityBoxes.first()).toHaveCSS('border-top-color', 'rgb(229, 72, 77)');
  await expect(dialog.locator('[data-testid=mask-box][data-proposal=template]')).toHaveCount(1);
  const proposed = await dialog.getByTestId('mask-box').count();

  // Adjust: widen the first identity box by its corner, add a box and remove it again.
  const area = (await surface.boundingBox())!;
  const handle = (await identityBoxes.first().getByTestId('mask-handle').boundingBox())!;
  await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
  await page.mouse.down();
  await page.mouse.move(handle.x + 20, handle.y + handle.height / 2, { steps: 4 });
  await page.mouse.move(handle.x + 40, handle.y + handle.height / 2, { steps: 4 });
  await page.mouse.up();
  await dragAcross(page, area, [0.4, 0.3], [0.6, 0.5]);
  await expect(dialog.getByTestId('mask-box')).toHaveCount(proposed + 1);
  await dialog.getByTestId('mask-box').last().click();
  await expect(dialog.getByTestId('mask-box')).toHaveCount(proposed);
  await dialog.getByTestId('mask-preview').click();
  await expect(dialog.getByTestId('mask-summary')).toContainText('6');
  await dialog.screenshot({ path: testInfo.outputPath('pixel-mask-ocr-preview.png') });

  const sent = page.waitForRequest((request) => request.url().endsWith('/pixel-review/mask') && request.method() === 'POST');
  await dialog.getByTestId('mask-confirm').click();
  const { boxes } = (await sent).postDataJSON() as { boxes: Box[] };
  expect(boxes).toHaveLength(proposed);
  for (const text of clip.texts) expect(coverage(text.box, boxes), text.kind).toBe(1);
  await expect(dialog).toHaveCount(0);
  await expect(page.getByTestId('review-none')).toBeVisible();

  const form = page.getByTestId('consult-form');
  await form.locator('textarea[name=question]').fill('Gallbladder?');
  await page.getByTestId('create-consult').click();
  await expect(page.getByTestId('consult-page')).toBeVisible();
  await logout(page);

  // The specialist's frames: black under every line of identity text, the image still there.
  const radToken = await demoToken(base, 'rad@xuhui.demo');
  const { studies } = (await (await fetch(`${base}api/studies`, { headers: { Authorization: `Bearer ${radToken}` } })).json()) as { studies: { id: string; studyInstanceUid: string; identity: { id: string } }[] };
  const study = studies.find((s) => s.identity.id === patient.id)!;
  const { instances } = (await (await fetch(`${base}api/studies/${study.id}`, { headers: { Authorization: `Bearer ${radToken}` } })).json()) as { instances: { sopInstanceUid: string; seriesInstanceUid: string; pixelReview: string }[] };
  expect(instances.map((i) => i.pixelReview)).toEqual(['released']);
  const specialist = await demoToken(base, 'specialist@scc.demo');
  await login(page, 'specialist@scc.demo', 'en');
  const instanceUrl = `${base}dicomweb/studies/${study.studyInstanceUid}/series/${instances[0]!.seriesInstanceUid}/instances/${instances[0]!.sopInstanceUid}`;
  for (const frame of [1, 6]) {
    const png = await fetch(`${instanceUrl}/frames/${frame}/rendered`, { headers: { Authorization: `Bearer ${specialist}`, Accept: 'image/png' } });
    expect(png.status).toBe(200);
    const lit = await litPixels(page, await png.arrayBuffer(), clip.texts.map((text) => text.box));
    expect(lit.inside).toBe(0);
    expect(lit.outside).toBeGreaterThan(1000);
  }
});
