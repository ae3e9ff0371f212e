import { sql, type Kysely } from 'kysely';

/**
 * Resumable uploads (issue 12): a large zip goes up in parts that any replica accepts, and is
 * ingested once every part is there. Frozen.
 *
 * - `upload_session`: who uploads what (kind, total size, the part size the server chose), its
 *   state (`open` → `completing` → `completed` or `failed`), the lease of the replica
 *   assembling it (`claim_expires_at`: a replica that dies while ingesting leaves the session to
 *   be taken over when the lease ends), the result or error once done, and when an abandoned
 *   session expires (pushed back by every part).
 * - `upload_part`: each part received, by index, with its size, SHA-256 and the opaque object
 *   key it is stored under (no patient data: the session id, the index and the hash).
 */
export async function up(db: Kysely<any>): Promise<void> {
  const now = (c: any) => c.notNull().defaultTo(sql`now()`);
  await db.schema
    .createTable('upload_session')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenant.id'))
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('app_user.id'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('zip')`))
    .addColumn('total_bytes', 'bigint', (c) => c.notNull().check(sql`total_bytes > 0`))
    .addColumn('part_bytes', 'integer', (c) => c.notNull().check(sql`part_bytes > 0`))
    .addColumn('part_count', 'integer', (c) => c.notNull().check(sql`part_count > 0`))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('open').check(sql`status in ('open', 'completing', 'completed', 'failed')`))
    .addColumn('claimed_by', 'text')
    .addColumn('claim_expires_at', 'timestamptz')
    .addColumn('result', 'jsonb')
    .addColumn('error', 'jsonb')
    .addColumn('created_at', 'timestamptz', now)
    .addColumn('updated_at', 'timestamptz', now)
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('upload_session_user_idx').on('upload_session').columns(['user_id', 'status']).execute();
  await db.schema.createIndex('upload_session_expiry_idx').on('upload_session').column('expires_at').execute();

  await db.schema
    .createTable('upload_part')
    .addColumn('session_id', 'uuid', (c) => c.notNull().references('upload_session.id').onDelete('cascade'))
    .addColumn('part_index', 'integer', (c) => c.notNull().check(sql`part_index >= 0`))
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('object_key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', now)
    .addPrimaryKeyConstraint('upload_part_pkey', ['session_id', 'part_index'])
    .execute();
  await db.schema.createIndex('upload_part_object_idx').on('upload_part').column('object_key').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('upload_part').execute();
  await db.schema.dropTable('upload_session').execute();
}
