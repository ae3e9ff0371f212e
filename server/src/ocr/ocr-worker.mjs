// One OCR engine per child process (see detect-text.ts for why PaddleOCR and why a process).
// Plain JavaScript so that it loads the same under tsx, Vitest and a bundled server, with no
// TypeScript loader. The thread count comes as the first argument; frames come over IPC.

import Ocr from '@gutenye/ocr-node';
import sharp from 'sharp';

/** PP-OCR's detector wants sides that are multiples of 32 (it letterboxes otherwise, which would shift the boxes). */
const STRIDE = 32;

const threads = Math.max(1, Number(process.argv[2]) || 1);
const ocrReady = Ocr.create({ onnxOptions: { intraOpNumThreads: threads, interOpNumThreads: 1 } });
// A model that cannot load fails every request with the reason, instead of an unhandled rejection.
ocrReady.catch(() => {});

/**
 * Scale the frame so that its long side is within [minSide, maxSide] (small burned-in text on a
 * small image is found more often at twice the size; a 3000-pixel radiograph is too slow at full
 * size), pad it to the detector's stride, and hand it over as an uncompressed PNG: the library only
 * opens encoded images.
 */
async function prepare(image, minSide, maxSide) {
  const longSide = Math.max(image.width, image.height);
  const scale = longSide > maxSide ? maxSide / longSide : longSide < minSide ? Math.min(2, minSide / longSide) : 1;
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  let pipeline = sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } });
  if (scale !== 1) pipeline = pipeline.resize(width, height, { fit: 'fill', kernel: 'lanczos3' });
  const padRight = Math.ceil(width / STRIDE) * STRIDE - width;
  const padBottom = Math.ceil(height / STRIDE) * STRIDE - height;
  // Extending needs the resized image first: sharp applies extend before resize in one pipeline.
  const resized = await pipeline.raw().toBuffer({ resolveWithObject: true });
  const png = await sharp(resized.data, { raw: { width, height, channels: resized.info.channels } })
    .extend({ right: padRight, bottom: padBottom, background: { r: 0, g: 0, b: 0, alpha: 1 } })
    .removeAlpha()
    .toColourspace('srgb')
    .png({ compressionLevel: 0 })
    .toBuffer();
  return { png, scale };
}

function toBox(points, scale, image) {
  const xs = points.map((p) => p[0] / scale);
  const ys = points.map((p) => p[1] / scale);
  const x = Math.max(0, Math.floor(Math.min(...xs)));
  const y = Math.max(0, Math.floor(Math.min(...ys)));
  const right = Math.min(image.width, Math.ceil(Math.max(...xs)));
  const bottom = Math.min(image.height, Math.ceil(Math.max(...ys)));
  return { x, y, width: Math.max(0, right - x), height: Math.max(0, bottom - y) };
}

// The server is gone (it ended or was killed): so is this engine.
process.on('disconnect', () => process.exit(0));

process.on('message', async ({ id, image, minSide, maxSide }) => {
  try {
    const ocr = await ocrReady;
    const { png, scale } = await prepare(image, minSide, maxSide);
    const lines = await ocr.detect(png);
    const results = lines
      .filter((line) => line.box && line.text.trim() !== '')
      .map((line) => ({ text: line.text, confidence: line.mean, box: toBox(line.box, scale, image) }))
      .filter((line) => line.box.width > 0 && line.box.height > 0);
    process.send({ id, results });
  } catch (error) {
    process.send({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
