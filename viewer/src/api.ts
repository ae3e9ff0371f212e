import { takeEarly } from './early-reads.js';

/** A failed API call, carrying the server's reason code (see server/src/errors.ts). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The parsed answer, for callers that read more than the code (e.g. a STOW-RS FailedSOPSequence). */
    readonly body: unknown = null,
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;

/** Remembers the session's CSRF token, sent on every state-changing request. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export function getCsrfToken(): string | null {
  return csrfToken;
}

const inFlight = new Set<Promise<unknown>>();
const beforeSignOut = new Set<() => Promise<void>>();

/** Work a page must finish while still signed in (a pending autosave); returns the unregister function. */
export function onBeforeSignOut(finish: () => Promise<void>): () => void {
  beforeSignOut.add(finish);
  return () => void beforeSignOut.delete(finish);
}

/**
 * Lets pending work end before the session does: registered saves are flushed and requests
 * already sent are answered (at most 1.5 s), so signing out neither loses the last
 * edit nor leaves a request to be refused as unauthenticated halfway.
 */
export async function settleBeforeSignOut(): Promise<void> {
  await Promise.allSettled([...beforeSignOut].map((finish) => finish()));
  await Promise.race([Promise.allSettled([...inFlight]), new Promise((resolve) => setTimeout(resolve, 1_500))]);
}

/**
 * Calls the API on our own origin and parses the JSON answer; throws `ApiError` for any non-2xx
 * answer. Bodies are sent as JSON unless they are a Blob (sent with `contentType`).
 */
export async function api<T>(path: string, init: { method?: string; body?: unknown; contentType?: string; accept?: string } = {}): Promise<T> {
  const method = init.method ?? 'GET';
  const headers: Record<string, string> = { Accept: init.accept ?? 'application/json' };
  const raw = init.body instanceof Blob;
  if (init.body !== undefined) headers['Content-Type'] = raw ? (init.contentType ?? 'application/octet-stream') : 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  const early = method === 'GET' ? takeEarly(path) : undefined;
  const request =
    early ??
    fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: init.body === undefined ? undefined : raw ? (init.body as Blob) : JSON.stringify(init.body),
    });
  inFlight.add(request);
  const response = await request.finally(() => inFlight.delete(request));
  if (response.status === 204) return undefined as T;
  const payload = await response.json().catch(() => null);
  if (!response.ok) {
    const error = (payload as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(response.status, error?.code ?? 'HttpError', error?.message ?? `HTTP ${response.status}`, payload);
  }
  return payload as T;
}

export type Role = 'radiographer' | 'specialist' | 'referring_doctor' | 'admin' | 'coordinator';

/** Roles that send studies: upload, inbox and consults (an international coordinator sends before the patient arrives). */
export const sendsStudies = (role: Role) => role === 'radiographer' || role === 'coordinator';

export interface Me {
  user: { id: string; email: string; displayName: string; role: Role; licensed: boolean };
  tenant: { id: string; name: string; kind: 'sending' | 'reading' | 'both' };
  csrfToken: string | null;
  readingCentres: { id: string; name: string }[];
}

export interface UserSummary {
  id: string;
  email: string;
  displayName: string;
  role: Role;
  licensed: boolean;
  disabled: boolean;
}

export interface RealIdentity {
  name: string;
  id: string;
  birthDate: string;
  accessionNumber: string;
  studyInstanceUid: string;
  /** The Patient ID was first seen with another name or birth date. */
  identityConflict?: boolean;
}

export interface StudySummary {
  id: string;
  studyInstanceUid: string;
  studyDate: string | null;
  description: string | null;
  modalities: string[];
  seriesCount: number;
  instanceCount: number;
  /** Instances with pixels: not the SRs and documents stored in the study. */
  imageCount: number;
  pendingReviewCount?: number;
  /** Images still being OCR'd for burned-in text (own studies only). */
  scanningCount?: number;
  /** For the reading centre: images of the study it does not have yet (held for review or being checked for burned-in text). */
  withheldCount?: number;
  uploadedAt: string;
  patient: { pseudonymId: string; pseudonymName: string; sex: string | null; age: string | null };
  /** Present only for the hospital that sent the study. */
  identity?: RealIdentity;
  /** The open consult this study is part of, if any. */
  consultId?: string | null;
}

export type ConsultStatus = 'new' | 'in_progress' | 'reported' | 'cancelled';
export type Priority = 'routine' | 'urgent' | 'stat';

export interface ConsultSummary {
  id: string;
  status: ConsultStatus;
  priority: Priority;
  clinicalQuestion: string;
  clinicalHistory: string | null;
  /** An international patient's consult before arrival. */
  preArrival?: { patientLanguage: 'zh-CN' | 'en'; arrivalDate: string | null } | null;
  sendingHospital: { id: string; name: string };
  readingCentre: { id: string; name: string };
  createdAt: string;
  dueAt: string;
  overdue: boolean;
  studies: StudySummary[];
  /** The specialist working on it (reading centre worklist), or null. */
  claimedBy?: { id: string; displayName: string } | null;
  waitingMinutes?: number;
  /** Union over the consult's studies. */
  modalities?: string[];
  bodyParts?: string[];
  attachments?: Attachment[];
  reportStatus?: 'draft' | 'preliminary' | 'final' | 'amended' | null;
  /** Messages from the other side this user has not read. */
  unreadMessages?: number;
  /** The consult's latest referral to another centre (`GET /api/consults/{id}/referral` has the detail). */
  referral?: { status: string; fromCentre: { id: string; name: string }; toCentre: { id: string; name: string } } | null;
  /** When each step of the consult happened (ISO instants), for turnaround. */
  turnaround?: {
    uploadedAt: string | null;
    createdAt: string;
    claimedAt: string | null;
    preliminaryAt: string | null;
    signedAt: string | null;
    acknowledgedAt: string | null;
  };
}

/** A mask box the pixel scan proposes, in image pixels: OCR'd text (identity kinds when it names the patient) or a modality template. */
export interface TextProposal {
  x: number;
  y: number;
  width: number;
  height: number;
  source: 'ocr' | 'template';
  identity: ('name' | 'id' | 'birthDate' | 'accession' | 'address')[];
  frames: number[];
}

export interface InstanceSummary {
  id: string;
  sopInstanceUid: string;
  seriesInstanceUid: string;
  modality: string | null;
  seriesNumber: number | null;
  seriesDescription: string | null;
  instanceNumber: number | null;
  /** 'scanning': waiting for the OCR scan for burned-in text; the reading centre cannot see it yet. */
  pixelReview: 'none' | 'scanning' | 'pending' | 'released' | 'removed';
  pixelReviewReasons: string[];
  /** The OCR scan (null: this image is not scanned) and the mask boxes it proposes. */
  pixelScan?: 'pending' | 'done' | 'failed' | null;
  textProposals?: TextProposal[];
  /** Image size (pixel masking applies one set of boxes to images of the same size). */
  rows?: number | null;
  columns?: number | null;
  numberOfFrames?: number | null;
}

/** Where a document names the patient, by kind and page (the sending hospital sees this; the reading centre does not). */
/** A place on a document page in fractions of its width and height, from the top left. */
export interface PageBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface IdentityFinding {
  kind: 'name' | 'id' | 'birthDate' | 'accession' | 'address';
  page: number;
  boxes: PageBox[];
  /** Found in the text layer, or by OCR of a scanned page. */
  read: 'text' | 'ocr';
}

export interface DocumentCheck {
  pages: number;
  textPages: number;
  /** Scanned pages read by OCR (absent in checks made before OCR). */
  ocrPages?: number;
  findings: IdentityFinding[];
}

export interface Attachment {
  id: string;
  label: string;
  mediaType: string;
  sizeBytes: number;
  /** The sending hospital only: `pending` until it releases the document to the reading centre. */
  review?: 'pending' | 'released';
  check?: DocumentCheck | null;
  /** The sending hospital only: the reading centre got a redacted copy (pages as pictures, boxes burned in). */
  redacted?: boolean;
}
