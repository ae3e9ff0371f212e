import { computeAssessment } from './assessment.js';
import { addendumBytes, canonicalBytes } from './canonical.js';
import { REPORT_SCHEMA_VERSION, type Addendum, type BoardConsensus, type ReportDocument, type SecondOpinion, type Signature, type Signer } from './document.js';
import { ReportError } from './errors.js';
import { isCompleteText, type LocalizedText, type ReportLanguage } from './language.js';
import { getTemplate } from './templates/index.js';
import type { TemplateId } from './templates/template.js';
import { validateReport } from './validate.js';

/**
 * Computes the lowercase hex SHA-256 of bytes. Injected so that this package stays free of
 * runtime APIs: the server passes Node's `crypto`, a browser `crypto.subtle.digest`.
 */
export type ContentHasher = (bytes: Uint8Array) => Promise<string>;

/** A new draft with no content. `id` is a UUID chosen by the caller; `now` is the caller's clock. */
export function createReport(init: {
  id: string;
  templateId: TemplateId;
  templateVersion: number;
  language: ReportLanguage;
  studyInstanceUid: string;
  now: Date;
}): ReportDocument {
  const template = getTemplate(init.templateId, init.templateVersion);
  const at = init.now.toISOString();
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    id: init.id,
    version: 1,
    template: { id: template.id, version: template.version },
    language: init.language,
    study: { studyInstanceUid: init.studyInstanceUid },
    values: {},
    findings: [],
    measurements: [],
    keyImages: [],
    ...(template.structured === 'nodules' ? { nodules: [] } : {}),
    ...(template.structured === 'recist' ? { recist: { timepoint: 'baseline' as const, targetLesions: [], nonTargetLesions: [], newLesions: [], priorSumsMm: [] } } : {}),
    status: 'draft',
    signatures: [],
    addenda: [],
    secondOpinions: [],
    createdAt: at,
    updatedAt: at,
  };
}

/** The parts of a report the editor changes; each given part replaces the old one whole. */
export type ReportContentChanges = Partial<
  Pick<ReportDocument, 'language' | 'values' | 'findings' | 'measurements' | 'keyImages' | 'nodules' | 'recist'>
>;

/**
 * Changes the content of a draft or preliminary report. A final or amended report is locked
 * (`ReportLocked`): its content is signed and changes only by addendum. Any frozen assessment
 * is dropped, since signing computes it again from the new content.
 */
export function updateReport(doc: ReportDocument, changes: ReportContentChanges, now: Date): ReportDocument {
  if (doc.status === 'final' || doc.status === 'amended') {
    throw new ReportError('ReportLocked', `a ${doc.status} report cannot be edited; add an addendum`);
  }
  const { assessment: _dropped, ...rest } = doc;
  return { ...rest, ...changes, version: doc.version + 1, updatedAt: now.toISOString() };
}

/**
 * Signs a report as preliminary or final (the state machine: draft → preliminary → final, or
 * draft → final; a preliminary report may be signed preliminary again after edits). Only a
 * licensed signer signs, and only a document that validates against its template. Signing
 * freezes the computed assessment and records who, when, and the SHA-256 of the canonical
 * content. The server must also check that the signer is a specialist of the reading centre
 * that holds the consult.
 */
export async function signReport(
  doc: ReportDocument,
  signer: Signer,
  now: Date,
  hash: ContentHasher,
  kind: Signature['kind'] = 'final',
): Promise<ReportDocument> {
  if (doc.status === 'final' || doc.status === 'amended') {
    throw new ReportError('InvalidTransition', `a ${doc.status} report is already signed; add an addendum`);
  }
  if (!signer.licensed) throw new ReportError('SignerNotLicensed', 'only a licensed specialist signs reports');
  const template = getTemplate(doc.template.id, doc.template.version);
  const { assessment: _previous, ...content } = doc;
  const assessment = computeAssessment(doc, template);
  const frozen: ReportDocument = assessment ? { ...content, assessment } : content;
  const validation = validateReport(frozen, template);
  if (!validation.ok) throw new ReportError('ReportIncomplete', 'the report is not complete', validation.errors);
  const signedAt = now.toISOString();
  const signature: Signature = { kind, signer, signedAt, contentHash: await hash(canonicalBytes(frozen)) };
  return { ...frozen, status: kind, version: doc.version + 1, updatedAt: signedAt, signatures: [...doc.signatures, signature] };
}

/**
 * Adds a signed addendum to a final (or already amended) report, which becomes `amended`. The
 * signed content is untouched; the addendum's hash chains its text to the final signature's.
 */
export async function addAddendum(
  doc: ReportDocument,
  addendum: { id: string; text: LocalizedText },
  signer: Signer,
  now: Date,
  hash: ContentHasher,
): Promise<ReportDocument> {
  const final = finalSignature(doc);
  if (!final || (doc.status !== 'final' && doc.status !== 'amended')) {
    throw new ReportError('InvalidTransition', `an addendum needs a final report, not a ${doc.status} one`);
  }
  if (!signer.licensed) throw new ReportError('SignerNotLicensed', 'only a licensed specialist signs addenda');
  if (!isCompleteText(addendum.text, doc.language)) {
    throw new ReportError('ReportIncomplete', 'the addendum needs text in every language of the report', [{ path: 'text', code: 'Required' }]);
  }
  const signedAt = now.toISOString();
  const signed: Addendum = {
    id: addendum.id,
    text: addendum.text,
    signer,
    signedAt,
    contentHash: await hash(addendumBytes(final.contentHash, addendum)),
  };
  return { ...doc, status: 'amended', version: doc.version + 1, updatedAt: signedAt, addenda: [...doc.addenda, signed] };
}

/**
 * Records a second reader's agreement or dissent (second opinion or tumour board) on a signed
 * report. It sits beside the signed content and does not change it or the status.
 */
export function recordSecondOpinion(
  doc: ReportDocument,
  opinion: Omit<SecondOpinion, 'recordedAt'>,
  now: Date,
): ReportDocument {
  if (doc.status === 'draft') throw new ReportError('InvalidTransition', 'a second opinion is given on a signed report');
  if (!opinion.reader.licensed) throw new ReportError('SignerNotLicensed', 'only a licensed specialist gives a second opinion');
  if (doc.signatures.some((s) => s.signer.userId === opinion.reader.userId)) {
    throw new ReportError('SelfReview', 'the second reader must not be a signer of the report');
  }
  const recordedAt = now.toISOString();
  return {
    ...doc,
    version: doc.version + 1,
    updatedAt: recordedAt,
    secondOpinions: [...doc.secondOpinions, { ...opinion, recordedAt }],
  };
}

/**
 * Records a tumour board's signed consensus on a signed report. Like a second opinion it sits
 * beside the signed content and changes neither the content nor the status; one per session.
 */
export function recordBoardConsensus(doc: ReportDocument, consensus: BoardConsensus): ReportDocument {
  if (doc.status === 'draft') throw new ReportError('InvalidTransition', 'a tumour board consensus is recorded on a signed report');
  if (!consensus.signer.licensed) throw new ReportError('SignerNotLicensed', 'only a licensed specialist signs a tumour board consensus');
  const earlier = doc.boardConsensus ?? [];
  if (earlier.some((c) => c.sessionId === consensus.sessionId)) throw new ReportError('InvalidTransition', 'this session already recorded its consensus on the report');
  return { ...doc, version: doc.version + 1, updatedAt: consensus.signedAt, boardConsensus: [...earlier, consensus] };
}

/** The signature that made the report final, if it is final or amended. */
export function finalSignature(doc: ReportDocument): Signature | undefined {
  return doc.signatures.findLast((s) => s.kind === 'final');
}

/** The most recent signature of any kind. */
export function latestSignature(doc: ReportDocument): Signature | undefined {
  return doc.signatures.at(-1);
}

/** Whether the document's current content is the content `signature` signed. */
export async function verifySignature(doc: ReportDocument, signature: Signature, hash: ContentHasher): Promise<boolean> {
  return (await hash(canonicalBytes(doc))) === signature.contentHash;
}

/** Whether an addendum's text is the one signed and is chained to the report's final signature. */
export async function verifyAddendum(doc: ReportDocument, addendum: Addendum, hash: ContentHasher): Promise<boolean> {
  const final = finalSignature(doc);
  return final !== undefined && (await hash(addendumBytes(final.contentHash, addendum))) === addendum.contentHash;
}
