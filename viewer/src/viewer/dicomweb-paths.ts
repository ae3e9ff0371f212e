/**
 * DICOMweb paths on this page's own origin (PS3.18 10.4 and 10.6), built from UIDs that are
 * checked to be UIDs: the viewer never takes a data-source URL from the address bar or from data.
 * Kept free of Cornerstone so the first bundle can start reads before the reading page loads.
 */
const UID = /^[0-9]+(\.[0-9]+)*$/;

function checkUid(uid: string): string {
  if (!UID.test(uid) || uid.length > 64) throw new Error('not a DICOM UID');
  return uid;
}

export const dicomweb = {
  series: (study: string) => `/dicomweb/studies/${checkUid(study)}/series?includefield=all`,
  seriesMetadata: (study: string, series: string) => `/dicomweb/studies/${checkUid(study)}/series/${checkUid(series)}/metadata`,
  instance: (study: string, series: string, sop: string) => `/dicomweb/studies/${checkUid(study)}/series/${checkUid(series)}/instances/${checkUid(sop)}`,
  rendered: (study: string, series: string, sop: string) => `${dicomweb.instance(study, series, sop)}/rendered`,
  store: (study: string) => `/dicomweb/studies/${checkUid(study)}`,
};

export const DICOM_JSON = 'application/dicom+json';

/** A STOW-RS request body with one instance (PS3.18 10.5), and its Content-Type. */
export function stowRequest(instance: BlobPart): { body: Blob; contentType: string } {
  const boundary = `yunzhen-${crypto.randomUUID()}`;
  return {
    body: new Blob([`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`, instance, `\r\n--${boundary}--\r\n`]),
    contentType: `multipart/related; type="application/dicom"; boundary=${boundary}`,
  };
}

/** Yunzhen's reason code for a refused instance: (0009,1001) in the first FailedSOPSequence item of a STOW-RS answer. */
export function stowFailureCode(answer: unknown): string | undefined {
  const failed = (answer as Record<string, { Value?: Record<string, { Value?: unknown[] }>[] }> | null)?.['00081198']?.Value?.[0];
  const code = failed?.['00091001']?.Value?.[0];
  return typeof code === 'string' && code ? code : undefined;
}

/** A measurement report that was not stored, with the server's reason code (or `Empty`). */
export class SrStoreError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}
