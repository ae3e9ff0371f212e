/**
 * @yunzhen/dicom: parse, validate, de-identify (DICOM PS3.15 Annex E) and write DICOM.
 * Isomorphic: Uint8Array in and out, no Node or DOM imports; randomness comes in through the
 * pseudonym store. See README.md.
 */
export { anonymize, DERIVED_UID_PREFIX, type AnonymizationMapping, type AnonymizeDeps, type AnonymizeOptions, type AnonymizeResult } from './anonymize.js';
export { readIndexAttributes, type IndexAttributes } from './attributes.js';
export { characterSetOf, decodeText, parseCharacterSet, readText, type CharacterSet } from './charset.js';
export {
  findElement,
  getAsciiString,
  readAsciiString,
  readUint16Values,
  valueBytes,
  type ByteRange,
  type DatasetEncoding,
  type DicomDataset,
  type DicomElement,
} from './dataset.js';
export { keywordOf, lookupTag, type DictionaryEntry } from './dictionary.js';
export { DicomError, dicomErrorCodes, isDicomError, type DicomErrorCode, type DicomErrorDetails } from './errors.js';
export { defaultDicomLimits, type DicomLimits } from './limits.js';
export { parseDicom, parseDicomInflating, type DicomFile } from './parse.js';
export { inflateBudget, type Inflater } from './inflate.js';
export { displayName, personNameGroups, type PersonNameGroup } from './person-name.js';
export { pixelReviewReasonsOf, type PixelReviewReason } from './pixel-review.js';
export {
  basicProfile,
  deidentificationMethodCodes,
  methodCodesOf,
  profileEdition,
  remoteDiagnosisProfile,
  resolveConditional,
  type DeidentificationProfile,
  type ProfileAction,
  type ProfileOptionKey,
} from './profile.js';
export {
  createMemoryPseudonymStore,
  dateShiftFromBytes,
  patientKeyOf,
  pseudonymFromBytes,
  type MemoryPseudonymStoreDeps,
  type PatientIdentity,
  type PseudonymRequest,
  type PseudonymResponse,
  type PseudonymStore,
} from './pseudonym-store.js';
export { reasons, reasonWords, type ReasonLanguage } from './reason-words.js';
export { scanDicom, type ScanOptions, type ScanResult } from './scan.js';
export { dicomJsonKey, dicomJsonTags } from './json-tags.js';
export { formatTag, tagOf, Tags, type Tag } from './tags.js';
export { supportedTransferSyntaxes, type TransferSyntax } from './transfer-syntax.js';
export { implementationClassUid, implementationVersionName, isValidUid, uidFromBytes } from './uid.js';
export { archiveValidation, validateForIngest, type PixelGeometry, type ValidationLevel } from './validate.js';
export type { Vr } from './vr.js';
export { writeDicom, type WriteDataset, type WriteDicomInput, type WriteElement, type WriteValue } from './write.js';
