import type { Repositories } from '@yunzhen/db';

import { openPdf, renderPage, textRuns, type PageBox, type TextRun } from '../documents/pdf.js';
import type { PatientRecord, Vault } from '../vault/vault.js';

/** Pages read from one document: a referral runs to a few, a discharge summary to tens. */
export const MAX_PAGES = 100;
/** Scanned pages are read by OCR at this resolution: small print (8 pt) is then ~20 pixels tall. */
const OCR_DPI = 200;

export type IdentityKind = 'name' | 'id' | 'birthDate' | 'accession' | 'address';

/** Where a document names the patient: the kind of identifier, the page and the boxes around it, never the text found. */
export interface IdentityFinding {
  kind: IdentityKind;
  page: number;
  /** Around each place the identifier is written, in fractions of the page: what redaction proposes to hide. */
  boxes: PageBox[];
  /** Found in the page's text layer or by OCR of the rendered page. */
  read: 'text' | 'ocr';
}

export interface DocumentCheck {
  pages: number;
  /** Pages with a text layer. */
  textPages: number;
  /** Scanned pages (no text layer) read by OCR. A page neither way was not read: a person must look at it. */
  ocrPages: number;
  findings: IdentityFinding[];
}

/** Text OCR found in an image, with its box in pixels. */
export interface OcrLine {
  text: string;
  box: { x: number; y: number; width: number; height: number };
}

/** Reads the text in an RGBA image (the OCR engine); a document check works without one, leaving scanned pages unread. */
export type ReadImageText = (image: { width: number; height: number; channels: 4; data: Uint8Array }) => Promise<OcrLine[]>;

/** What the patient is known by, from the sealed originals of the consult's studies. */
export interface KnownIdentity {
  patient?: PatientRecord;
  accessionNumber?: string;
}

export interface CheckOptions {
  readText?: ReadImageText;
  /** When OCR stops starting pages (epoch ms); the pages left are counted unread. */
  deadline?: number;
}

/**
 * Finds the patient's identifiers in a PDF page by page: in the text layer, and on scanned
 * pages by OCR of the rendered page. Matching ignores case, spaces and punctuation, so "WANG
 * Xiaoming", "Wang, Xiaoming" and "王 小明" all match, and a date matches in its usual spellings.
 */
export async function checkDocument(bytes: Uint8Array, known: KnownIdentity[], options: CheckOptions = {}): Promise<DocumentCheck> {
  const document = await openPdf(bytes);
  try {
    const terms = identityTerms(known);
    const findings: IdentityFinding[] = [];
    let textPages = 0;
    let ocrPages = 0;
    const pages = Math.min(document.numPages, MAX_PAGES);
    for (let number = 1; number <= pages; number++) {
      const page = await document.getPage(number);
      let runs = await textRuns(page);
      let read: IdentityFinding['read'] = 'text';
      if (runs.length) textPages++;
      else if (options.readText && Date.now() < (options.deadline ?? Infinity)) {
        const ocr = await beforeDeadline(readPageByOcr(document, page, options.readText), options.deadline);
        if (ocr) {
          runs = ocr;
          read = 'ocr';
          ocrPages++;
        }
      }
      for (const [kind, boxes] of identityBoxes(runs, terms)) findings.push({ kind, page: number, boxes, read });
      page.cleanup();
    }
    return { pages: document.numPages, textPages, ocrPages, findings };
  } finally {
    await document.destroy();
  }
}

/** What the work gives, or undefined once the deadline passes first (the work is left to finish unread). */
async function beforeDeadline<T>(work: Promise<T>, deadline: number | undefined): Promise<T | undefined> {
  if (deadline === undefined) return work;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()))));
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A page rendered and read by OCR, its lines as runs with boxes in fractions of the page. */
export async function readPageByOcr(document: Parameters<typeof renderPage>[0], page: Parameters<typeof renderPage>[1], readText: ReadImageText): Promise<TextRun[]> {
  const rendered = await renderPage(document, page, OCR_DPI);
  return readPageByOcrImage({ width: rendered.width, height: rendered.height, data: rendered.rgba() }, readText);
}

/** A rendered page (RGBA) read by OCR, its lines as runs with boxes in fractions of the page. */
export async function readPageByOcrImage(image: { width: number; height: number; data: Uint8Array }, readText: ReadImageText): Promise<TextRun[]> {
  const lines = await readText({ ...image, channels: 4 });
  return lines.map((line) => ({
    text: line.text,
    box: { x: line.box.x / image.width, y: line.box.y / image.height, width: line.box.width / image.width, height: line.box.height / image.height },
  }));
}

/**
 * Where each kind of identifier is written among a page's runs. The runs' text is matched as
 * one normalized string (an identifier may span runs: "Wang," and "Xiaoming"); each match maps
 * back to the runs it covers and, within a run, to the share of its width the matched characters
 * take (a guess: glyphs differ in width), padded by two characters on either side: a box a little
 * too large hides the identifier, one a little too small does not.
 */
export function identityBoxes(runs: TextRun[], terms: { kind: IdentityKind; text: string }[]): Map<IdentityKind, PageBox[]> {
  let haystack = '';
  const origin: { run: number; char: number }[] = [];
  runs.forEach((run, index) => {
    [...run.text].forEach((char, offset) => {
      const normalized = normalize(char);
      haystack += normalized;
      for (let i = 0; i < normalized.length; i++) origin.push({ run: index, char: offset });
    });
  });
  const found = new Map<IdentityKind, PageBox[]>();
  for (const term of terms) {
    for (let at = haystack.indexOf(term.text); at >= 0; at = haystack.indexOf(term.text, at + 1)) {
      const covered = new Map<number, { first: number; last: number }>();
      for (const { run, char } of origin.slice(at, at + term.text.length)) {
        const span = covered.get(run);
        covered.set(run, span ? { first: Math.min(span.first, char), last: Math.max(span.last, char) } : { first: char, last: char });
      }
      const boxes = found.get(term.kind) ?? [];
      for (const [index, span] of covered) boxes.push(spanBox(runs[index]!, span.first, span.last));
      found.set(term.kind, boxes);
    }
  }
  return found;
}

function spanBox(run: TextRun, first: number, last: number): PageBox {
  const length = [...run.text].length;
  const charWidth = run.box.width / Math.max(length, 1);
  const x = run.box.x + Math.max(first - 2, 0) * charWidth;
  const right = run.box.x + Math.min(last + 3, length) * charWidth;
  const pad = run.box.height * 0.15;
  return clampBox({ x, y: run.box.y - pad, width: right - x, height: run.box.height + 2 * pad });
}

function clampBox(box: PageBox): PageBox {
  const x = Math.max(0, box.x);
  const y = Math.max(0, box.y);
  return { x, y, width: Math.min(1, box.x + box.width) - x, height: Math.min(1, box.y + box.height) - y };
}

/** Which kinds of the patient's identifiers a piece of text names (a message, a note); none is an empty list. */
export function identityIn(text: string, known: KnownIdentity[]): IdentityKind[] {
  const haystack = normalize(text);
  return [...new Set(identityTerms(known).filter((term) => haystack.includes(term.text)).map((term) => term.kind))];
}

/** Every identity a consult's studies arrived with, unsealed from the vault (the sending hospital's own). */
export async function consultIdentities(repos: Repositories, vault: Vault, tenantId: string, consultId: string): Promise<KnownIdentity[]> {
  const studies = await repos.studies.listStudies({ tenantId, studyIds: await repos.consults.studyIds(consultId) });
  const sealed = await vault.reveal(tenantId, 'study', studies.map((s) => s.study_uid));
  return [...sealed.values()].map((s) => ({ patient: s.patient, accessionNumber: s.accessionNumber }));
}

/** Case, width (NFKC), spaces and punctuation do not matter; letters, digits and CJK do. */
export function normalize(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/[\s\p{P}\p{S}^]+/gu, '');
}

/** The identifiers to look for, normalized; too short to mean anything alone (a 2-letter ID) is left out. */
export function identityTerms(known: KnownIdentity[]): { kind: IdentityKind; text: string }[] {
  const terms: { kind: IdentityKind; text: string }[] = [];
  const add = (kind: IdentityKind, value: string, minLength = 3) => {
    const text = normalize(value);
    if (text.length >= minLength && !terms.some((t) => t.kind === kind && t.text === text)) terms.push({ kind, text });
  };
  for (const { patient, accessionNumber } of known) {
    if (accessionNumber) add('accession', accessionNumber, 4);
    if (!patient) continue;
    add('id', patient.id);
    for (const group of patient.name.split('=')) {
      const [family = '', given = ''] = group.split('^').map((part) => part.trim());
      // Family name first (as DICOM, and Chinese, write it) and given name first (as a Western letter does).
      if (family && given) {
        add('name', family + given, 2);
        add('name', given + family, 2);
      } else if (family.length >= 2) add('name', family, 2);
    }
    // The whole address, and each comma-separated part long enough to name a place ("15 Xietu Road",
    // "上海市徐汇区斜土路15号"), since a letter rarely writes it exactly as the DICOM header does.
    if (patient.address) {
      add('address', patient.address, 6);
      for (const part of patient.address.split(/[,，;；^]/)) add('address', part, 8);
    }
    const date = /^(\d{4})(\d{2})(\d{2})$/.exec(patient.birthDate);
    if (date) {
      const [, y, m, d] = date as unknown as [string, string, string, string];
      for (const spelled of [`${y}${m}${d}`, `${d}${m}${y}`, `${m}${d}${y}`, `${y}年${Number(m)}月${Number(d)}日`, `${y}年${m}月${d}日`]) add('birthDate', spelled);
    }
  }
  return terms;
}
