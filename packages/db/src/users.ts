import type { Kysely } from 'kysely';

import type { AppUser, Database, UserRole } from './schema.js';

export interface NewUser {
  tenantId: string;
  email: string;
  displayName: string;
  role: UserRole;
  licensed: boolean;
  passwordHash: string | null;
}

/** Users always belong to one tenant; reads that serve a tenant take its id so scoping is explicit. */
export function createUserRepository(db: Kysely<Database>) {
  return {
    create(user: NewUser): Promise<AppUser> {
      return db
        .insertInto('app_user')
        .values({
          tenant_id: user.tenantId,
          email: user.email.toLowerCase(),
          display_name: user.displayName,
          role: user.role,
          licensed: user.licensed,
          password_hash: user.passwordHash,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    },

    /** Marks an account as one of the deployment's administrators (who keep configuration across hospitals). */
    async setDeploymentAdmin(id: string, value: boolean): Promise<void> {
      await db.updateTable('app_user').set({ deployment_admin: value }).where('id', '=', id).execute();
    },

    findByEmail(email: string): Promise<AppUser | undefined> {
      return db.selectFrom('app_user').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst();
    },

    get(id: string): Promise<AppUser | undefined> {
      return db.selectFrom('app_user').selectAll().where('id', '=', id).executeTakeFirst();
    },

    /** A user of `tenantId`, or undefined when the id belongs to another tenant or to nobody. */
    getInTenant(tenantId: string, id: string): Promise<AppUser | undefined> {
      return db
        .selectFrom('app_user')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
    },

    listByTenant(tenantId: string): Promise<AppUser[]> {
      return db.selectFrom('app_user').selectAll().where('tenant_id', '=', tenantId).orderBy('email').execute();
    },

    async update(
      tenantId: string,
      id: string,
      changes: Partial<Pick<NewUser, 'displayName' | 'role' | 'licensed' | 'passwordHash'>> & { disabled?: boolean },
    ): Promise<AppUser | undefined> {
      return db
        .updateTable('app_user')
        .set({
          ...(changes.displayName !== undefined && { display_name: changes.displayName }),
          ...(changes.role !== undefined && { role: changes.role }),
          ...(changes.licensed !== undefined && { licensed: changes.licensed }),
          ...(changes.passwordHash !== undefined && { password_hash: changes.passwordHash }),
          ...(changes.disabled !== undefined && { disabled_at: changes.disabled ? new Date() : null }),
        })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
    },
  };
}

export type UserRepository = ReturnType<typeof createUserRepository>;
