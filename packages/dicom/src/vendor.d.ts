/** dicom-character-set 1.0.5 ships no type declarations; this is the part of its API used here. */
declare module 'dicom-character-set' {
  export function convertBytes(specificCharacterSet: string | undefined, bytes: Uint8Array, options?: { vr?: string }): string;
}
