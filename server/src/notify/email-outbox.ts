import { createTransport } from 'nodemailer';
import type { Logger } from 'pino';

import type { EmailOutbox, Repositories } from '@yunzhen/db';

import { describeForLog } from '../errors.js';
import { createOutboxWorker, processClaimant } from '../outbox-worker.js';

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
 * authentication and pooling is not worth writing by hand). Rows are claimed like every outbox
 * (`claimDue`), so replicas send each e-mail once; failures are retried with backoff and kept in words.
 */
export function createEmailOutbox(deps: { repos: Repositories; logger: Logger; smtpUrl: string; from: string; now: () => Date; claimant?: string }) {
  const transport = createTransport(deps.smtpUrl);
  const claimant = deps.claimant ?? processClaimant();

  async function attempt(email: EmailOutbox): Promise<void> {
    const attempts = email.attempts + 1;
    let error: string | null = null;
    try {
      await transport.sendMail({ from: deps.from, to: email.to_address, subject: email.subject, text: email.body });
    } catch (caught) {
      deps.logger.warn({ email: email.id, attempts, err: describeForLog(caught) }, 'e-mail not sent');
      error = words(caught);
    }
    const nextAttemptAt = error && attempts < MAX_ATTEMPTS ? new Date(deps.now().getTime() + 60_000 * 2 ** (attempts - 1)) : null;
    await deps.repos.messages.recordEmailAttempt(email.id, { sent: error === null, error, attempts, nextAttemptAt }, deps.now(), claimant);
  }

  const worker = createOutboxWorker({ job: 'email-outbox', claim: () => deps.repos.messages.claimDueEmails({ now: deps.now(), leaseMs: LEASE_MS, claimant }), attempt });
  return { tick: worker.tick, close: () => transport.close() };
}
