import { sql, type Kysely } from 'kysely';

import { claimDue, type ClaimOptions } from './outbox.js';
import type { Database, EmailOutbox, MessageKind, MessageSide, MessageText } from './schema.js';

export interface NewMessage {
  consultId: string;
  authorId: string;
  side: MessageSide;
  kind: MessageKind;
  text: MessageText;
  /** Attachments of the consult sent with the message. */
  attachmentIds?: string[];
}

export interface NewEmail {
  tenantId: string;
  to: string;
  subject: string;
  body: string;
}

/** A consult's conversation, each user's read mark, and the e-mail outbox that tells the other side. */
export function createMessageRepository(db: Kysely<Database>) {
  return {
    /** The message and the notices about it, in one transaction: no notice of a message that was not kept. */
    post(message: NewMessage, emails: NewEmail[], now: Date) {
      return db.transaction().execute(async (tx) => {
        const row = await tx
          .insertInto('consult_message')
          .values({ consult_id: message.consultId, author_id: message.authorId, side: message.side, kind: message.kind, text: JSON.stringify(message.text), attachment_ids: message.attachmentIds ?? [], created_at: now })
          .returningAll()
          .executeTakeFirstOrThrow();
        await queueEmails(tx, emails, now);
        // Writing is reading: the author has seen everything up to their own message.
        await markRead(tx, message.authorId, message.consultId, now);
        return row;
      });
    },

    queueEmails: (emails: NewEmail[], now: Date) => queueEmails(db, emails, now),

    list(consultId: string) {
      return db
        .selectFrom('consult_message as m')
        .innerJoin('app_user as u', 'u.id', 'm.author_id')
        .select(['m.id', 'm.side', 'm.kind', 'm.text', 'm.attachment_ids', 'm.created_at', 'm.author_id', 'u.display_name as author_name'])
        .where('m.consult_id', '=', consultId)
        .orderBy('m.created_at')
        .orderBy('m.id')
        .execute();
    },

    markRead: (userId: string, consultId: string, at: Date) => markRead(db, userId, consultId, at),

    /** Messages from the other side that this user has not read, per consult. */
    async unreadByConsult(userId: string, side: MessageSide, consultIds: string[]): Promise<Map<string, number>> {
      if (consultIds.length === 0) return new Map();
      const rows = await db
        .selectFrom('consult_message as m')
        .leftJoin('consult_message_read as r', (join) => join.onRef('r.consult_id', '=', 'm.consult_id').on('r.user_id', '=', userId))
        .select(['m.consult_id', (eb) => eb.fn.countAll<string>().as('unread')])
        .where('m.consult_id', 'in', consultIds)
        .where('m.side', '!=', side)
        .where((eb) => eb.or([eb('r.read_at', 'is', null), eb('m.created_at', '>', eb.ref('r.read_at'))]))
        .groupBy('m.consult_id')
        .execute();
      return new Map(rows.map((r) => [r.consult_id, Number(r.unread)]));
    },

    claimDueEmails(options: ClaimOptions): Promise<EmailOutbox[]> {
      return claimDue(db, 'email_outbox', options);
    },

    /** Records an attempt by the claimant that still holds the e-mail; false when another replica took it over. */
    async recordEmailAttempt(id: string, outcome: { sent: boolean; error: string | null; attempts: number; nextAttemptAt: Date | null }, now: Date, claimant: string): Promise<boolean> {
      const result = await db
        .updateTable('email_outbox')
        .set({
          attempts: outcome.attempts,
          last_error: outcome.error,
          claimed_by: null,
          status: outcome.sent ? 'sent' : outcome.nextAttemptAt ? 'pending' : 'failed',
          ...(outcome.nextAttemptAt && { next_attempt_at: outcome.nextAttemptAt }),
          ...(outcome.sent && { sent_at: now }),
        })
        .where('id', '=', id)
        .where('claimed_by', '=', claimant)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
  };
}

async function queueEmails(db: Kysely<Database>, emails: NewEmail[], now: Date): Promise<void> {
  if (!emails.length) return;
  await db
    .insertInto('email_outbox')
    .values(emails.map((e) => ({ tenant_id: e.tenantId, to_address: e.to, subject: e.subject, body: e.body, next_attempt_at: now, created_at: now })))
    .execute();
}

function markRead(db: Kysely<Database>, userId: string, consultId: string, at: Date) {
  return db
    .insertInto('consult_message_read')
    .values({ user_id: userId, consult_id: consultId, read_at: at })
    .onConflict((oc) => oc.columns(['user_id', 'consult_id']).doUpdateSet({ read_at: sql`greatest(consult_message_read.read_at, excluded.read_at)` }))
    .execute();
}

export type MessageRepository = ReturnType<typeof createMessageRepository>;
