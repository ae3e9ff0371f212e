/**
 * Action codes of PS3.15 Table E.1-1a. `X/Z/U*` is "X unless Z or replacement of contained
 * instance UIDs (U) is required to maintain IOD conformance".
 */
export type ProfileAction = 'X' | 'Z' | 'D' | 'K' | 'C' | 'U' | 'Z/D' | 'X/Z' | 'X/D' | 'X/Z/D' | 'X/Z/U*';

/** Actions an option column of Table E.1-1 can name. */
export type ProfileOptionAction = 'K' | 'C';

/**
 * Option columns of Table E.1-1 (PS3.15 E.3). Clean Pixel Data (E.3.1) and Clean Recognizable
 * Visual Features (E.3.2) have no column: they need a human (see `needsPixelReview`).
 */
export type ProfileOptionKey =
  | 'retainSafePrivate'
  | 'retainUIDs'
  | 'retainDeviceIdentity'
  | 'retainInstitutionIdentity'
  | 'retainPatientCharacteristics'
  | 'retainLongitudinalFullDates'
  | 'retainLongitudinalModifiedDates'
  | 'cleanDescriptors'
  | 'cleanStructuredContent'
  | 'cleanGraphics';
