import type { AppUser, Tenant } from '@yunzhen/db';

/** The JSON shape of a user; never includes the password hash. */
export function userView(user: AppUser) {
  return {
    id: user.id,
    email: user.email,
    displayName: user.display_name,
    role: user.role,
    licensed: user.licensed,
    disabled: user.disabled_at !== null,
    createdAt: user.created_at.toISOString(),
  };
}

export function tenantView(tenant: Tenant) {
  return { id: tenant.id, name: tenant.name, kind: tenant.kind };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Path ids that are not UUIDs cannot name anything: the caller answers 404, not 500. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
