import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

import type { Repositories } from '@yunzhen/db';

import type { PatientRecord, Vault } from '../vault/vault.js';

/** Pages read from one document: a referral runs to a few, a discharge summary to tens. */
const MAX_PAGES = 100;

export type IdentityKind = 'name' | 'id' | 'birthDate' | 'accession';

/** Where a document names the patient: the kind of identifier and the page, never the text found. */
export interface IdentityFinding {
  kind: IdentityKind;
  page: number;
}

export interface DocumentCheck {
  pages: number;
  /** Pages with a text layer. A scanned page has none: nothing here can read it, a person must. */
  textPages: number;
  findings: IdentityFinding[];
}

/** What the patient is known by, from the sealed originals of the consult's studies. */
export interface KnownIdentity {
  patient?: PatientRecord;
  accessionNumber?: string;
}

/**
 * Reads a PDF's text layer page by page with pdf.js (Mozilla's PDF engine; a PDF's text sits in
 * compressed content streams with font-specific encodings, nothing to parse by hand) and finds
 * the patient's identifiers in it. Matching ignores case, spaces and punctuation, so "WANG
 * Xiaoming", "Wang, Xiaoming" and "王 小明" all match, and a date matches in its usual spellings.
 */
export async function checkDocument(bytes: Uint8Array, known: KnownIdentity[]): Promise<DocumentCheck> {
  const pdfjs = await loadPdfJs();
  // A copy, as a plain Uint8Array (pdf.js refuses Node Buffers and takes ownership of what it gets).
  const document = await pdfjs.getDocument({ data: new Uint8Array(bytes), isEvalSupported: false, disableFontFace: true, verbosity: 0 }).promise;
  try {
    const terms = identityTerms(known);
    const findings: IdentityFinding[] = [];
    let textPages = 0;
    const pages = Math.min(document.numPages, MAX_PAGES);
    for (let number = 1; number <= pages; number++) {
      const page = await document.getPage(number);
      const content = await page.getTextContent();
      const text = content.items.map((item) => ('str' in item ? item.str : '')).join(' ');
      if (text.trim()) textPages++;
      const haystack = normalize(text);
      const kinds = new Set(terms.filter((term) => haystack.includes(term.text)).map((term) => term.kind));
      for (const kind of kinds) findings.push({ kind, page: number });
      page.cleanup();
    }
    return { pages: document.numPages, textPages, findings };
  } finally {
    await document.destroy();
  }
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

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');
let pdfjsModule: Promise<PdfJs> | undefined;

/** The Node ("legacy") build; without a worker thread it runs its parser in this thread, on the document's bytes only. */
function loadPdfJs(): Promise<PdfJs> {
  pdfjsModule ??= import('pdfjs-dist/legacy/build/pdf.mjs').then((pdfjs) => {
    pdfjs.GlobalWorkerOptions.workerSrc = pathToFileURL(createRequire(import.meta.url).resolve('pdfjs-dist/legacy/build/pdf.worker.mjs')).href;
    return pdfjs;
  });
  return pdfjsModule;
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
    const date = /^(\d{4})(\d{2})(\d{2})$/.exec(patient.birthDate);
    if (date) {
      const [, y, m, d] = date as unknown as [string, string, string, string];
      for (const spelled of [`${y}${m}${d}`, `${d}${m}${y}`, `${m}${d}${y}`, `${y}年${Number(m)}月${Number(d)}日`, `${y}年${m}月${d}日`]) add('birthDate', spelled);
    }
  }
  return terms;
}
