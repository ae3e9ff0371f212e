import { characterSetOf, readText, type CharacterSet } from './charset.js';
import { findElement, getAsciiString, readAsciiString, readUint16Values, type DicomDataset } from './dataset.js';
import type { DicomFile } from './parse.js';
import { Tags, type Tag } from './tags.js';

/**
 * The attributes the server indexes and the upload page shows, decoded to JavaScript strings
 * (null when absent or empty). Read from the anonymized output they are the stored values; read
 * from an original (`scanDicom`) they are the sender's.
 */
export interface IndexAttributes {
  readonly StudyInstanceUID: string | null;
  readonly SeriesInstanceUID: string | null;
  readonly SOPInstanceUID: string | null;
  readonly SOPClassUID: string | null;
  readonly TransferSyntaxUID: string;
  readonly Modality: string | null;
  readonly PatientName: string | null;
  readonly PatientID: string | null;
  readonly PatientSex: string | null;
  readonly PatientAge: string | null;
  readonly PatientBirthDate: string | null;
  readonly PatientWeight: string | null;
  readonly StudyDate: string | null;
  readonly StudyTime: string | null;
  readonly AccessionNumber: string | null;
  readonly StudyDescription: string | null;
  readonly SeriesDescription: string | null;
  readonly SeriesNumber: number | null;
  readonly InstanceNumber: number | null;
  readonly BodyPartExamined: string | null;
  readonly Rows: number | null;
  readonly Columns: number | null;
  readonly NumberOfFrames: number | null;
  readonly BitsAllocated: number | null;
  readonly SpecificCharacterSet: string | null;
}

const orNull = (text: string | undefined) => (text === undefined || text === '' ? null : text);

function text(dataset: DicomDataset, tag: Tag, characterSet: CharacterSet): string | null {
  const element = findElement(dataset, tag);
  return element === undefined ? null : orNull(readText(dataset, element, characterSet).trim());
}

function integer(dataset: DicomDataset, tag: Tag): number | null {
  const value = getAsciiString(dataset, tag);
  if (value === undefined || !/^[+-]?\d+$/.test(value)) return null;
  return Number(value);
}

function unsignedShort(dataset: DicomDataset, tag: Tag): number | null {
  const element = findElement(dataset, tag);
  if (element === undefined) return null;
  return readUint16Values(dataset, element)[0] ?? null;
}

/** Reads the index attributes of a parsed instance. */
export function readIndexAttributes(file: DicomFile): IndexAttributes {
  const dataset = file.dataset;
  const characterSet = characterSetOf(dataset);
  const ascii = (tag: Tag) => orNull(getAsciiString(dataset, tag));
  const specificCharacterSet = findElement(dataset, Tags.SpecificCharacterSet);
  return {
    StudyInstanceUID: ascii(Tags.StudyInstanceUID),
    SeriesInstanceUID: ascii(Tags.SeriesInstanceUID),
    SOPInstanceUID: ascii(Tags.SOPInstanceUID),
    SOPClassUID: ascii(Tags.SOPClassUID),
    TransferSyntaxUID: file.transferSyntax.uid,
    Modality: ascii(Tags.Modality),
    PatientName: text(dataset, Tags.PatientName, characterSet),
    PatientID: text(dataset, Tags.PatientID, characterSet),
    PatientSex: ascii(Tags.PatientSex),
    PatientAge: ascii(Tags.PatientAge),
    PatientBirthDate: ascii(Tags.PatientBirthDate),
    PatientWeight: ascii(Tags.PatientWeight),
    StudyDate: ascii(Tags.StudyDate),
    StudyTime: ascii(Tags.StudyTime),
    AccessionNumber: text(dataset, Tags.AccessionNumber, characterSet),
    StudyDescription: text(dataset, Tags.StudyDescription, characterSet),
    SeriesDescription: text(dataset, Tags.SeriesDescription, characterSet),
    SeriesNumber: integer(dataset, Tags.SeriesNumber),
    InstanceNumber: integer(dataset, Tags.InstanceNumber),
    BodyPartExamined: ascii(Tags.BodyPartExamined),
    Rows: unsignedShort(dataset, Tags.Rows),
    Columns: unsignedShort(dataset, Tags.Columns),
    NumberOfFrames: integer(dataset, Tags.NumberOfFrames) ?? (findElement(dataset, Tags.PixelData) === undefined ? null : 1),
    BitsAllocated: unsignedShort(dataset, Tags.BitsAllocated),
    SpecificCharacterSet: specificCharacterSet === undefined ? null : orNull(readAsciiString(dataset, specificCharacterSet)),
  };
}
