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
