/** Getting, checking and revoking the API token the uploader sends (`/api/auth/token`, `/api/me`, `/api/auth/logout`). */
import { failureOf, jsonOf, request, UploaderFailure, endpointOf } from './failure.js';

const CALL_TIMEOUT_MS = 60_000;

export interface Account {
  email: string;
  displayName: string;
  role: string;
  licensed: boolean;
  hospital: string;
  hospitalKind: string;
}

/** Exchanges email and password for an API token (`yz_…`). */
export async function requestToken(server: string, email: string, password: string): Promise<{ token: string; expiresAt?: string }> {
  const response = await request(server, '/api/auth/token', { method: 'POST', json: { email, password }, timeoutMs: CALL_TIMEOUT_MS });
  const body = (await jsonOf(response)) as { token?: unknown; expiresAt?: unknown } | undefined;
  if (response.status === 200 && typeof body?.token === 'string' && body.token.startsWith('yz_')) {
    return { token: body.token, expiresAt: typeof body.expiresAt === 'string' ? body.expiresAt : undefined };
  }
  if (response.ok) throw new UploaderFailure('WrongServer', { endpoint: endpointOf(server), status: response.status });
  throw failureOf(response, body, server);
}

/** Who the token belongs to. */
export async function whoAmI(server: string, token: string): Promise<Account> {
  const response = await request(server, '/api/me', { token, timeoutMs: CALL_TIMEOUT_MS });
  const body = (await jsonOf(response)) as { user?: Record<string, unknown>; tenant?: Record<string, unknown> } | undefined;
  if (response.ok && body?.user && body.tenant) {
    return {
      email: String(body.user.email),
      displayName: String(body.user.displayName ?? body.user.email),
      role: String(body.user.role),
      licensed: body.user.licensed === true,
      hospital: String(body.tenant.name),
      hospitalKind: String(body.tenant.kind),
    };
  }
  if (response.ok) throw new UploaderFailure('WrongServer', { endpoint: endpointOf(server), status: response.status });
  throw failureOf(response, body, server, { withToken: true });
}

/** Revokes the token on the server. A token the server no longer accepts counts as revoked. */
export async function revokeToken(server: string, token: string): Promise<void> {
  const response = await request(server, '/api/auth/logout', { method: 'POST', token, timeoutMs: CALL_TIMEOUT_MS });
  if (response.status === 204 || response.status === 200) {
    await response.body?.cancel();
    return;
  }
  const body = await jsonOf(response);
  const failure = failureOf(response, body, server, { withToken: true });
  if (failure.code === 'TokenRefused') return;
  throw failure;
}
