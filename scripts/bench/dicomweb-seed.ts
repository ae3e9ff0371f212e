import { join } from 'node:path';

import { sql } from 'kysely';

import { createDb, createRepositories, migrateToLatest } from '@yunzhen/db';
import { seedDemoUnion } from '@yunzhen/server';

export const STUDIES = 1000;
export const SERIES_PER_STUDY = 4;
export const INSTANCES_PER_SERIES = 25;

/** Writes the demo union and a generated index of STUDIES × SERIES × INSTANCES rows into an embedded database. */
export async function seedIndex(dataDir: string): Promise<void> {
  const db = await createDb({ dataDir: join(dataDir, 'db') });
  await migrateToLatest(db.kysely);
  const repos = createRepositories(db.kysely);
  await seedDemoUnion(repos);
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
  await sql`analyze`.execute(db.kysely);
  await db.close();
}

