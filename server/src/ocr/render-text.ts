import { createCanvas, GlobalFonts } from '@napi-rs/canvas';
import { loadNotoSansSc } from '@yunzhen/report/pdf';

import type { OcrImage } from './detect-text.js';

/** A line of text to burn into a test frame. */
export interface RenderedText {
  text: string;
  x: number;
  /** Baseline, as canvas `fillText` takes it. */
  y: number;
  sizePx: number;
  /** Grey level of the text, 0–255. */
  grey: number;
}

const FONT_FAMILY = 'Noto Sans SC (Yunzhen tests)';
let fontRegistered: Promise<void> | undefined;

/** Registers Noto Sans SC (the report font, so no second font package) with the canvas once. */
function registerFont(): Promise<void> {
  fontRegistered ??= loadNotoSansSc().then(({ regular }) => {
    GlobalFonts.register(Buffer.from(regular), FONT_FAMILY);
  });
  return fontRegistered;
}

/**
 * A greyscale test frame: a dark background with a brighter fan (the shape of an ultrasound
 * sector, so the detector has image content to ignore) and the given text burned in, with the
 * box each line's ink covers. Used by the OCR tests and the `bench:pixels` corpus.
 */
export async function renderTextFrame(width: number, height: number, lines: RenderedText[], background = 0): Promise<OcrImage & { channels: 1; boxes: { x: number; y: number; width: number; height: number }[] }> {
  await registerFont();
  const canvas = createCanvas(width, height);
  const context = canvas.getContext('2d');
  context.fillStyle = `rgb(${background},${background},${background})`;
  context.fillRect(0, 0, width, height);
  const fan = Math.min(255, background + 50);
  context.fillStyle = `rgb(${fan},${fan},${fan})`;
  context.beginPath();
  context.moveTo(width / 2, height * 0.15);
  context.arc(width / 2, height * 0.15, height * 0.8, Math.PI * 0.3, Math.PI * 0.7);
  context.fill();
  // Where each line's ink is, from the font's metrics: what a mask must cover.
  const boxes = lines.map((line) => {
    context.font = `${line.sizePx}px "${FONT_FAMILY}"`;
    context.fillStyle = `rgb(${line.grey},${line.grey},${line.grey})`;
    context.fillText(line.text, line.x, line.y);
    const metrics = context.measureText(line.text);
    const x = Math.max(0, Math.floor(line.x - metrics.actualBoundingBoxLeft));
    const y = Math.max(0, Math.floor(line.y - metrics.actualBoundingBoxAscent));
    const right = Math.min(width, Math.ceil(line.x + metrics.actualBoundingBoxRight));
    const bottom = Math.min(height, Math.ceil(line.y + metrics.actualBoundingBoxDescent));
    return { x, y, width: right - x, height: bottom - y };
  });
  const rgba = context.getImageData(0, 0, width, height).data;
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = rgba[i * 4] ?? 0;
  return { width, height, channels: 1, data, boxes };
}
