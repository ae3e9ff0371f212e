import { sql, type Kysely } from 'kysely';

import type { ConsultPriority, Database, NotificationKind } from './schema.js';

/** A reading centre's time to report when it has set none: stat 1 h, urgent 24 h, routine 72 h. */
export const defaultServiceMinutes: Readonly<Record<ConsultPriority, number>> = { stat: 60, urgent: 24 * 60, routine: 72 * 60 };

/** A consult that has just used 80 % (`due-soon`) or all (`overdue`) of its time. */
export interface Escalation {
  consultId: string;
  readingTenantId: string;
  claimedBy: string | null;
  priority: ConsultPriority;
  dueAt: Date;
}

/** One consult's turnaround, for the dashboard and its CSV (no patient data). */
export interface TurnaroundRow {
  id: string;
  priority: ConsultPriority;
  status: string;
  sendingHospital: string;
  readingCentre: string;
  modalities: string[];
  createdAt: Date;
  dueAt: Date;
  claimedAt: Date | null;
  signedAt: Date | null;
  /** Second readers' verdicts on the signed report. */
  verdicts: ('agree' | 'disagree' | 'partial')[];
}

/** Service levels, escalations of consults running out of time, notifications, and the dashboard's rows. */
export function createTurnaroundRepository(db: Kysely<Database>) {
  const serviceLevels = async (tenantId: string): Promise<Record<ConsultPriority, number>> => {
    const rows = await db.selectFrom('service_level').select(['priority', 'minutes']).where('tenant_id', '=', tenantId).execute();
    return { ...defaultServiceMinutes, ...Object.fromEntries(rows.map((r) => [r.priority, r.minutes])) };
  };

  return {
    serviceLevels,

    /** When a consult of this priority sent now is due at this centre: its service level from now. */
    async dueAt(readingCentreId: string, priority: ConsultPriority, now: Date): Promise<Date> {
      const levels = await serviceLevels(readingCentreId);
      return new Date(now.getTime() + levels[priority] * 60_000);
    },

    async setServiceLevels(tenantId: string, levels: Record<ConsultPriority, number>): Promise<void> {
      await db
        .insertInto('service_level')
        .values(Object.entries(levels).map(([priority, minutes]) => ({ tenant_id: tenantId, priority: priority as ConsultPriority, minutes })))
        .onConflict((oc) => oc.columns(['tenant_id', 'priority']).doUpdateSet({ minutes: sql`excluded.minutes` }))
        .execute();
    },

    /**
     * Marks and returns open consults that have just passed a threshold: `overdue` at their due
     * time, `due-soon` at 80 % of the time between creation and due. Each is marked once, in the
     * statement that picks it (SKIP LOCKED), so replicas escalate each consult once. An overdue
     * consult counts as warned too: a pass that finds both passed says only "overdue".
     */
    async claimEscalations(kind: NotificationKind, now: Date, limit = 50): Promise<Escalation[]> {
      const rows =
        kind === 'consult-overdue'
          ? await sql<{ id: string; reading_tenant_id: string; claimed_by: string | null; priority: ConsultPriority; due_at: Date }>`
              update consult set escalated_100_at = ${now}, escalated_80_at = coalesce(escalated_80_at, ${now})
              where id in (
                select id from consult where status in ('new', 'in_progress') and escalated_100_at is null and due_at <= ${now}
                order by due_at limit ${limit} for update skip locked)
              returning id, reading_tenant_id, claimed_by, priority, due_at`.execute(db)
          : await sql<{ id: string; reading_tenant_id: string; claimed_by: string | null; priority: ConsultPriority; due_at: Date }>`
              update consult set escalated_80_at = ${now}
              where id in (
                select id from consult where status in ('new', 'in_progress') and escalated_80_at is null
                  and created_at + (due_at - created_at) * 0.8 <= ${now}
                order by due_at limit ${limit} for update skip locked)
              returning id, reading_tenant_id, claimed_by, priority, due_at`.execute(db);
      return rows.rows.map((r) => ({ consultId: r.id, readingTenantId: r.reading_tenant_id, claimedBy: r.claimed_by, priority: r.priority, dueAt: r.due_at }));
    },

    /**
     * Who takes over an overdue consult: the reading centre's enabled, licensed specialist with
     * the fewest consults in hand (claimed, not yet reported), other than `except`; ties by name,
     * so the choice is the same on every replica. Undefined when nobody else reads there.
     */
    async leastBusySpecialist(readingTenantId: string, except: string | null): Promise<string | undefined> {
      const row = await db
        .selectFrom('app_user as u')
        .leftJoin('consult as c', (join) => join.onRef('c.claimed_by', '=', 'u.id').on('c.status', '=', 'in_progress'))
        .select(['u.id', (eb) => eb.fn.count<string>('c.id').as('in_hand')])
        .where('u.tenant_id', '=', readingTenantId)
        .where('u.role', '=', 'specialist')
        .where('u.licensed', '=', true)
        .where('u.disabled_at', 'is', null)
        .$if(except !== null, (q) => q.where('u.id', '!=', except!))
        .groupBy(['u.id', 'u.display_name'])
        .orderBy('in_hand')
        .orderBy('u.display_name')
        .orderBy('u.id')
        .executeTakeFirst();
      return row?.id;
    },

    /** Whether anyone has saved a report on the consult (a draft is work in hand, not to be taken away). */
    async reportStarted(consultId: string): Promise<boolean> {
      return Boolean(await db.selectFrom('report').select('id').where('consult_id', '=', consultId).executeTakeFirst());
    },

    async notify(entries: { userId: string; kind: NotificationKind; consultId: string }[], now: Date): Promise<void> {
      if (!entries.length) return;
      await db
        .insertInto('notification')
        .values(entries.map((e) => ({ user_id: e.userId, kind: e.kind, consult_id: e.consultId, created_at: now })))
        .execute();
    },

    /** A user's latest notifications with the consult's priority and due time, newest first. */
    notificationsFor(userId: string, limit = 50) {
      return db
        .selectFrom('notification as n')
        .innerJoin('consult as c', 'c.id', 'n.consult_id')
        .select(['n.id', 'n.kind', 'n.consult_id', 'n.created_at', 'n.read_at', 'c.priority', 'c.due_at', 'c.status'])
        .where('n.user_id', '=', userId)
        .orderBy('n.created_at', 'desc')
        .limit(limit)
        .execute();
    },

    async unreadNotifications(userId: string): Promise<number> {
      const row = await db.selectFrom('notification').select((eb) => eb.fn.countAll<string>().as('n')).where('user_id', '=', userId).where('read_at', 'is', null).executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async markNotificationsRead(userId: string, now: Date): Promise<void> {
      await db.updateTable('notification').set({ read_at: now }).where('user_id', '=', userId).where('read_at', 'is', null).execute();
    },

    /** Consults the hospital read (`reader`) or sent (`sender`) created in [from, to), with what the dashboard shows of each. */
    async turnaroundRows(tenantId: string, side: 'reader' | 'sender', from: Date, to: Date): Promise<TurnaroundRow[]> {
      const rows = await db
        .selectFrom('consult as c')
        .innerJoin('tenant as sender', 'sender.id', 'c.sending_tenant_id')
        .innerJoin('tenant as reader', 'reader.id', 'c.reading_tenant_id')
        .leftJoin('report as r', 'r.consult_id', 'c.id')
        .select([
          'c.id',
          'c.priority',
          'c.status',
          'c.created_at',
          'c.due_at',
          'c.claimed_at',
          'c.signed_at',
          'sender.name as sender_name',
          'reader.name as reader_name',
          sql<string[]>`coalesce((select array_agg(distinct se.modality order by se.modality) from consult_study cs join series se on se.study_id = cs.study_id where cs.consult_id = c.id and se.modality is not null and se.modality <> 'SR'), '{}')`.as('modalities'),
          sql<string[]>`coalesce((select array_agg(o->>'verdict') from jsonb_array_elements(coalesce(r.document->'opinions', '[]'::jsonb)) o), '{}')`.as('verdicts'),
        ])
        .where(side === 'reader' ? 'c.reading_tenant_id' : 'c.sending_tenant_id', '=', tenantId)
        .where('c.created_at', '>=', from)
        .where('c.created_at', '<', to)
        .where('c.status', '!=', 'cancelled')
        .orderBy('c.created_at')
        .limit(100_000)
        .execute();
      return rows.map((r) => ({
        id: r.id,
        priority: r.priority,
        status: r.status,
        sendingHospital: r.sender_name,
        readingCentre: r.reader_name,
        modalities: r.modalities,
        createdAt: r.created_at,
        dueAt: r.due_at,
        claimedAt: r.claimed_at,
        signedAt: r.signed_at,
        verdicts: r.verdicts as TurnaroundRow['verdicts'],
      }));
    },
  };
}

export type TurnaroundRepository = ReturnType<typeof createTurnaroundRepository>;
