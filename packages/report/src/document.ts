import type { LungNodule, LungRadsAssessment } from './assessments/lung-rads.js';
import type { RecistAssessment, RecistInput } from './assessments/recist.js';
import type { LocalizedText, ReportLanguage } from './language.js';
import type { ImageRef, Measurement } from './measurement.js';
import type { TemplateId } from './templates/template.js';

/** The version of the document shape below; bump it (and migrate stored documents) on any breaking change. */
export const REPORT_SCHEMA_VERSION = 1;

/**
 * Report workflow states: `draft` → `preliminary` → `final` → `amended`. A `draft` may also be
 * signed final directly. `amended` is reached only by a signed addendum to a final report.
 */
export type ReportStatus = 'draft' | 'preliminary' | 'final' | 'amended';

/**
 * A value of a template field: localized text for narrative fields, the option code for choice
 * fields, a number, or a flag.
 */
export type FieldValue = LocalizedText | string | number | boolean;

/** A finding in the findings list, with the measurements and key images inserted into it. */
export interface Finding {
  id: string;
  text: LocalizedText;
  measurementIds: string[];
  keyImageIds: string[];
}

/** An image the reader marked as key (the viewport captured); the pixels are stored by the server. */
export interface KeyImage {
  id: string;
  image: ImageRef;
  caption?: LocalizedText;
  measurementIds?: string[];
}

/** The person signing: the server fills it from the authenticated user. */
export interface Signer {
  userId: string;
  displayName: string;
  /** Holds a licence to report (执业资格); only licensed specialists of the reading centre sign. */
  licensed: boolean;
}

export interface Signature {
  /** What the signature made the report. */
  kind: 'preliminary' | 'final';
  signer: Signer;
  /** ISO 8601 instant. */
  signedAt: string;
  /** Lowercase hex SHA-256 of `canonicalBytes(document)` at signing. */
  contentHash: string;
}

/** Text added to a signed final report; the report content itself never changes after signing. */
export interface Addendum {
  id: string;
  text: LocalizedText;
  signer: Signer;
  signedAt: string;
  /** Lowercase hex SHA-256 of `addendumBytes(document, addendum)`: the addendum chained to the signed report. */
  contentHash: string;
}

/** A second reader's opinion (second opinion or tumour board), recorded beside the signed content. */
export interface SecondOpinion {
  id: string;
  kind: 'second-opinion' | 'tumour-board';
  reader: Signer;
  verdict: 'agree' | 'disagree' | 'partial';
  comment?: LocalizedText;
  recordedAt: string;
}

/**
 * A tumour board's consensus on the case, signed by the board's chair: when the board met, who
 * attended (participants who joined the session) and the recommendation. Recorded beside the
 * signed content, like a second opinion; the report content itself does not change.
 */
export interface BoardConsensus {
  /** The board session it was reached in. */
  sessionId: string;
  title: string;
  /** ISO 8601 instant the session was scheduled for. */
  meetingAt: string;
  attendance: { displayName: string; organization: string }[];
  recommendation: LocalizedText;
  signer: Signer;
  /** ISO 8601 instant the chair signed it. */
  signedAt: string;
}

/** Assessments computed from the structured inputs, frozen into the document when it is signed. */
export interface ReportAssessment {
  lungRads?: LungRadsAssessment;
  recist?: RecistAssessment;
}

/**
 * A structured report: plain JSON data, versioned by `schemaVersion`. Everything from `template`
 * to `assessment` is the signed content (see `canonicalContent`); status, signatures, addenda
 * and second opinions record what happened to it.
 */
export interface ReportDocument {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  id: string;
  /** Incremented by every change; the server keeps every version, so the history stays readable. */
  version: number;
  template: { id: TemplateId; version: number };
  language: ReportLanguage;
  /** The study reported, by the Study Instance UID the reading centre knows (a pseudonym). */
  study: { studyInstanceUid: string };
  /** Values of the template's fields, by field key. */
  values: Record<string, FieldValue>;
  findings: Finding[];
  measurements: Measurement[];
  keyImages: KeyImage[];
  /** `lung-nodule` template: the nodules Lung-RADS is computed from. */
  nodules?: LungNodule[];
  /** `recist` template: target, non-target and new lesions with the reference sums. */
  recist?: RecistInput;
  assessment?: ReportAssessment;
  status: ReportStatus;
  signatures: Signature[];
  addenda: Addendum[];
  secondOpinions: SecondOpinion[];
  /** Tumour board consensus recommendations (absent on reports from before tumour boards existed). */
  boardConsensus?: BoardConsensus[];
  createdAt: string;
  updatedAt: string;
}
