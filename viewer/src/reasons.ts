import { reasonWords } from '@yunzhen/dicom';

import { ApiError } from './api.js';
import type { Language } from './i18n.js';

/** The reason words live in `@yunzhen/dicom` (`reason-words.ts`), shared with the command-line uploader. */
export { reasons } from '@yunzhen/dicom';

/** The words for a reason code; `fallback` (the server's English message) only where no words are known. */
export function reasonText(code: string, language: Language, fallback?: string): string {
  return reasonWords(code, language) ?? fallback ?? code;
}

/** What to tell the user when an API call was refused: the code's words, else the server's message. */
export function refusalText(caught: unknown, language: Language): string {
  return caught instanceof ApiError ? reasonText(caught.code, language, caught.message) : String(caught);
}
