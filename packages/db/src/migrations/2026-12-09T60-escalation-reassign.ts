import { sql, type Kysely } from 'kysely';

/**
 * Escalation reassigns: an overdue consult nobody has started a report on goes to the centre's
 * least busy specialist, who is told so (`notification.kind` 'consult-reassigned'). Frozen.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table notification drop constraint notification_kind_check`.execute(db);
  await sql`alter table notification add constraint notification_kind_check check (kind in ('consult-due-soon', 'consult-overdue', 'consult-reassigned'))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`delete from notification where kind = 'consult-reassigned'`.execute(db);
  await sql`alter table notification drop constraint notification_kind_check`.execute(db);
  await sql`alter table notification add constraint notification_kind_check check (kind in ('consult-due-soon', 'consult-overdue'))`.execute(db);
}
