/**
 * Tags are unsigned 32-bit numbers, group in the high half (`0x00100010` is Patient's Name).
 * Numbers compare in the order PS3.5 7.1 requires for elements in a data set.
 */
export type Tag = number;

export function tagOf(group: number, element: number): Tag {
  return ((group << 16) | element) >>> 0;
}

export function groupOf(tag: Tag): number {
  return tag >>> 16;
}

export function elementOf(tag: Tag): number {
  return tag & 0xffff;
}

const hex4 = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');

/** `(0010,0010)` form used in messages and documentation. */
export function formatTag(tag: Tag): string {
  return `(${hex4(groupOf(tag))},${hex4(elementOf(tag))})`;
}

/** Private data elements live in odd groups (PS3.5 7.8.1). */
/** Overlay (60xx) and curve (50xx) repeating groups: even groups 6000–601E and 5000–501E (PS3.5 7.6). */
export const isOverlayGroup = (group: number) => group >= 0x6000 && group <= 0x601e && (group & 1) === 0;
export const isCurveGroup = (group: number) => group >= 0x5000 && group <= 0x501e && (group & 1) === 0;

export function isPrivateTag(tag: Tag): boolean {
  return (groupOf(tag) & 1) === 1;
}

/** Private Creator Data Elements are (gggg,0010-00FF) in an odd group (PS3.5 7.8.1). */
export function isPrivateCreatorTag(tag: Tag): boolean {
  const element = elementOf(tag);
  return isPrivateTag(tag) && element >= 0x0010 && element <= 0x00ff;
}

/** Group Length elements (gggg,0000), retired outside group 0002 (PS3.5 7.2). */
export function isGroupLengthTag(tag: Tag): boolean {
  return elementOf(tag) === 0;
}

/** Standard attribute tags referred to by keyword, here and by the DICOMweb server and viewer. */
export const Tags = {
  FileMetaInformationGroupLength: 0x00020000,
  FileMetaInformationVersion: 0x00020001,
  MediaStorageSOPClassUID: 0x00020002,
  MediaStorageSOPInstanceUID: 0x00020003,
  TransferSyntaxUID: 0x00020010,
  ImplementationClassUID: 0x00020012,
  ImplementationVersionName: 0x00020013,

  SpecificCharacterSet: 0x00080005,
  ImageType: 0x00080008,
  SOPClassUID: 0x00080016,
  SOPInstanceUID: 0x00080018,
  StudyDate: 0x00080020,
  SeriesDate: 0x00080021,
  AcquisitionDate: 0x00080022,
  ContentDate: 0x00080023,
  StudyTime: 0x00080030,
  ContentTime: 0x00080033,
  AccessionNumber: 0x00080050,
  Modality: 0x00080060,
  ModalitiesInStudy: 0x00080061,
  InstitutionName: 0x00080080,
  CodeValue: 0x00080100,
  CodingSchemeDesignator: 0x00080102,
  CodeMeaning: 0x00080104,
  LongCodeValue: 0x00080119,
  URNCodeValue: 0x00080120,
  StudyDescription: 0x00081030,
  SeriesDescription: 0x0008103e,
  ReferencedSeriesSequence: 0x00081115,
  ReferencedSOPClassUID: 0x00081150,
  ReferencedSOPInstanceUID: 0x00081155,
  RetrieveURL: 0x00081190,
  WarningReason: 0x00081196,
  FailureReason: 0x00081197,
  FailedSOPSequence: 0x00081198,
  ReferencedSOPSequence: 0x00081199,

  PatientName: 0x00100010,
  PatientID: 0x00100020,
  IssuerOfPatientID: 0x00100021,
  PatientBirthDate: 0x00100030,
  PatientSex: 0x00100040,
  PatientAge: 0x00101010,
  PatientWeight: 0x00101030,
  PatientAddress: 0x00101040,

  PatientIdentityRemoved: 0x00120062,
  DeidentificationMethod: 0x00120063,
  DeidentificationMethodCodeSequence: 0x00120064,

  BodyPartExamined: 0x00180015,
  CineRate: 0x00180040,
  SliceThickness: 0x00180050,
  FrameTime: 0x00181063,
  ImagerPixelSpacing: 0x00181164,

  StudyInstanceUID: 0x0020000d,
  SeriesInstanceUID: 0x0020000e,
  StudyID: 0x00200010,
  SeriesNumber: 0x00200011,
  InstanceNumber: 0x00200013,
  ImagePositionPatient: 0x00200032,
  ImageOrientationPatient: 0x00200037,
  FrameOfReferenceUID: 0x00200052,
  SliceLocation: 0x00201041,
  NumberOfStudyRelatedSeries: 0x00201206,
  NumberOfStudyRelatedInstances: 0x00201208,
  NumberOfSeriesRelatedInstances: 0x00201209,

  SamplesPerPixel: 0x00280002,
  PhotometricInterpretation: 0x00280004,
  NumberOfFrames: 0x00280008,
  Rows: 0x00280010,
  Columns: 0x00280011,
  PixelSpacing: 0x00280030,
  BitsAllocated: 0x00280100,
  BurnedInAnnotation: 0x00280301,
  RecognizableVisualFeatures: 0x00280302,
  LongitudinalTemporalInformationModified: 0x00280303,
  PixelMeasuresSequence: 0x00289110,
  WindowCenter: 0x00281050,
  WindowWidth: 0x00281051,

  ValueType: 0x0040a040,
  ConceptNameCodeSequence: 0x0040a043,
  DateTime: 0x0040a120,
  Date: 0x0040a121,
  Time: 0x0040a122,
  PersonName: 0x0040a123,
  UID: 0x0040a124,
  TextValue: 0x0040a160,
  ContentTemplateSequence: 0x0040a504,
  ContentSequence: 0x0040a730,
  TemplateIdentifier: 0x0040db00,

  EncapsulatedDocument: 0x00420011,
  MIMETypeOfEncapsulatedDocument: 0x00420012,

  IconImageSequence: 0x00880200,

  EncryptedAttributesSequence: 0x04000500,
  OriginalAttributesSequence: 0x04000561,

  MACParametersSequence: 0x4ffe0001,

  SharedFunctionalGroupsSequence: 0x52009229,
  PerFrameFunctionalGroupsSequence: 0x52009230,

  FloatPixelData: 0x7fe00008,
  DoubleFloatPixelData: 0x7fe00009,
  PixelData: 0x7fe00010,

  DigitalSignaturesSequence: 0xfffafffa,

  DataSetTrailingPadding: 0xfffcfffc,

  Item: 0xfffee000,
  ItemDelimitationItem: 0xfffee00d,
  SequenceDelimitationItem: 0xfffee0dd,
} as const satisfies Record<string, Tag>;

