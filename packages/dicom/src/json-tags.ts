/**
 * Tag keys of the DICOM JSON model, for the DICOMweb server and the viewer. A module of its own:
 * with this table computed inside tags.ts, which nearly every module here imports, the
 * viewer's first bundle took in the dictionary and the parser as well (183 kB more).
 */
import { Tags, type Tag } from './tags.js';

/** A tag as the DICOM JSON model keys it (PS3.18 F.2): 8 uppercase hex digits, `00100010`. */
export function dicomJsonKey(tag: Tag): string {
  return tag.toString(16).toUpperCase().padStart(8, '0');
}

/** `Tags` as DICOM JSON keys, for code that reads or writes the JSON model. */
export const dicomJsonTags = Object.fromEntries(Object.entries(Tags).map(([keyword, tag]) => [keyword, dicomJsonKey(tag)])) as {
  readonly [K in keyof typeof Tags]: string;
};
