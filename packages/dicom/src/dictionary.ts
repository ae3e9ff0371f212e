import { dictionaryEntries, repeatingDictionaryEntries } from './generated/dictionary.js';
import { elementOf, groupOf, isPrivateCreatorTag, isPrivateTag, type Tag } from './tags.js';
import type { Vr } from './vr.js';

/** A PS3.6 data dictionary entry. */
export interface DictionaryEntry {
  readonly vr: Vr;
  readonly keyword: string;
}

interface RepeatingEntry extends DictionaryEntry {
  readonly mask: number;
  readonly value: number;
}

let exactEntries: Map<Tag, DictionaryEntry> | undefined;
let repeatingEntries: RepeatingEntry[] | undefined;

/** Built on first use rather than at import, so importing the package costs nothing. */
function loadDictionary(): Map<Tag, DictionaryEntry> {
  if (exactEntries !== undefined) return exactEntries;
  const entries = new Map<Tag, DictionaryEntry>();
  for (const line of dictionaryEntries.split('\n')) {
    entries.set(Number.parseInt(line.slice(0, 8), 16), { vr: line.slice(9, 11) as Vr, keyword: line.slice(12) });
  }
  repeatingEntries = repeatingDictionaryEntries.split('\n').map((line) => {
    let mask = 0;
    let value = 0;
    for (let i = 0; i < 8; i++) {
      const digit = line[i]!;
      mask = mask * 16 + (digit === 'x' ? 0 : 15);
      value = value * 16 + (digit === 'x' ? 0 : Number.parseInt(digit, 16));
    }
    return { mask, value, vr: line.slice(9, 11) as Vr, keyword: line.slice(12) };
  });
  exactEntries = entries;
  return entries;
}

/**
 * The dictionary entry of a standard tag, including repeating groups such as overlays (60xx) and
 * curves (50xx). Undefined for private tags and for tags this dictionary does not know.
 */
export function lookupTag(tag: Tag): DictionaryEntry | undefined {
  if (isPrivateTag(tag)) return undefined;
  const exact = loadDictionary().get(tag);
  if (exact !== undefined) return exact;
  if (elementOf(tag) === 0) return { vr: 'UL', keyword: 'GroupLength' };
  for (const entry of repeatingEntries!) {
    if ((((tag & entry.mask) >>> 0) === entry.value)) {
      // Repeating groups only use even groups within their range (PS3.5 7.6).
      if ((groupOf(tag) & 1) === 0) return entry;
    }
  }
  return undefined;
}

/**
 * The VR implicit VR transfer syntaxes imply for a tag (PS3.5 7.1.3): the dictionary VR, LO for
 * Private Creators, UL for group lengths and UN for anything else.
 */
export function implicitVrOf(tag: Tag): Vr {
  if (isPrivateCreatorTag(tag)) return 'LO';
  if (isPrivateTag(tag)) return elementOf(tag) === 0 ? 'UL' : 'UN';
  return lookupTag(tag)?.vr ?? 'UN';
}

/** Keyword for messages and debugging; `undefined` for private and unknown tags. */
export function keywordOf(tag: Tag): string | undefined {
  return lookupTag(tag)?.keyword;
}
