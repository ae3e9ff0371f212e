import type { ValidationIssue } from './validate.js';

/**
 * Why a report operation was refused, with the HTTP status the server maps each code to.
 */
export const reportErrorCodes = {
  UnknownTemplate: { httpStatus: 400, meaning: 'The document names a template id and version that does not exist.' },
  UnsupportedSchemaVersion: { httpStatus: 400, meaning: 'The document was written in a schema version this code does not read.' },
  InvalidTransition: { httpStatus: 409, meaning: 'The workflow does not allow this step from the current status.' },
  ReportLocked: { httpStatus: 409, meaning: 'Signed final content never changes; add an addendum instead.' },
  SignerNotLicensed: { httpStatus: 403, meaning: 'Only a licensed specialist signs reports, addenda and second opinions.' },
  SelfReview: { httpStatus: 409, meaning: 'A second opinion must come from someone other than the signer of the report.' },
  ReportIncomplete: { httpStatus: 422, meaning: 'The document does not validate against its template; `issues` lists why.' },
} as const satisfies Record<string, { httpStatus: number; meaning: string }>;

export type ReportErrorCode = keyof typeof reportErrorCodes;

export class ReportError extends Error {
  override readonly name = 'ReportError';

  constructor(
    readonly code: ReportErrorCode,
    message: string,
    /** For `ReportIncomplete`: what validation found. */
    readonly issues: ValidationIssue[] = [],
  ) {
    super(`${code}: ${message}`);
  }
}

export function isReportError(error: unknown): error is ReportError {
  return error instanceof ReportError;
}
