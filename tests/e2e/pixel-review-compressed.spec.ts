import { demoToken, readSample, rewriteInstances } from '@yunzhen/server/testing';

import { expect, login, logout, test } from './fixtures.js';

/**
 * A radiographer reviewing held images sees their pixels whatever the compression: the review
 * cards are plain <img> elements of the server's rendered PNG, so the server decodes JPEG 2000
 * and RLE for them. Both samples are held: the JPEG 2000 one is a Secondary Capture, the RLE one
 * an ultrasound.
 */
const HELD = [
  { sample: 'transfer-syntaxes/JPEG2000.dcm', label: 'jpeg2000', size: [256, 1024] },
  { sample: 'modalities/US-PAL-8-10x-echo', label: 'rle', size: [600, 430] },
] as const;

const held: { label: string; size: readonly [number, number]; studyId: string }[] = [];

test.beforeAll(async () => {
  const base = process.env.YUNZHEN_URL!;
  const token = await demoToken(base, 'rad@xuhui.demo');
  const stamp = Date.now();
  for (const { sample, label, size } of HELD) {
    const name = `COMPRESSED^${label.toUpperCase()}${stamp}`;
    const [bytes] = rewriteInstances([readSample(sample)], { freshUids: true, replace: { 0x00100010: name, 0x00100020: `CMP-${label}-${stamp}` } });
    const boundary = `compressed-${label}`;
    const body = new Blob([`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`, bytes!, `\r\n--${boundary}--\r\n`] as BlobPart[]);
    const stored = await fetch(`${base}dicomweb/studies`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': `multipart/related; type="application/dicom"; boundary=${boundary}` }, body });
    expect(stored.status, `${sample} stored`).toBe(200);
    const { studies } = (await (await fetch(`${base}api/studies?inbox=true`, { headers: { Authorization: `Bearer ${token}` } })).json()) as { studies: { id: string; identity: { name: string }; pendingReviewCount?: number }[] };
    const study = studies.find((s) => s.identity.name === name);
    expect(study?.pendingReviewCount, `${sample} held for pixel review`).toBeGreaterThan(0);
    held.push({ label, size, studyId: study!.id });
  }
});

for (const language of ['en', 'zh-CN'] as const) {
  test(`pixel review shows the pixels of JPEG 2000 and RLE images (${language})`, async ({ page }, testInfo) => {
    await login(page, 'rad@xuhui.demo', language);
    for (const { label, size, studyId } of held) {
      const card = page.locator(`[data-testid=review-item][data-study="${studyId}"]`);
      await expect(card).toHaveCount(1);
      await card.scrollIntoViewIfNeeded(); // the card's image loads lazily
      const img = card.locator('img');
      await expect(img).toHaveJSProperty('complete', true, { timeout: 30_000 });
      // Drawn into a canvas in the page: the image decoded, at its size, and is not one flat colour.
      const pixels = await img.evaluate((element: HTMLImageElement) => {
        const canvas = document.createElement('canvas');
        canvas.width = element.naturalWidth;
        canvas.height = element.naturalHeight;
        if (canvas.width === 0 || canvas.height === 0) return { width: canvas.width, height: canvas.height, distinct: 0, variance: 0 };
        const context = canvas.getContext('2d')!;
        context.drawImage(element, 0, 0);
        const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
        const values = new Set<number>();
        let sum = 0;
        let squares = 0;
        for (let i = 0; i < data.length; i += 4) {
          const grey = (data[i]! + data[i + 1]! + data[i + 2]!) / 3;
          values.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
          sum += grey;
          squares += grey * grey;
        }
        const n = data.length / 4;
        return { width: canvas.width, height: canvas.height, distinct: values.size, variance: squares / n - (sum / n) ** 2 };
      });
      expect([pixels.width, pixels.height], label).toEqual([...size]);
      expect(pixels.distinct, label).toBeGreaterThan(16);
      expect(pixels.variance, label).toBeGreaterThan(10);
      await card.screenshot({ path: testInfo.outputPath(`pixel-review-${label}-${language}.png`) });
      await testInfo.attach(`pixel-review-${label}-${language}`, { path: testInfo.outputPath(`pixel-review-${label}-${language}.png`), contentType: 'image/png' });
    }
    await page.getByTestId('pixel-review').screenshot({ path: testInfo.outputPath(`pixel-review-${language}.png`) });
    await testInfo.attach(`pixel-review-${language}`, { path: testInfo.outputPath(`pixel-review-${language}.png`), contentType: 'image/png' });
    await logout(page);
  });
}
