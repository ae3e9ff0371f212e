import { Hono } from 'hono';
import { z } from 'zod';

import { userRoles, type Repositories } from '@yunzhen/db';

import type { AppEnv, Principal } from '../app-env.js';
import { AuditEvent, Outcome, type AuditWriter } from '../audit.js';
import { requireRole, requireUser } from '../auth/authenticate.js';
import type { createPasswordCheck } from '../auth/password-check.js';
import { hashPassword, MIN_PASSWORD_LENGTH } from '../auth/passwords.js';
import type { PrincipalCache } from '../auth/principal-cache.js';
import { AppError, notFound } from '../errors.js';
import { readJson } from '../validation.js';
import { isUuid, tenantView, userView } from './views.js';

const role = z.enum(userRoles as [string, ...string[]]).transform((r) => r as (typeof userRoles)[number]);
const password = z.string().min(MIN_PASSWORD_LENGTH).max(1024);

const newUserSchema = z.object({
  email: z.string().trim().email().max(320),
  displayName: z.string().trim().min(1).max(200),
  role,
  licensed: z.boolean().default(false),
  password,
});

const ownPasswordSchema = z.object({ currentPassword: z.string().min(1).max(1024), newPassword: password });

const userChangesSchema = z
  .object({
    displayName: z.string().trim().min(1).max(200),
    role,
    licensed: z.boolean(),
    disabled: z.boolean(),
    password,
  })
  .partial()
  .strict();

/** `GET /api/me`, and user administration by a hospital's admin, within that hospital only. */
export function userRoutes(deps: { repos: Repositories; audit: AuditWriter; principals: PrincipalCache; checkPassword: ReturnType<typeof createPasswordCheck> }) {
  const { repos, audit } = deps;

  const meView = async ({ user, tenant, csrfToken }: Principal) => {
    const readingCentres = await repos.tenants.readingCentresFor(tenant.id);
    return { user: userView(user), tenant: tenantView(tenant), csrfToken: csrfToken ?? null, readingCentres: readingCentres.map(tenantView) };
  };

  return new Hono<AppEnv>()
    .get('/me', async (c) => c.json(await meView(requireUser(c))))
    // The browser's start-up probe: 200 either way, so an anonymous visit logs no error.
    .get('/auth/session', async (c) => c.json({ me: c.var.principal ? await meView(c.var.principal) : null }))
    .post('/me/password', async (c) => {
      // Everyone changes their own password, proving they know the current one (a session left
      // open on a shared workstation must not be enough to take the account over).
      const principal = requireUser(c);
      const { currentPassword, newPassword } = await readJson(c, ownPasswordSchema);
      const outcome = (ok: boolean) =>
        audit(c, {
          eventCode: AuditEvent.UserSecurityAttributesChanged,
          action: 'U',
          outcome: ok ? Outcome.Success : Outcome.MinorFailure,
          objectType: 'user',
          objectId: principal.user.id,
          detail: { changed: ['password'], by: 'self' },
        });
      // The login's own check, throttled per account and address: an open session is not a free
      // oracle for guessing the password.
      try {
        await deps.checkPassword(c, { email: principal.user.email, password: currentPassword }, 'password-change');
      } catch (error) {
        if (error instanceof AppError && error.code === 'InvalidCredentials') {
          await outcome(false);
          throw new AppError('InvalidCredentials', 'the current password is wrong');
        }
        throw error;
      }
      await repos.users.update(principal.tenant.id, principal.user.id, { passwordHash: await hashPassword(newPassword) });
      deps.principals.forgetUser(principal.user.id);
      await outcome(true);
      return c.json({ changed: true });
    })
    .get('/users', async (c) => {
      const { tenant } = requireRole(c, 'admin');
      const users = await repos.users.listByTenant(tenant.id);
      return c.json({ users: users.map(userView) });
    })
    .post('/users', async (c) => {
      const { tenant } = requireRole(c, 'admin');
      const input = await readJson(c, newUserSchema);
      if (await repos.users.findByEmail(input.email)) throw new AppError('Conflict', 'a user with this email exists');
      const user = await repos.users.create({
        tenantId: tenant.id,
        email: input.email,
        displayName: input.displayName,
        role: input.role,
        licensed: input.licensed,
        passwordHash: await hashPassword(input.password),
      });
      await audit(c, { eventCode: AuditEvent.UserSecurityAttributesChanged, action: 'C', outcome: Outcome.Success, objectType: 'user', objectId: user.id, detail: { role: user.role, licensed: user.licensed } });
      return c.json({ user: userView(user) }, 201);
    })
    .get('/users/:id', async (c) => {
      const { tenant } = requireRole(c, 'admin');
      const id = c.req.param('id');
      const user = isUuid(id) ? await repos.users.getInTenant(tenant.id, id) : undefined;
      if (!user) throw notFound('user');
      return c.json({ user: userView(user) });
    })
    .patch('/users/:id', async (c) => {
      const principal = requireRole(c, 'admin');
      const id = c.req.param('id');
      const changes = await readJson(c, userChangesSchema);
      if (id === principal.user.id && (changes.disabled || (changes.role && changes.role !== 'admin'))) {
        throw new AppError('Conflict', 'an admin cannot disable or demote their own account');
      }
      const { password: newPassword, ...rest } = changes;
      const user = isUuid(id)
        ? await repos.users.update(principal.tenant.id, id, {
            ...rest,
            ...(newPassword !== undefined && { passwordHash: await hashPassword(newPassword) }),
          })
        : undefined;
      if (!user) throw notFound('user');
      deps.principals.forgetUser(user.id);
      await audit(c, {
        eventCode: AuditEvent.UserSecurityAttributesChanged,
        action: 'U',
        outcome: Outcome.Success,
        objectType: 'user',
        objectId: user.id,
        detail: { changed: Object.keys(changes).sort() },
      });
      return c.json({ user: userView(user) });
    });
}
