/**
 * "Clean" (PS3.15 E.1-1 action C) for free text such as Study Description: the standard asks for
 * "values of similar meaning known not to contain identifying information". Rewriting text is not
 * something a program can do safely in every character set, so the rule here is per value: a
 * value is kept unchanged when it is known clean, otherwise it is emptied. A value is not clean
 * when it contains
 * - any identifying token of the same instance: every person name and its components, the
 *   patient IDs, accession number, birth date and the other removed identifiers (tokens of three
 *   or more ASCII characters must match as whole words; tokens with other characters, such as
 *   Chinese names of two or more characters, match anywhere);
 * - a run of six or more digits (IDs, phone numbers, compact dates);
 * - a date written with separators (2024-01-31, 31/01/2024, 2024.01.31);
 * - an e-mail address.
 */
export class IdentifyingTokens {
  private readonly asciiTokens = new Set<string>();
  private readonly otherTokens = new Set<string>();

  /** Adds a value (PN, LO, SH, …) of an identifying attribute, splitting names into components. */
  add(value: string, isPersonName: boolean): void {
    for (const single of value.split('\\')) {
      const whole = normalize(single.replace(/[\^=]+/g, ' '));
      this.addToken(whole);
      if (isPersonName) {
        for (const group of single.split('=')) {
          this.addToken(normalize(group.replace(/\^+/g, '')));
          for (const component of group.split('^')) this.addToken(normalize(component));
        }
      }
    }
  }

  /** Adds a date (YYYYMMDD) together with the spellings people type. */
  addDate(value: string): void {
    const match = /^(\d{4})\.?(\d{2})\.?(\d{2})/.exec(value);
    if (!match) return;
    const [, year, month, day] = match;
    for (const spelling of [`${year}${month}${day}`, `${year}-${month}-${day}`, `${year}/${month}/${day}`, `${year}.${month}.${day}`, `${day}/${month}/${year}`, `${day}.${month}.${year}`]) {
      this.addToken(spelling);
    }
  }

  private addToken(token: string): void {
    if (token === '') return;
    let ascii = true;
    for (let i = 0; i < token.length; i++) if (token.charCodeAt(i) > 0x7f) ascii = false;
    if (ascii) {
      if (token.length >= 3) this.asciiTokens.add(token);
    } else if ([...token].length >= 2) {
      this.otherTokens.add(token);
    }
  }

  /** True when the text holds none of the tokens and none of the generic identifier patterns. */
  isClean(text: string): boolean {
    const normalized = normalize(text);
    if (/\d{6,}/.test(normalized)) return false;
    if (/\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{4}/.test(normalized)) return false;
    if (/[^\s@]+@[^\s@]+\.[^\s@]+/.test(normalized)) return false;
    for (const token of this.otherTokens) if (normalized.includes(token)) return false;
    for (const token of this.asciiTokens) if (containsWord(normalized, token)) return false;
    return true;
  }
}

function normalize(text: string): string {
  const lower = text.toLowerCase();
  return /\s\s|[\t\n\r\f\v]/.test(lower) ? lower.replace(/\s+/g, ' ').trim() : lower.trim();
}

const isWordCharacter = (code: number) => (code >= 0x30 && code <= 0x39) || (code >= 0x61 && code <= 0x7a);

function containsWord(text: string, token: string): boolean {
  for (let index = text.indexOf(token); index >= 0; index = text.indexOf(token, index + 1)) {
    const before = index === 0 ? 0x20 : text.charCodeAt(index - 1);
    const after = index + token.length >= text.length ? 0x20 : text.charCodeAt(index + token.length);
    if (!isWordCharacter(before) && !isWordCharacter(after)) return true;
  }
  return false;
}
