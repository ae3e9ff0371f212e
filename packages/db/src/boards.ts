import { sql, type Kysely } from 'kysely';

import type { BoardText, Database } from './schema.js';

/** Where every replica hears that a session's presenter or viewport changed (payload: the session id). */
export const BOARD_CHANNEL = 'yunzhen_board';

export interface NewBoardSession {
  tenantId: string;
  title: string;
  scheduledAt: Date;
  chairId: string;
  consultIds: string[];
  /** The chair is added as a participant too. */
  participants: { userId: string; tenantId: string }[];
}

/** Tumour board sessions: their case lists, participants with attendance, the presenter's viewport, the signed consensus. */
export function createBoardRepository(db: Kysely<Database>) {
  const announce = (tx: Kysely<Database>, sessionId: string) => sql`select pg_notify(${BOARD_CHANNEL}, ${sessionId})`.execute(tx);

  return {
    create(input: NewBoardSession) {
      const participants = [{ userId: input.chairId, tenantId: input.tenantId }, ...input.participants.filter((p) => p.userId !== input.chairId)];
      const tenantIds = [...new Set(participants.map((p) => p.tenantId))];
      return db.transaction().execute(async (tx) => {
        const session = await tx
          .insertInto('board_session')
          .values({ tenant_id: input.tenantId, tenant_ids: tenantIds, title: input.title, scheduled_at: input.scheduledAt, chair_id: input.chairId })
          .returning(['id'])
          .executeTakeFirstOrThrow();
        await tx
          .insertInto('board_case')
          .values(input.consultIds.map((consultId, position) => ({ session_id: session.id, consult_id: consultId, position })))
          .execute();
        await tx
          .insertInto('board_participant')
          .values(participants.map((p) => ({ session_id: session.id, user_id: p.userId, tenant_id: p.tenantId })))
          .execute();
        return session.id;
      });
    },

    /** The sessions a user takes part in (the chair included), soonest last. */
    listForUser(userId: string) {
      return db
        .selectFrom('board_session as s')
        .innerJoin('board_participant as p', 'p.session_id', 's.id')
        .innerJoin('app_user as chair', 'chair.id', 's.chair_id')
        .select(['s.id', 's.title', 's.scheduled_at', 's.chair_id', 'chair.display_name as chair_name', 'p.joined_at'])
        .select((eb) => eb.selectFrom('board_case as c').whereRef('c.session_id', '=', 's.id').select(eb.fn.countAll<string>().as('n')).as('case_count'))
        .where('p.user_id', '=', userId)
        .orderBy('s.scheduled_at', 'desc')
        .execute();
    },

    get(sessionId: string) {
      return db
        .selectFrom('board_session as s')
        .innerJoin('app_user as chair', 'chair.id', 's.chair_id')
        .leftJoin('app_user as presenter', 'presenter.id', 's.presenter_id')
        .selectAll('s')
        .select(['chair.display_name as chair_name', 'presenter.display_name as presenter_name'])
        .where('s.id', '=', sessionId)
        .executeTakeFirst();
    },

    cases(sessionId: string) {
      return db
        .selectFrom('board_case as c')
        .leftJoin('app_user as signer', 'signer.id', 'c.signed_by')
        .select(['c.consult_id', 'c.position', 'c.recommendation', 'c.signed_by', 'c.signed_at', 'signer.display_name as signer_name', 'signer.licensed as signer_licensed'])
        .where('c.session_id', '=', sessionId)
        .orderBy('c.position')
        .execute();
    },

    participants(sessionId: string) {
      return db
        .selectFrom('board_participant as p')
        .innerJoin('app_user as u', 'u.id', 'p.user_id')
        .innerJoin('tenant as t', 't.id', 'p.tenant_id')
        .select(['p.user_id', 'p.tenant_id', 'p.joined_at', 'u.display_name', 'u.role', 't.name as tenant_name'])
        .where('p.session_id', '=', sessionId)
        .orderBy('u.display_name')
        .execute();
    },

    /** Records that a participant joined (the first time counts); false when they are not a participant. */
    async markJoined(sessionId: string, userId: string, now: Date): Promise<boolean> {
      const result = await db
        .updateTable('board_participant')
        .set({ joined_at: sql<Date>`coalesce(joined_at, ${now})` })
        .where('session_id', '=', sessionId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    /** The presenter's new viewport, announced to every replica; null when the caller no longer holds the pointer. */
    setViewport(sessionId: string, presenterId: string, viewport: unknown): Promise<number | null> {
      return db.transaction().execute(async (tx) => {
        const row = await tx
          .updateTable('board_session')
          .set({ viewport: JSON.stringify(viewport), viewport_seq: sql<number>`viewport_seq + 1` })
          .where('id', '=', sessionId)
          .where('presenter_id', '=', presenterId)
          .returning(['viewport_seq'])
          .executeTakeFirst();
        if (!row) return null;
        await announce(tx, sessionId);
        return Number(row.viewport_seq);
      });
    },

    /** Gives the pointer to a participant (the viewport stays where it was until they move it), announced to every replica. */
    takePointer(sessionId: string, userId: string): Promise<number> {
      return db.transaction().execute(async (tx) => {
        const row = await tx
          .updateTable('board_session')
          .set({ presenter_id: userId, viewport_seq: sql<number>`viewport_seq + 1` })
          .where('id', '=', sessionId)
          .returning(['viewport_seq'])
          .executeTakeFirstOrThrow();
        await announce(tx, sessionId);
        return Number(row.viewport_seq);
      });
    },

    /** Signs a case's consensus once; undefined when it was signed already (or is not on the session). */
    signConsensus(sessionId: string, consultId: string, recommendation: BoardText, signedBy: string, now: Date) {
      return db
        .updateTable('board_case')
        .set({ recommendation: JSON.stringify(recommendation), signed_by: signedBy, signed_at: now })
        .where('session_id', '=', sessionId)
        .where('consult_id', '=', consultId)
        .where('signed_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
    },
  };
}

export type BoardRepository = ReturnType<typeof createBoardRepository>;
