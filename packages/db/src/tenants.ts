import type { Kysely } from 'kysely';

import type { Database, Tenant, TenantKind } from './schema.js';

export function createTenantRepository(db: Kysely<Database>) {
  return {
    async createUnion(name: string): Promise<string> {
      const row = await db.insertInto('medical_union').values({ name }).returning('id').executeTakeFirstOrThrow();
      return row.id;
    },

    async create(tenant: { name: string; kind: TenantKind; unionId?: string | null }): Promise<Tenant> {
      return db
        .insertInto('tenant')
        .values({ name: tenant.name, kind: tenant.kind, union_id: tenant.unionId ?? null })
        .returningAll()
        .executeTakeFirstOrThrow();
    },

    get(id: string): Promise<Tenant | undefined> {
      return db.selectFrom('tenant').selectAll().where('id', '=', id).executeTakeFirst();
    },

    findByName(name: string): Promise<Tenant | undefined> {
      return db.selectFrom('tenant').selectAll().where('name', '=', name).executeTakeFirst();
    },

    /** Reading centres (kind reading or both) in the same union as `tenantId`, excluding itself. */
    readingCentresFor(tenantId: string): Promise<Tenant[]> {
      return db
        .selectFrom('tenant as t')
        .innerJoin('tenant as me', 'me.union_id', 't.union_id')
        .selectAll('t')
        .where('me.id', '=', tenantId)
        .where('t.id', '!=', tenantId)
        .where('t.kind', 'in', ['reading', 'both'])
        .orderBy('t.name')
        .execute();
    },

    count(): Promise<number> {
      return db
        .selectFrom('tenant')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
        .then((row) => Number(row.n));
    },
  };
}

export type TenantRepository = ReturnType<typeof createTenantRepository>;
