import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The raw message (headers and MIME body). */
  data: string;
}

export interface LoopbackSmtp {
  url: string;
  received: ReceivedMail[];
  close(): Promise<void>;
}

/**
 * A loopback SMTP server (smtp-server, by nodemailer's authors) that keeps what it receives, in
 * memory and, with `dir`, as one JSON file per message for tests in other processes (browser tests).
 * With `refuse`, it refuses every message after reading it, as a full mailbox would.
 */
export async function startLoopbackSmtp(options: { dir?: string; refuse?: boolean } = {}): Promise<LoopbackSmtp> {
  const received: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (options.refuse) return callback(new Error('mailbox unavailable'));
        const mail = { from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), data: Buffer.concat(chunks).toString('utf8') };
        received.push(mail);
        if (options.dir) writeFileSync(join(options.dir, `${Date.now()}-${received.length}.json`), JSON.stringify(mail));
        callback();
      });
    },
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.server.address() as { port: number }).port)));
  return { received, url: `smtp://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A MIME message's text, with quoted-printable and base64 parts decoded, to search in. */
export function mailText(data: string): string {
  let text = data;
  const unfolded = data.replace(/=\r?\n/g, '');
  const bytes = unfolded.replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  text += Buffer.from(bytes, 'latin1').toString('utf8');
  for (const block of data.match(/^[A-Za-z0-9+/=]{40,}$/gm) ?? []) text += Buffer.from(block, 'base64').toString('utf8');
  return text;
}
