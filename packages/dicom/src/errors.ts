/**
 * Why an instance was rejected. Each code names one failure precisely enough for the sender to
 * act on it; the server maps every code to an HTTP status in one place (see `httpStatus`).
 *
 * Messages built by this package name tags, keywords and numbers only, never attribute values,
 * because they end up in logs and in replies to the sending hospital.
 */
export const dicomErrorCodes = {
  NotDicom: { httpStatus: 415, meaning: 'The bytes are neither a DICOM Part 10 file nor a raw DICOM data set.' },
  MissingTransferSyntax: { httpStatus: 400, meaning: 'The file meta information has no Transfer Syntax UID (0002,0010).' },
  UnknownTransferSyntax: { httpStatus: 415, meaning: 'The Transfer Syntax UID is not one defined by PS3.6 Annex A.' },
  UnsupportedTransferSyntax: { httpStatus: 415, meaning: 'The transfer syntax is known but not accepted (retired JPEG processes, JPIP references, private syntaxes).' },
  Truncated: { httpStatus: 400, meaning: 'The data ends inside an element header or before a sequence, item or pixel data is closed.' },
  LengthPastEnd: { httpStatus: 400, meaning: 'A declared value, item or sequence length runs past the end of the data or of its enclosing item.' },
  InvalidStructure: { httpStatus: 400, meaning: 'The element stream is malformed (bad VR, misplaced delimiter or item, undefined length where none is allowed).' },
  DuplicateTag: { httpStatus: 400, meaning: 'The same tag occurs twice in one data set or item.' },
  NestingTooDeep: { httpStatus: 400, meaning: 'Sequences are nested deeper than the configured limit.' },
  TooManyElements: { httpStatus: 400, meaning: 'The instance holds more elements, items or fragments than the configured limit.' },
  InstanceTooLarge: { httpStatus: 413, meaning: 'The instance is larger than the configured limit.' },
  DecompressionBomb: { httpStatus: 413, meaning: 'Inflating the deflated data set, or decoding the compressed frames, would exceed the configured size or ratio.' },
  InvalidUid: { httpStatus: 400, meaning: 'A UID that identifies the instance or is kept in the output does not conform to PS3.5 9.1.' },
  MissingRequiredUid: { httpStatus: 400, meaning: 'SOP Class, SOP Instance, Study Instance or Series Instance UID is absent or empty.' },
  MissingPixelData: { httpStatus: 400, meaning: 'An image storage SOP class without Pixel Data: the instance is incomplete (often a file cut short).' },
  ImpossiblePixelGeometry: { httpStatus: 400, meaning: 'Rows, Columns, samples, bits or frames are invalid or disagree with the pixel data length.' },
  CorruptPixelData: { httpStatus: 400, meaning: 'The first compressed frame is not a codestream of the declared transfer syntax or disagrees with Rows and Columns.' },
  InvalidValue: { httpStatus: 400, meaning: 'A value breaks its VR rules (length, format) where it matters for safe processing.' },
  UnsupportedCharacterSet: { httpStatus: 415, meaning: 'Specific Character Set (0008,0005) names a character set that cannot be decoded.' },
} as const satisfies Record<string, { httpStatus: number; meaning: string }>;

export type DicomErrorCode = keyof typeof dicomErrorCodes;

/** Where in the data set the problem was found, for diagnostics (no values). */
export interface DicomErrorDetails {
  /** Tag as `(gggg,eeee)`; path of enclosing sequences as `(gggg,eeee)[i]>(gggg,eeee)`. */
  readonly tag?: string;
  /** Byte offset in the (inflated) data set where the problem was found. */
  readonly offset?: number;
}

/**
 * The one error type thrown by parsing, validation, writing and anonymization when the input is
 * at fault. Programming errors (a misbehaving pseudonym store, a bad argument) are plain `Error`s.
 */
export class DicomError extends Error {
  override readonly name = 'DicomError';
  readonly code: DicomErrorCode;
  readonly details: DicomErrorDetails;

  constructor(code: DicomErrorCode, message: string, details: DicomErrorDetails = {}, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.code = code;
    this.details = details;
  }
}

export function isDicomError(error: unknown): error is DicomError {
  return error instanceof DicomError;
}
