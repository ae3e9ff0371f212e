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

/** A page of printed lines as a scanner delivers it at 200 dpi (A4), in a font with Chinese glyphs: what OCR must read. */
async function scannedPage(lines: string[]) {
  const { createCanvas, GlobalFonts } = await import('@napi-rs/canvas');
  if (!GlobalFonts.has('Noto Sans SC')) GlobalFonts.register(Buffer.from((await loadNotoSansSc()).regular), 'Noto Sans SC');
  const canvas = createCanvas(Math.round((A4[0] * 200) / 72), Math.round((A4[1] * 200) / 72));
  const context = canvas.getContext('2d');
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.fillStyle = '#111111';
  context.font = '44px "Noto Sans SC"';
  lines.forEach((line, i) => context.fillText(line, 160, 240 + i * 90));
  return canvas;
}

const A4 = [595, 842] as const;

/** A scanned letter: each page a picture of its lines, no text layer. */
export async function scannedTextPdf(pages: string[][]): Promise<Uint8Array> {
  const doc = new PDFDocument({ autoFirstPage: false });
  const done = collect(doc);
  for (const lines of pages) doc.addPage({ size: [...A4], margin: 0 }).image((await scannedPage(lines)).toBuffer('image/png'), 0, 0, { width: A4[0], height: A4[1] });
  doc.end();
  return done;
}

/** A photographed (here: rendered) letter page as a JPEG, as a phone or a scanner app sends it. */
export async function scannedTextJpeg(lines: string[]): Promise<Uint8Array> {
  return new Uint8Array((await scannedPage(lines)).toBuffer('image/jpeg', 90));
}
