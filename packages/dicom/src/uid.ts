/**
 * A UID as PS3.5 9.1 defines it: at most 64 characters, components of digits separated by
 * periods, no component empty or with a leading zero (except "0" itself), at least two
 * components.
 */
export function isValidUid(uid: string): boolean {
  if (uid.length === 0 || uid.length > 64) return false;
  let components = 1;
  let componentStart = 0;
  for (let i = 0; i <= uid.length; i++) {
    const code = i < uid.length ? uid.charCodeAt(i) : 0x2e;
    if (code === 0x2e) {
      const componentLength = i - componentStart;
      if (componentLength === 0) return false;
      if (componentLength > 1 && uid.charCodeAt(componentStart) === 0x30) return false;
      if (i < uid.length) components++;
      componentStart = i + 1;
    } else if (code < 0x30 || code > 0x39) {
      return false;
    }
  }
  return components >= 2;
}

/**
 * A UID under the `2.25` arc from 16 bytes (PS3.5 B.2, ISO/IEC 9834-8): the bytes become a
 * version 4 / RFC 4122 variant UUID, written as one unsigned decimal integer. Feed it random
 * bytes for fresh UIDs, or an HMAC of the original UID for deterministic pseudonyms.
 */
export function uidFromBytes(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new TypeError('uidFromBytes needs exactly 16 bytes');
  let value = 0n;
  for (let i = 0; i < 16; i++) {
    let byte = bytes[i]!;
    if (i === 6) byte = (byte & 0x0f) | 0x40;
    if (i === 8) byte = (byte & 0x3f) | 0x80;
    value = (value << 8n) | BigInt(byte);
  }
  return `2.25.${value.toString(10)}`;
}

/**
 * This application's Implementation Class UID (PS3.7 D.3.3.2), written into the file meta of
 * every object it writes. A 2.25 UID because the project has no registered root.
 */
export const implementationClassUid = '2.25.297676221912646936638890125567406280630';

/** Implementation Version Name (0002,0013), at most 16 characters. */
export const implementationVersionName = 'YUNZHEN_DICOM_1';
