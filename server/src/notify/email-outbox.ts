import { createTransport, type Transporter } from 'nodemailer';
import type { Logger } from 'pino';

import type { Repositories } from '@yunzhen/db';

import { describeForLog } from '../errors.js';

/** Attempts before an e-mail is given up: 1, 2, 4 … 64 minutes apart, about two hours in all. */
const MAX_ATTEMPTS = 8;
/** How long a claimed e-mail is ours before another pass may take it (a replica that died mid-send). */
const LEASE_MS = 5 * 60 * 1000;

/** Why sending failed, in words an admin can act on; nodemailer's codes name the stage. */
function words(error: unknown): string {
  const code = (error as { code?: string }).code;
  const known: Record<string, string> = {
    ECONNECTION: 'cannot connect to the SMTP server',
    ETIMEDOUT: 'the SMTP server did not answer in time',
    EDNS: 'the SMTP server’s host name was not found',
    EAUTH: 'the SMTP server refused the login (SMTP_URL user or password)',
    ETLS: 'TLS with the SMTP server failed',
    EENVELOPE: 'the SMTP server refused the sender or recipient address',
    EMESSAGE: 'the SMTP server refused the message',
  };
  return (code && known[code]) ?? `sending failed (${code ?? (error instanceof Error ? error.name : 'unknown')})`;
}

/**
 * Sends the e-mail outbox through the SMTP server of SMTP_URL (nodemailer: SMTP with STARTTLS,
 * authentication and pooling is not worth writing by hand). Each pass claims due rows, so
 * replicas send each e-mail once; failures are retried with backoff and kept in words.
 */
export function createEmailOutbox(deps: { repos: Repositories; logger: Logger; smtpUrl: string; from: string; now: () => Date; transport?: Transporter }) {
  const transport = deps.transport ?? createTransport(deps.smtpUrl);
  return {
    /** One pass; resolves with the number of e-mails attempted. */
    async tick(): Promise<number> {
      const now = deps.now();
      const due = await deps.repos.messages.claimDueEmails(now, new Date(now.getTime() + LEASE_MS));
      for (const email of due) {
        const attempts = email.attempts + 1;
        try {
          await transport.sendMail({ from: deps.from, to: email.to_address, subject: email.subject, text: email.body });
          await deps.repos.messages.recordEmailAttempt(email.id, { sent: true, error: null, attempts, nextAttemptAt: null }, deps.now());
        } catch (error) {
          deps.logger.warn({ email: email.id, attempts, err: describeForLog(error) }, 'e-mail not sent');
          const nextAttemptAt = attempts < MAX_ATTEMPTS ? new Date(deps.now().getTime() + 60_000 * 2 ** (attempts - 1)) : null;
          await deps.repos.messages.recordEmailAttempt(email.id, { sent: false, error: words(error), attempts, nextAttemptAt }, deps.now());
        }
      }
      return due.length;
    },
    close: () => transport.close(),
  };
}
