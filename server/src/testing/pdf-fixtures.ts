import PDFDocument from 'pdfkit';

import { loadNotoSansSc } from '@yunzhen/report/pdf';

function collect(doc: PDFKit.PDFDocument): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve) => doc.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks)))));
}

/** A PDF with a text layer: one string per page, in a font with Chinese glyphs. */
export async function textPdf(pages: string[]): Promise<Uint8Array> {
  const doc = new PDFDocument({ autoFirstPage: false });
  const done = collect(doc);
  doc.registerFont('noto', Buffer.from((await loadNotoSansSc()).regular));
  for (const text of pages) doc.addPage().font('noto').fontSize(14).text(text);
  doc.end();
  return done;
}

/** A "scanned" PDF: each page only an image, no text layer (the image is a grey 2×2 PNG). */
export async function scannedPdf(pageCount: number): Promise<Uint8Array> {
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAAAAABX3VL4AAAADklEQVR4nGNgYGBgYAAAAAUAAWJVMogAAAAASUVORK5CYII=', 'base64');
  const doc = new PDFDocument({ autoFirstPage: false });
  const done = collect(doc);
  for (let i = 0; i < pageCount; i++) doc.addPage().image(png, 50, 50, { width: 400 });
  doc.end();
  return done;
}

/**
 * A scanned letter: each page a picture of its lines (rendered with @napi-rs/canvas in a font
 * with Chinese glyphs, as a scanner would deliver them at 200 dpi), no text layer. What OCR must read.
 */
export async function scannedTextPdf(pages: string[][]): Promise<Uint8Array> {
  const { createCanvas, GlobalFonts } = await import('@napi-rs/canvas');
  if (!GlobalFonts.has('Noto Sans SC')) GlobalFonts.register(Buffer.from((await loadNotoSansSc()).regular), 'Noto Sans SC');
  const doc = new PDFDocument({ autoFirstPage: false });
  const done = collect(doc);
  const [widthPt, heightPt] = [595, 842]; // A4
  for (const lines of pages) {
    const canvas = createCanvas(Math.round((widthPt * 200) / 72), Math.round((heightPt * 200) / 72));
    const context = canvas.getContext('2d');
    context.fillStyle = '#ffffff';
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.fillStyle = '#111111';
    context.font = '44px "Noto Sans SC"';
    lines.forEach((line, i) => context.fillText(line, 160, 240 + i * 90));
    doc.addPage({ size: [widthPt, heightPt], margin: 0 }).image(canvas.toBuffer('image/png'), 0, 0, { width: widthPt, height: heightPt });
  }
  doc.end();
  return done;
}
