import PDFDocument from 'pdfkit';

import { identityBoxes, readPageByOcrImage, type IdentityFinding, type IdentityKind, type ReadImageText } from '../routes/document-identity.js';
import { openPdf, renderPage, textRuns, type PageBox } from './pdf.js';

/** A box to burn into one page (1-based), in fractions of the page. */
export interface RedactionBox extends PageBox {
  page: number;
}

/** Pages a document may have to be redacted here: each is rendered, burned and read back by OCR. */
export const MAX_REDACTION_PAGES = 40;
/** Rendered at this resolution: print stays legible to a reader, and a page is ~1,700 × 2,300 pixels. */
const REDACTION_DPI = 200;

export interface RedactionResult {
  /** An image-only PDF: every page a picture of the original with the boxes filled black. */
  pdf: Uint8Array;
  pages: number;
  /** What is still legible after redaction: identifiers outside every box, by the text layer or by OCR. */
  remaining: IdentityFinding[];
}

/**
 * Redacts a PDF the only way that leaves nothing behind: every page is rendered to pixels,
 * the boxes are filled black, and a new PDF is made of those pictures alone. No text layer,
 * fonts, metadata, annotations, attachments or incremental-update history of the original
 * survives (drawing a black rectangle over text in a PDF hides nothing: the text stays
 * selectable). The result is then checked: identifiers in the original text layer must lie
 * under a box, and OCR of every burned page must find none.
 */
export async function redactPdf(
  bytes: Uint8Array,
  boxes: RedactionBox[],
  check: { terms: { kind: IdentityKind; text: string }[]; readText?: ReadImageText },
): Promise<RedactionResult> {
  const source = await openPdf(bytes);
  const out = new PDFDocument({ autoFirstPage: false, info: { Producer: 'Yunzhen redaction', Creator: 'Yunzhen' } });
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise<void>((resolve) => out.on('end', () => resolve()));
  const remaining: IdentityFinding[] = [];
  try {
    for (let number = 1; number <= source.numPages; number++) {
      const page = await source.getPage(number);
      const pageBoxes = boxes.filter((box) => box.page === number);
      for (const [kind, found] of identityBoxes(await textRuns(page), check.terms)) {
        const exposed = found.filter((box) => !covered(box, pageBoxes));
        if (exposed.length) remaining.push({ kind, page: number, boxes: exposed, read: 'text' });
      }
      const rendered = await renderPage(source, page, REDACTION_DPI);
      rendered.context.fillStyle = '#000000';
      for (const box of pageBoxes) {
        rendered.context.fillRect(
          Math.floor(box.x * rendered.width),
          Math.floor(box.y * rendered.height),
          Math.ceil(box.width * rendered.width) + 1,
          Math.ceil(box.height * rendered.height) + 1,
        );
      }
      if (check.readText) {
        const runs = await readPageByOcrImage({ width: rendered.width, height: rendered.height, data: rendered.rgba() }, check.readText);
        for (const [kind, found] of identityBoxes(runs, check.terms)) remaining.push({ kind, page: number, boxes: found, read: 'ocr' });
      }
      out.addPage({ size: [rendered.widthPt, rendered.heightPt], margin: 0 });
      out.image(rendered.canvas.toBuffer('image/jpeg', 90), 0, 0, { width: rendered.widthPt, height: rendered.heightPt });
      page.cleanup();
    }
    const pages = source.numPages;
    out.end();
    await ended;
    return { pdf: new Uint8Array(Buffer.concat(chunks)), pages, remaining };
  } finally {
    await source.destroy();
  }
}

/** Whether a found identifier lies under the boxes: every point of a grid over it inside one of them. */
function covered(found: PageBox, boxes: PageBox[]): boolean {
  const steps = 8;
  for (let i = 0; i <= steps; i++) {
    for (let j = 0; j <= 2; j++) {
      // The grid's edge points are pulled in a little: the found box is itself padded.
      const x = found.x + found.width * (0.05 + (0.9 * i) / steps);
      const y = found.y + found.height * (0.2 + (0.6 * j) / 2);
      if (!boxes.some((box) => x >= box.x && x <= box.x + box.width && y >= box.y && y <= box.y + box.height)) return false;
    }
  }
  return true;
}
