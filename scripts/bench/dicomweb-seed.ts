import { join } from 'node:path';

import { sql } from 'kysely';

import { createDb, createRepositories } from '@yunzhen/db';
import { seedDemoUnion } from '@yunzhen/server';

export const STUDIES = 1000;
export const SERIES_PER_STUDY = 4;
export const INSTANCES_PER_SERIES = 25;
/** Studies the sending hospital has sent to the reading centre for a consult: every second one. */
export const CONSULT_STUDIES = STUDIES / 2;

/**
 * Writes the demo union and a generated index of STUDIES × SERIES × INSTANCES rows of the
 * sending hospital (Xuhui) into an embedded database, and a consult to the reading centre
 * (Shanghai Cancer Center) for every second study, so that the specialist's queries, which go
 * through the consults, are measured too.
 */
export async function seedIndex(dataDir: string): Promise<void> {
  const server = await createDb({ dataDir: join(dataDir, 'pg') });
  await server.migrate();
  // Generated rows of every hospital go in as the superuser, which row-level security does not limit.
  const db = await createDb({ databaseUrl: server.server!.url, poolSize: 2 });
  const repos = createRepositories(db.kysely);
  await seedDemoUnion(db.kysely);
  const tenant = (await repos.tenants.findByName('Xuhui District Hospital (demo)'))!.id;
  await sql`
    insert into patient (tenant_id, pseudonym_id, pseudonym_name, sex)
    select ${tenant}, 'YZBENCH' || p, 'ANONYMOUS^YZBENCH' || p, case when p % 2 = 0 then 'F' else 'M' end
    from generate_series(1, 500) p`.execute(db.kysely);
  await sql`
    insert into study (tenant_id, patient_id, study_uid, study_date, study_time, accession_number, study_description, created_at)
    select ${tenant}, (select id from patient where pseudonym_id = 'YZBENCH' || (1 + s % 500)), '2.25.9' || s,
           date '2024-01-01' + (s % 365), lpad(((s * 37) % 24)::text, 2, '0') || '3000', 'BENCH' || s,
           (array['CT CHEST', 'MR BRAIN', 'CT ABDOMEN', 'PET CT'])[1 + s % 4], now() - (s || ' minutes')::interval
    from generate_series(1, ${STUDIES}) s`.execute(db.kysely);
  await sql`
    insert into series (study_id, tenant_id, series_uid, modality, series_number, series_description, body_part)
    select st.id, ${tenant}, st.study_uid || '.' || n, (array['CT', 'MR', 'CT', 'PT'])[1 + (substr(st.study_uid, 6)::int + n) % 4], n, 'SERIES ' || n, 'CHEST'
    from study st cross join generate_series(1, ${SERIES_PER_STUDY}) n where st.study_uid like '2.25.9%'`.execute(db.kysely);
  await sql`
    insert into instance (series_id, study_id, tenant_id, sop_instance_uid, sop_class_uid, instance_number, transfer_syntax_uid, rows, columns,
                          number_of_frames, bits_allocated, size_bytes, sha256, object_key)
    select se.id, se.study_id, ${tenant}, se.series_uid || '.' || i, '1.2.840.10008.5.1.4.1.1.2', i, '1.2.840.10008.1.2.1', 512, 512, 1, 16, 525000,
           repeat('0', 64), 'instances/bench-' || se.id || '-' || i
    from series se cross join generate_series(1, ${INSTANCES_PER_SERIES}) i where se.series_uid like '2.25.9%'`.execute(db.kysely);
  const reading = (await repos.tenants.findByName('Shanghai Cancer Center (demo)'))!.id;
  const sender = (await repos.users.findByEmail('rad@xuhui.demo'))!.id;
  await sql`
    insert into consult (sending_tenant_id, reading_tenant_id, created_by, clinical_question, priority, due_at)
    select ${tenant}, ${reading}, ${sender}, 'bench ' || study_uid, 'routine', now() + interval '1 day'
    from study where study_uid like '2.25.9%' and substr(study_uid, 7)::int % 2 = 0`.execute(db.kysely);
  await sql`
    insert into consult_study (consult_id, study_id)
    select c.id, st.id from consult c join study st on c.clinical_question = 'bench ' || st.study_uid`.execute(db.kysely);
  await sql`analyze`.execute(db.kysely);
  await db.close();
  await server.close();
}

