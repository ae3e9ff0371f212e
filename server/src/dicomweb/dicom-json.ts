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

/** Tags used by the DICOMweb routes, by keyword. */
export const T = {
  SpecificCharacterSet: '00080005',
  SOPClassUID: '00080016',
  SOPInstanceUID: '00080018',
  StudyDate: '00080020',
  StudyTime: '00080030',
  AccessionNumber: '00080050',
  Modality: '00080060',
  ModalitiesInStudy: '00080061',
  RetrieveURL: '00081190',
  FailedSOPSequence: '00081198',
  ReferencedSOPSequence: '00081199',
  ReferencedSOPClassUID: '00081150',
  ReferencedSOPInstanceUID: '00081155',
  FailureReason: '00081197',
  WarningReason: '00081196',
  StudyDescription: '00081030',
  SeriesDescription: '0008103E',
  PatientName: '00100010',
  PatientID: '00100020',
  PatientBirthDate: '00100030',
  PatientSex: '00100040',
  PatientAge: '00101010',
  BodyPartExamined: '00180015',
  StudyInstanceUID: '0020000D',
  SeriesInstanceUID: '0020000E',
  StudyID: '00200010',
  SeriesNumber: '00200011',
  InstanceNumber: '00200013',
  NumberOfStudyRelatedSeries: '00201206',
  NumberOfStudyRelatedInstances: '00201208',
  NumberOfSeriesRelatedInstances: '00201209',
  Rows: '00280010',
  Columns: '00280011',
  BitsAllocated: '00280100',
  NumberOfFrames: '00280008',
  // Private block "YUNZHEN" (0009,0010): our reason code beside the numeric FailureReason.
  PrivateCreator: '00090010',
  ReasonCode: '00091001',
} as const;

export const PRIVATE_CREATOR = 'YUNZHEN';
