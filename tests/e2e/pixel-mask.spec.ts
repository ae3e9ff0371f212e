import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { demoToken, readSample, rewriteInstances } from '@yunzhen/server/testing';

import { dragAcross, expect, login, logout, test } from './fixtures.js';

/**
 * Issue 17: a radiographer masks burned-in identity in an ultrasound clip (RLE, palette colour,
 * 10 frames) on the upload page, releases it and sends a consult; the specialist's rendered
 * images of the clip are black where the boxes were, in the first and the last frame.
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

for (const language of ['zh-CN', 'en'] as const) {
  test(`a radiographer masks an ultrasound clip; the specialist sees it masked (${language})`, async ({ page }, testInfo) => {
    const base = process.env.YUNZHEN_URL!;
    const name = `MASKED^CLIP${language === 'en' ? 'EN' : 'ZH'}${Date.now()}`;
    const clipFolder = join(folder, language);
    mkdirSync(clipFolder, { recursive: true });
    const [clip] = rewriteInstances([readSample('modalities/US-PAL-8-10x-echo')], { freshUids: true, replace: { 0x00100010: name, 0x00100020: `MASK-${Date.now()}` } });
    writeFileSync(join(clipFolder, 'US1'), clip!);

    await login(page, 'rad@xuhui.demo', language);
    await page.goto('/upload');
    await page.getByTestId('folder-input').setInputFiles(clipFolder);
    await expect(page.getByTestId('summary-instances')).toHaveText('1');
    await page.getByTestId('start-upload').click();
    await expect(page.locator('[data-testid=file-results] tr[data-state=stored]')).toHaveCount(1, { timeout: 30_000 });

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
      const dataUrl = `data:image/png;base64,${Buffer.from(await png.arrayBuffer()).toString('base64')}`;
      const result = await page.evaluate(
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
          let notBlackInside = 0;
          let litOutside = 0;
          for (let y = 0; y < canvas.height; y++) {
            for (let x = 0; x < canvas.width; x++) {
              const i = (y * canvas.width + x) * 4;
              const lit = data[i]! + data[i + 1]! + data[i + 2]! > 0;
              const inside = boxes.some((b) => x >= b.x && x < b.x + b.width && y >= b.y && y < b.y + b.height);
              if (inside && lit) notBlackInside++;
              if (!inside && lit) litOutside++;
            }
          }
          document.body.innerHTML = '';
          img.setAttribute('data-testid', 'specialist-rendered');
          document.body.append(img);
          return { width: canvas.width, height: canvas.height, notBlackInside, litOutside };
        },
        { dataUrl, boxes },
      );
      expect(result).toMatchObject({ width: 600, height: 430, notBlackInside: 0 });
      expect(result.litOutside).toBeGreaterThan(1000);
      await page.getByTestId('specialist-rendered').screenshot({ path: testInfo.outputPath(`pixel-mask-specialist-frame${frame}-${language}.png`) });
    }
  });
}
