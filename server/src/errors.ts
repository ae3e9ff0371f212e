import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

import { isDatabaseUnavailable, isDiskFull } from '@yunzhen/db';
import { isReportError, reportErrorCodes } from '@yunzhen/report';
import { StorageError } from '@yunzhen/storage';

import type { AppEnv } from './app-env.js';

/**
 * Every error code the JSON API and DICOMweb answer with, and its HTTP status. Messages
 * name what went wrong, never patient data, passwords or tokens.
 */
export const errorStatus = {
  MalformedJson: 400,
  InvalidRequest: 400,
  RequestAborted: 400,
  InvalidKey: 400,
  IntegrityMismatch: 400,
  Unauthenticated: 401,
  InvalidCredentials: 401,
  CsrfTokenInvalid: 403,
  CrossOriginRequest: 403,
  Forbidden: 403,
  NotFound: 404,
  Conflict: 409,
  StudyInConsult: 409,
  ClaimedByOther: 409,
  ConsultClosed: 409,
  ConsultSpansPatients: 422,
  AttachmentNeedsReason: 422,
  UnreadableDocument: 422,
  RedactionIncomplete: 422,
  DocumentTooLong: 422,
  PatientUnidentified: 422,
  MessageNamesPatient: 422,
  BilingualRequired: 422,
  /** Tumour boards: a participant the consult access rules would not let see the cases. */
  BoardParticipantNotAllowed: 422,
  /** Tumour boards: a viewport from someone who no longer holds the pointer. */
  NotPresenter: 409,
  ReportNotSigned: 409,
  ConsensusSigned: 409,
  /** The consult is referred to another centre: the step asked for is not this side's, or not now. */
  ReferralPending: 409,
  /** No configured relationship lets this centre refer to that one. */
  ReferralNotAllowed: 422,
  NotAcceptable: 406,
  CorruptPixelData: 422,
  MaskOutOfBounds: 400,
  NotHeldForReview: 409,
  NotMaskable: 422,
  PayloadTooLarge: 413,
  /** Resumable uploads: too many open at once for this user. */
  UploadSessionLimit: 429,
  /** Completing an upload before every part was sent. */
  UploadIncomplete: 409,
  /** A part for an upload that is being completed, is done or failed. */
  UploadNotOpen: 409,
  PartOutOfRange: 400,
  PartSizeMismatch: 400,
  LengthRequired: 411,
  DigestRequired: 400,
  UnsupportedMediaType: 415,
  InvalidRange: 416,
  TooManyAttempts: 429,
  InternalError: 500,
  DatabaseUnavailable: 503,
  StorageUnavailable: 503,
  StorageFull: 503,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof errorStatus;

export class AppError extends Error {
  override readonly name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extra?: { retryAfterSeconds?: number; cause?: unknown; /** More for the client, e.g. where on a page; never patient data. */ details?: Record<string, unknown> },
  ) {
    super(message, { cause: extra?.cause });
  }
}

/** 404 with one body for "does not exist" and "not yours", so existence never leaks. */
export function notFound(what = 'resource'): AppError {
  return new AppError('NotFound', `${what} not found`);
}

const RETRY_AFTER_SECONDS = 5;
/** A full disk is not freed in seconds: clients (the uploader resumes) wait longer. */
const FULL_RETRY_AFTER_SECONDS = 60;

/** Maps any thrown error to `{ error: { code, message } }`; the one place errors become HTTP. */
export function toErrorResponse(error: unknown, c: Context<AppEnv>): Response {
  if (isReportError(error)) {
    // The report package owns its codes and their statuses (e.g. ReportIncomplete 422 with the issues).
    const status = reportErrorCodes[error.code].httpStatus as ContentfulStatusCode;
    return c.json({ error: { code: error.code, message: error.message.replace(/^\w+: /, ''), issues: error.issues } }, status);
  }
  if (clientWentAway(error, c)) {
    // Nobody reads this answer: the sender closed the tab or lost the link mid-upload. Not a server fault.
    c.var.logger?.info({ code: 'RequestAborted' }, 'client closed the request before it was answered');
    return c.json({ error: { code: 'RequestAborted', message: 'the client closed the request' } }, 400);
  }
  const appError = classify(error);
  const status = errorStatus[appError.code];
  if (status >= 500) {
    c.var.logger?.error({ err: describeForLog(error), code: appError.code }, 'request failed');
  }
  const retryAfter = appError.extra?.retryAfterSeconds ?? (status === 503 ? RETRY_AFTER_SECONDS : undefined);
  if (retryAfter !== undefined) c.header('Retry-After', String(retryAfter));
  return c.json({ error: { code: appError.code, message: appError.message, ...appError.extra?.details } }, status);
}

/**
 * The client closed the connection while its request was read: Node fails the body stream with
 * ECONNRESET "aborted" (a database connection reset says otherwise), and the request's signal aborts.
 */
function clientWentAway(error: unknown, c: Context<AppEnv>): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (code === 'ECONNRESET' && error.message === 'aborted') return true;
  return c.req.raw.signal.aborted && (error.name === 'AbortError' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET');
}

function classify(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof StorageError) {
    return new AppError(error.code, error.message, { cause: error, retryAfterSeconds: error.code === 'StorageFull' ? FULL_RETRY_AFTER_SECONDS : undefined });
  }
  // The database's disk (PostgreSQL 53100) or the upload spool's (ENOSPC): 503, never 500.
  if (isDiskFull(error)) return new AppError('StorageFull', 'the server is out of disk space, retry later', { retryAfterSeconds: FULL_RETRY_AFTER_SECONDS });
  if (isDatabaseUnavailable(error)) return new AppError('DatabaseUnavailable', 'the database is unavailable, retry later');
  return new AppError('InternalError', 'internal error');
}

/** Error name, code and stack only: driver messages can quote SQL parameters. */
export function describeForLog(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error };
  const code = (error as { code?: unknown }).code;
  // Frames only: a message can span several lines (a validation error listing the values it got).
  const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  return { name: error.name, code, stack: frames.slice(0, 7).join('\n') };
}
