import { readFile } from 'node:fs/promises';

import { UploaderFailure } from './failure.js';

/** An API token as the server issues it: printable ASCII, no spaces. */
const TOKEN = /^[\x21-\x7e]{8,512}$/;

/** Where a token given for one run comes from, in the order they win. */
export interface TokenSources {
  /** `--token VALUE`: visible in the process list and shell history, so the least preferred. */
  flag?: string;
  /** `--token-file PATH`: a file holding only the token (a trailing newline is ignored). */
  file?: string;
  /** `YUNZHEN_TOKEN`. */
  env?: string;
}

/**
 * The token given for this run, or undefined to use the stored login. A token that is not one
 * (a file with other content, a pasted line with spaces) is refused as `TokenMalformed` without
 * quoting it: HTTP libraries name an invalid header value in their errors, which would print it.
 */
export async function givenToken(sources: TokenSources): Promise<string | undefined> {
  let token = sources.flag;
  if (token === undefined && sources.file !== undefined) {
    try {
      token = (await readFile(sources.file, 'utf8')).trim();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new UploaderFailure(code === 'ENOENT' ? 'PathNotFound' : 'Unreadable', { path: sources.file });
    }
  }
  if (token === undefined && sources.env) token = sources.env.trim();
  if (token === undefined) return undefined;
  if (!TOKEN.test(token)) throw new UploaderFailure('TokenMalformed');
  return token;
}
