import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

import type { Canvas, SKRSContext2D } from '@napi-rs/canvas';
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
