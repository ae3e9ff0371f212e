import { dicomJsonTags } from '@yunzhen/dicom';

/**
 * Building blocks of the DICOM JSON model (PS3.18 Annex F): attributes keyed by 8-digit
 * uppercase hex tags, each `{ vr, Value? }`.
 */
export type DicomJsonValue = string | number | { Alphabetic?: string } | DicomJsonDataset;
export interface DicomJsonAttribute {
  vr: string;
  Value?: DicomJsonValue[];
  BulkDataURI?: string;
  InlineBinary?: string;
}
export type DicomJsonDataset = Record<string, DicomJsonAttribute>;

/** An attribute with the given values; empty or null values leave it without `Value` (PS3.18 F.2.5). */
export function attr(vr: string, ...values: (DicomJsonValue | null | undefined)[]): DicomJsonAttribute {
  const present = values.filter((v): v is DicomJsonValue => v !== null && v !== undefined && v !== '');
  return present.length ? { vr, Value: present } : { vr };
}

export function personName(value: string | null | undefined): DicomJsonAttribute {
  return value ? { vr: 'PN', Value: [{ Alphabetic: value }] } : { vr: 'PN' };
}

export function sequence(items: DicomJsonDataset[]): DicomJsonAttribute {
  return items.length ? { vr: 'SQ', Value: items } : { vr: 'SQ' };
}

/**
 * Tags used by the DICOMweb routes, by keyword, and our private block "YUNZHEN" (0009,0010):
 * (0009,1001) our reason code beside the numeric FailureReason; (0009,1002) in a STOW-RS
 * answer's ReferencedSOPSequence item, the SOP Instance UID the client sent for the instance
 * stored under ReferencedSOPInstanceUID (de-identification replaces UIDs).
 */
export const T = { ...dicomJsonTags, PrivateCreator: '00090010', ReasonCode: '00091001', SentSOPInstanceUID: '00091002' } as const;

export const PRIVATE_CREATOR = 'YUNZHEN';
