/** Value Representations of PS3.5 6.2, Table 6.2-1. */
export const allVrs = [
  'AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FD', 'FL', 'IS', 'LO', 'LT', 'OB', 'OD', 'OF', 'OL', 'OV',
  'OW', 'PN', 'SH', 'SL', 'SQ', 'SS', 'ST', 'SV', 'TM', 'UC', 'UI', 'UL', 'UN', 'UR', 'US', 'UT', 'UV',
] as const;

export type Vr = (typeof allVrs)[number];

const vrCodes = new Map<number, Vr>(allVrs.map((vr) => [(vr.charCodeAt(0) << 8) | vr.charCodeAt(1), vr]));

/** The VR spelled by two bytes of an explicit VR header, or undefined if they spell none. */
export function vrFromBytes(first: number, second: number): Vr | undefined {
  return vrCodes.get((first << 8) | second);
}

/**
 * VRs whose explicit VR header has two reserved bytes and a 32-bit length (PS3.5 7.1.2,
 * Table 7.1-1). dicom-parser 1.8.21 misses OV, SV and UV here and reads their lengths from the
 * reserved bytes, which is one reason this package walks elements itself.
 */
const longLengthVrs: ReadonlySet<Vr> = new Set<Vr>(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

export function hasLongLength(vr: Vr): boolean {
  return longLengthVrs.has(vr);
}

/** Character-string VRs, whose values are padded with a trailing space (UI: NUL). */
const stringVrs: ReadonlySet<Vr> = new Set<Vr>(['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'LO', 'LT', 'PN', 'SH', 'ST', 'TM', 'UC', 'UI', 'UR', 'UT']);

export function isStringVr(vr: Vr): boolean {
  return stringVrs.has(vr);
}

/** String VRs whose characters come from the Specific Character Set (PS3.5 6.1.2.3); the rest are ASCII. */
const textVrs: ReadonlySet<Vr> = new Set<Vr>(['LO', 'LT', 'PN', 'SH', 'ST', 'UC', 'UT']);

export function isTextVr(vr: Vr): boolean {
  return textVrs.has(vr);
}

/** String VRs whose values may hold several values separated by backslash (not LT, ST, UT, UR). */
export function isMultiValuedStringVr(vr: Vr): boolean {
  return isStringVr(vr) && vr !== 'LT' && vr !== 'ST' && vr !== 'UT' && vr !== 'UR';
}

/** Padding byte for odd-length values (PS3.5 6.2: UI and binary values pad with NUL, strings with space). */
export function paddingByte(vr: Vr): number {
  return isStringVr(vr) && vr !== 'UI' ? 0x20 : 0x00;
}

/**
 * Maximum bytes of one value for the VRs whose repertoire is ASCII, so bytes equal characters
 * (PS3.5 Table 6.2-1). DA and TM also allow the retired ACR-NEMA forms "yyyy.mm.dd" and
 * "hh:mm:ss.frac" that PS3.5 6.2 says may still be met in old instances (10 and 15 bytes).
 */
export const maxValueBytes: Partial<Record<Vr, number>> = {
  AE: 16, AS: 4, CS: 16, DA: 10, DS: 16, DT: 26, IS: 12, TM: 15, UI: 64,
};

/** Bytes per number for the binary numeric VRs. */
export const binaryValueSize: Partial<Record<Vr, number>> = {
  AT: 4, FD: 8, FL: 4, OD: 8, OF: 4, OL: 4, OV: 8, OW: 2, SL: 4, SS: 2, SV: 8, UL: 4, US: 2, UV: 8,
};
