import type { Context } from 'hono';

import type { Repositories } from '@yunzhen/db';

import type { AppEnv } from '../app-env.js';
import { AuditEvent, Outcome, type AuditWriter } from '../audit.js';
import { AppError } from '../errors.js';
import type { LoginThrottle } from './login-throttle.js';
import { verifyPassword } from './passwords.js';

export interface PasswordCheckDeps {
  repos: Repositories;
  audit: AuditWriter;
  throttle: LoginThrottle;
  sourceIp: (c: Context<AppEnv>) => string | null;
}

/**
 * Checks an email and password, throttling guesses and auditing every outcome (110114): the
 * one password check of the browser login, API tokens, the OpenID Connect login page and a
 * user's change of their own password.
 */
export function createPasswordCheck(deps: PasswordCheckDeps) {
  const { repos, audit, throttle } = deps;
  return async function checkPassword(c: Context<AppEnv>, credentials: { email: string; password: string }, via: 'session' | 'token' | 'oidc' | 'password-change') {
    const { email, password } = credentials;
    const attempt = { account: email.toLowerCase(), address: deps.sourceIp(c) };
    const wait = await throttle.admit(attempt);
    if (wait > 0) {
      await audit(c, { eventCode: AuditEvent.UserAuthentication, action: 'E', outcome: Outcome.MinorFailure, detail: { via, reason: 'TooManyAttempts' } });
      throw new AppError('TooManyAttempts', 'too many failed logins, retry later', { retryAfterSeconds: wait });
    }
    const user = await repos.users.findByEmail(email);
    const valid = await verifyPassword(user && !user.disabled_at ? user.password_hash : null, password);
    const tenant = valid && user ? await repos.tenants.get(user.tenant_id) : undefined;
    if (!user || !valid || !tenant) {
      // Already counted as a failure when admitted.
      await audit(c, {
        eventCode: AuditEvent.UserAuthentication,
        action: 'E',
        outcome: Outcome.MinorFailure,
        userId: user?.id ?? null,
        tenantId: user?.tenant_id ?? null,
        detail: { via, reason: 'InvalidCredentials' },
      });
      throw new AppError('InvalidCredentials', 'email or password is wrong');
    }
    await throttle.succeeded(attempt);
    await audit(c, { eventCode: AuditEvent.UserAuthentication, action: 'E', outcome: Outcome.Success, userId: user.id, tenantId: tenant.id, detail: { via } });
    return { user, tenant };
  };
}
