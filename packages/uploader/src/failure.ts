/**
 * What can go wrong between the uploader and the server, as reason codes with words in
 * `@yunzhen/dicom`'s table (so the uploader and the viewer say the same thing), and the one
 * `request` through which every call to the server goes, turning Node's `fetch failed` into
 * the cause a hospital's IT can act on.
 */

/** Codes the uploader produces itself (the server's and the DICOM engine's come from them). */
export const uploaderCodes = [
  'NetworkError',
  'ConnectionRefused',
  'HostNotFound',
  'HostUnreachable',
  'ConnectTimeout',
  'TlsError',
  'Redirected',
  'WrongServer',
  'TokenRefused',
  'TokenMalformed',
  'NotLoggedIn',
  'ServerUnavailable',
  'TooManyRequests',
  'PayloadTooLarge',
  'Forbidden',
  'InternalError',
  'Rejected',
  'Unreadable',
  'PathNotFound',
] as const;

export type UploaderCode = (typeof uploaderCodes)[number];

export interface FailureDetails {
  /** `host:port` of the server, for messages that say where. */
  endpoint?: string;
  /** HTTP status, when the server answered. */
  status?: number;
  /** Where a redirect pointed. */
  location?: string;
  /** Seconds the server asked to wait. */
  retryAfter?: number;
  /** A local file or folder the failure is about. */
  path?: string;
}

/**
 * An expected failure: the CLI prints its words, never a stack. `code` is a reason code: one
 * of `uploaderCodes` or one the server answered with (`InvalidCredentials`, `Forbidden`…).
 * Messages hold no token, password or server-sent text.
 */
export class UploaderFailure extends Error {
  override readonly name = 'UploaderFailure';
  constructor(
    readonly code: string,
    readonly details: FailureDetails = {},
  ) {
    super(`${code}${details.endpoint ? ` (${details.endpoint})` : ''}`);
  }
}

/** `host:port` of a server URL, the port spelled out even when it is the scheme's default. */
export function endpointOf(url: string | URL): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
}

/**
 * The reason code for an error thrown by `fetch` (undici): the system or TLS error code of its
 * cause (or of the first of several addresses tried, as for `localhost`).
 */
export function networkCode(error: unknown): UploaderCode {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'ConnectTimeout';
  const codes: string[] = [];
  const collect = (e: unknown, depth: number) => {
    if (!e || typeof e !== 'object' || depth > 4) return;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    if (e instanceof AggregateError) for (const inner of e.errors) collect(inner, depth + 1);
    collect((e as { cause?: unknown }).cause, depth + 1);
  };
  collect(error, 0);
  for (const code of codes) {
    if (code === 'ECONNREFUSED') return 'ConnectionRefused';
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME' || code === 'EAI_FAIL') return 'HostNotFound';
    if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EHOSTDOWN' || code === 'ENETDOWN') return 'HostUnreachable';
    if (code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'ConnectTimeout';
    if (/CERT|SSL|TLS|^EPROTO$|^ERR_TLS/.test(code)) return 'TlsError';
  }
  return 'NetworkError';
}

export interface RequestOptions {
  method?: string;
  token?: string;
  json?: unknown;
  headers?: Record<string, string>;
  body?: Uint8Array;
  /** Ends a call that gets no answer (not used for uploads, which may take long on a slow line). */
  timeoutMs?: number;
}

/**
 * One call to the server. Network failures become `UploaderFailure`s naming the cause and the
 * server's `host:port`; redirects are not followed (a POST would turn into a GET, and a
 * token must not follow to another host) but reported with where they point.
 */
export async function request(server: string, path: string, options: RequestOptions = {}): Promise<Response> {
  const url = `${server}${path}`;
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  if (options.json !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(url, {
      method: options.method ?? 'GET',
      headers,
      body: options.json !== undefined ? JSON.stringify(options.json) : options.body,
      redirect: 'manual',
      signal: options.timeoutMs ? AbortSignal.timeout(options.timeoutMs) : undefined,
    });
  } catch (error) {
    throw new UploaderFailure(networkCode(error), { endpoint: endpointOf(url) });
  }
  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel();
    const location = response.headers.get('Location');
    throw new UploaderFailure('Redirected', { endpoint: endpointOf(url), status: response.status, location: location ? new URL(location, url).origin : undefined });
  }
  return response;
}

/** The JSON body of a Yunzhen answer, or `undefined` when the answer is not JSON. */
export async function jsonOf(response: Response): Promise<unknown> {
  if (!/json/i.test(response.headers.get('Content-Type') ?? '')) {
    await response.body?.cancel();
    return undefined;
  }
  try {
    return await response.json();
  } catch {
    return undefined;
  }
}

/** The reason code of a Yunzhen error answer (`{ error: { code } }`), if it is one. */
export function yunzhenErrorCode(body: unknown): string | undefined {
  const code = (body as { error?: { code?: unknown } } | undefined)?.error?.code;
  return typeof code === 'string' && /^[A-Za-z]+$/.test(code) ? code : undefined;
}

/**
 * The failure for an answer that was not what a Yunzhen server says on success: the server's
 * own code when it gave one (`TokenRefused` for a 401 to a token), else what the HTTP status
 * means, else `WrongServer` (a web page, another application, a proxy's error page).
 */
export function failureOf(response: Response, body: unknown, server: string, options: { withToken?: boolean } = {}): UploaderFailure {
  const endpoint = endpointOf(server);
  const retryAfter = Number(response.headers.get('Retry-After')) || undefined;
  const details = { endpoint, status: response.status, retryAfter };
  const code = yunzhenErrorCode(body);
  // Every path the uploader calls exists on a Yunzhen server: a 404 or 405 means the address is not one (or not its root).
  if (response.status === 404 || response.status === 405) return new UploaderFailure('WrongServer', details);
  if (response.status === 401 && options.withToken && code === 'Unauthenticated') return new UploaderFailure('TokenRefused', details);
  if (code) return new UploaderFailure(code, details);
  if (response.status === 413) return new UploaderFailure('PayloadTooLarge', details);
  if (response.status === 429) return new UploaderFailure('TooManyRequests', details);
  if (response.status === 502 || response.status === 503 || response.status === 504) return new UploaderFailure('ServerUnavailable', details);
  return new UploaderFailure('WrongServer', details);
}
