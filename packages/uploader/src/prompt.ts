/** Asking for the email and the password on the terminal (the password with echo off), or reading the password from standard input. */
import { createInterface } from 'node:readline/promises';

export class PromptCancelled extends Error {
  override readonly name = 'PromptCancelled';
}

/** One line typed on the terminal, shown as it is typed. Prompts go to stderr: stdout stays the program's output. */
export async function askLine(prompt: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const cancelled = new Promise<never>((_, reject) => rl.once('SIGINT', () => reject(new PromptCancelled())));
  try {
    return (await Promise.race([rl.question(prompt), cancelled])).trim();
  } finally {
    rl.close();
  }
}

/**
 * The password typed on the terminal, echo off: the terminal is put in raw mode and nothing
 * is written back for the characters typed. Backspace and Ctrl-U edit, Enter ends, Ctrl-C
 * and Ctrl-D (on an empty line) cancel. The terminal mode is restored however it ends.
 */
export async function askHidden(prompt: string): Promise<string> {
  const input = process.stdin;
  process.stderr.write(prompt);
  input.setRawMode(true);
  input.setEncoding('utf8');
  input.resume();
  try {
    return await new Promise<string>((resolve, reject) => {
      let value = '';
      let escape = false;
      const done = (error?: Error) => {
        input.off('data', onData);
        if (error) reject(error);
        else resolve(value);
      };
      const onData = (chunk: string) => {
        for (const ch of chunk) {
          if (escape) {
            // Skip terminal escape sequences (arrow keys, bracketed paste markers) up to their final letter or ~.
            if (/[A-Za-z~]/.test(ch)) escape = false;
            continue;
          }
          if (ch === '\r' || ch === '\n') return done();
          if (ch === '\u0003') return done(new PromptCancelled());
          if (ch === '\u0004') {
            if (value === '') return done(new PromptCancelled());
            continue;
          }
          if (ch === '\u001b') escape = true;
          else if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
          else if (ch === '\u0015') value = '';
          else if (ch >= ' ') value += ch;
        }
      };
      input.on('data', onData);
    });
  } finally {
    input.setRawMode(false);
    input.pause();
    process.stderr.write('\n');
  }
}

/** The password piped in (`--password-stdin`): the first line of standard input, without its line break. */
export async function readStdinSecret(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0]!;
}
