import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

import type { Canvas, SKRSContext2D } from '@napi-rs/canvas';
import PDFDocument from 'pdfkit';

import { AppError } from '../errors.js';
import type { PDFDocumentProxy, PDFPageProxy } from 'pdfjs-dist/types/src/display/api.js';

/** A place on a page in fractions of its width and height, from the top left: the same at any resolution. */
export interface PageBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A piece of a page's text and where it sits: a text-layer item, or a line OCR read from the rendered page. */
export interface TextRun {
  text: string;
  box: PageBox;
}

/** A page drawn into pixels (RGBA), with the canvas kept to encode it. */
export interface RenderedPage {
  width: number;
  height: number;
  /** Width and height in PDF points (1/72 inch), for a PDF made of rendered pages. */
  widthPt: number;
  heightPt: number;
  canvas: Canvas;
  context: SKRSContext2D;
  rgba(): Uint8Array;
}

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');
let pdfjsModule: Promise<PdfJs> | undefined;
const pdfjsRoot = dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));

/** The Node ("legacy") build; without a worker thread it runs its parser in this thread, on the document's bytes only. */
function loadPdfJs(): Promise<PdfJs> {
  pdfjsModule ??= import('pdfjs-dist/legacy/build/pdf.mjs').then((pdfjs) => {
    pdfjs.GlobalWorkerOptions.workerSrc = pathToFileURL(join(pdfjsRoot, 'legacy/build/pdf.worker.mjs')).href;
    return pdfjs;
  });
  return pdfjsModule;
}

/**
 * Opens a PDF with pdf.js (Mozilla's PDF engine: a PDF's text sits in compressed content streams
 * with font-specific encodings, and its pages need a real renderer; nothing to write by hand).
 * Character maps and the standard fonts come with pdf.js, so Chinese text and unembedded
 * Helvetica render too; pages render through @napi-rs/canvas, pdf.js's own canvas for Node.
 */
export async function openPdf(bytes: Uint8Array): Promise<PDFDocumentProxy> {
  const pdfjs = await loadPdfJs();
  // A copy, as a plain Uint8Array (pdf.js refuses Node Buffers and takes ownership of what it gets).
  return pdfjs.getDocument({
    data: new Uint8Array(bytes),
    isEvalSupported: false,
    disableFontFace: true,
    verbosity: 0,
    cMapUrl: `${join(pdfjsRoot, 'cmaps')}/`,
    cMapPacked: true,
    standardFontDataUrl: `${join(pdfjsRoot, 'standard_fonts')}/`,
    wasmUrl: `${join(pdfjsRoot, 'wasm')}/`,
  }).promise;
}

/** The page's text layer as runs with their boxes; an empty list for a scanned page. */
export async function textRuns(page: PDFPageProxy): Promise<TextRun[]> {
  const viewport = page.getViewport({ scale: 1 });
  const content = await page.getTextContent();
  const runs: TextRun[] = [];
  for (const item of content.items) {
    if (!('str' in item) || !item.str.trim()) continue;
    const [, , c = 0, d = 0, e = 0, f = 0] = item.transform as number[];
    const fontSize = Math.hypot(c, d) || item.height;
    // From the baseline down by a descender, up by the font size: the glyphs' box in PDF space.
    const [x1, y1, x2, y2] = viewport.convertToViewportRectangle([e, f - 0.25 * fontSize, e + item.width, f + fontSize]) as [number, number, number, number];
    runs.push({
      text: item.str,
      box: {
        x: Math.min(x1, x2) / viewport.width,
        y: Math.min(y1, y2) / viewport.height,
        width: Math.abs(x2 - x1) / viewport.width,
        height: Math.abs(y2 - y1) / viewport.height,
      },
    });
  }
  return runs;
}

/** Renders a page at `dpi` on white (a PDF page's paper), at most `maxSide` pixels on its longer side. */
export async function renderPage(document: PDFDocumentProxy, page: PDFPageProxy, dpi: number, maxSide = 4000): Promise<RenderedPage> {
  const points = page.getViewport({ scale: 1 });
  const scale = Math.min(dpi / 72, maxSide / Math.max(points.width, points.height));
  const viewport = page.getViewport({ scale });
  const width = Math.ceil(viewport.width);
  const height = Math.ceil(viewport.height);
  // pdf.js's canvas factory for Node makes @napi-rs/canvas canvases; its typings speak of the DOM's.
  const { canvas, context } = (document.canvasFactory as { create(w: number, h: number): { canvas: Canvas; context: SKRSContext2D } }).create(width, height);
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, width, height);
  await page.render({ canvas: canvas as never, canvasContext: context as never, viewport }).promise;
  return {
    width,
    height,
    widthPt: points.width,
    heightPt: points.height,
    canvas,
    context,
    rgba: () => new Uint8Array(context.getImageData(0, 0, width, height).data.buffer),
  };
}

const unreadableImage = () => new AppError('UnreadableDocument', 'the image cannot be read (not the JPEG or PNG its type says)');

/** Resolution a photographed or scanned page is assumed to have when it becomes a PDF page. */
const PHOTO_DPI = 200;

/**
 * A one-page PDF around a JPEG or PNG (pdfkit embeds a JPEG as it is, a PNG losslessly), sized
 * as if scanned at 200 dpi. An image that is neither answers 422 `UnreadableDocument`.
 */
export async function imageAsPdf(image: Uint8Array, mediaType: 'image/jpeg' | 'image/png'): Promise<Uint8Array> {
  const isJpeg = image[0] === 0xff && image[1] === 0xd8;
  const isPng = Buffer.from(image.subarray(0, 8)).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  if ((mediaType === 'image/jpeg' && !isJpeg) || (mediaType === 'image/png' && !isPng)) throw unreadableImage();
  const doc = new PDFDocument({ autoFirstPage: false, info: { Producer: 'Yunzhen', Creator: 'Yunzhen' } });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise<void>((resolve) => doc.on('end', () => resolve()));
  const { loadImage } = await import('@napi-rs/canvas');
  const decoded = await loadImage(Buffer.from(image)).catch(() => {
    throw unreadableImage();
  });
  if (!decoded.width || !decoded.height) throw unreadableImage();
  const [width, height] = [(decoded.width * 72) / PHOTO_DPI, (decoded.height * 72) / PHOTO_DPI];
  try {
    doc.addPage({ size: [width, height], margin: 0 }).image(Buffer.from(image), 0, 0, { width, height });
  } catch {
    throw unreadableImage();
  }
  doc.end();
  await ended;
  return new Uint8Array(Buffer.concat(chunks));
}
