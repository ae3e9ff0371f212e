import { expect, type Locator, type Page } from '@playwright/test';

import { dragAcross } from './fixtures.js';

/** Helpers the reading-page specs share: opening a consult's images, drawing, and what the canvas shows. */

export async function openReader(page: Page, consultId: string) {
  await page.goto(`/consults/${consultId}/read`);
  const viewport = page.getByTestId('viewport').first();
  // The overlay shows once an image is asked for, and data-loading is 'false' before that too:
  // checked in this order, the image is on screen (and can be drawn on) when this returns.
  await expect(viewport.getByTestId('overlay-bottom-left')).toBeVisible({ timeout: 20_000 });
  await expect(viewport).toHaveAttribute('data-loading', 'false', { timeout: 20_000 });
  return viewport;
}

/**
 * Opens the reader for a reader who will draw, once their saved annotations have arrived: the
 * viewer does not autosave a line drawn before that (the image can show first).
 */
export async function openReaderToDraw(page: Page, consultId: string) {
  const annotations = page.waitForResponse((r) => r.request().method() === 'GET' && new URL(r.url()).pathname === `/api/consults/${consultId}/annotations`);
  const viewport = await openReader(page, consultId);
  expect((await annotations).status()).toBe(200);
  await (await annotations).finished();
  return viewport;
}

/**
 * Empties the reader's autosaved annotations, as on a machine that has only the exported SR. The
 * page leaves the reader first: leaving saves once more, and that save may land after the version
 * is read here, so the clearing is tried again against the newer one (a 409 says it moved).
 */
export async function clearSavedAnnotations(page: Page, baseUrl: string, consultId: string, token: string) {
  await page.goto('/');
  const url = `${baseUrl}api/consults/${consultId}/annotations`;
  const auth = { Authorization: `Bearer ${token}` };
  await expect(async () => {
    const current = (await (await fetch(url, { headers: auth })).json()) as { mine: { version: number } };
    const cleared = await fetch(url, { method: 'PUT', headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify({ version: current.mine.version, data: null }) });
    expect(cleared.status).toBe(200);
  }).toPass({ timeout: 30_000 });
}

/** A drag across the viewport with the active tool, in fractions of its size. */
export async function drag(page: Page, viewport: Locator, from: [number, number], to: [number, number]) {
  await dragAcross(page, (await viewport.getByTestId('viewport-element').boundingBox())!, from, to);
}

/** Grey-level statistics of what the viewport's canvas shows (decoded from an element screenshot). */
export async function canvasStats(page: Page, viewport: Locator) {
  const { distinct, nonBlackFraction, hash } = await screenStats(page, viewport.locator('canvas').first());
  return { distinct, nonBlackFraction, hash };
}

/**
 * How much of a viewport is in colour, canvas and drawings over it: the fraction of its pixels
 * whose channels are more than 40 levels apart, and their mean spread (more opaque colour over a
 * grey image spreads more). A grey image has none, so colour is an overlay (a segmentation, a
 * crosshair) or the scrollbar.
 */
export async function colourOf(page: Page, viewport: Locator) {
  const { colouredFraction, colourSpread } = await screenStats(page, viewport.getByTestId('viewport-element'));
  return { fraction: colouredFraction, spread: colourSpread };
}

/** What an element shows on screen, read back from a screenshot: grey levels and colour. */
async function screenStats(page: Page, element: Locator) {
  const shot = (await element.screenshot()).toString('base64');
  return page.evaluate(async (png) => {
    const image = new Image();
    image.src = `data:image/png;base64,${png}`;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = image.width;
    canvas.height = image.height;
    const context = canvas.getContext('2d')!;
    context.drawImage(image, 0, 0);
    const { data } = context.getImageData(0, 0, image.width, image.height);
    const pixels = data.length / 4;
    const levels = new Set<number>();
    let nonBlack = 0;
    let coloured = 0;
    let spread = 0;
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b] = [data[i]!, data[i + 1]!, data[i + 2]!];
      const grey = Math.round((r + g + b) / 3);
      levels.add(grey);
      if (grey > 8) nonBlack++;
      const pixelSpread = Math.max(r, g, b) - Math.min(r, g, b);
      if (pixelSpread > 40) {
        coloured++;
        spread += pixelSpread;
      }
    }
    return {
      distinct: levels.size,
      nonBlackFraction: nonBlack / pixels,
      hash: Array.from(data.filter((_, i) => i % 97 === 0)).join(','),
      colouredFraction: coloured / pixels,
      colourSpread: coloured ? spread / coloured : 0,
    };
  }, shot);
}
