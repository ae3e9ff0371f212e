import { sql, type Kysely } from 'kysely';

/**
 * Row-level security (as in `2026-12-08T23-tenant-isolation`) on the tables that came beside
 * it: the pixel scans of a hospital's images (which boxes name its patients) and its upload
 * sessions with their parts. Only the hospital itself, or a named system job, sees them.
 * Frozen: later changes go in new migrations.
 */
const visible: Record<string, string> = {
  pixel_scan: 'tenant_id = yunzhen_tenant()',
  upload_session: 'tenant_id = yunzhen_tenant()',
  upload_part: 'session_id in (select id from upload_session)',
};

export async function up(db: Kysely<any>): Promise<void> {
  for (const [table, condition] of Object.entries(visible)) {
    const name = sql.id(table);
    await sql`alter table ${name} enable row level security`.execute(db);
    await sql`create policy tenant_isolation on ${name} using (yunzhen_system() or ${sql.raw(condition)}) with check (yunzhen_system() or ${sql.raw(condition)})`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of Object.keys(visible)) {
    await sql`drop policy tenant_isolation on ${sql.id(table)}`.execute(db);
    await sql`alter table ${sql.id(table)} disable row level security`.execute(db);
  }
}
