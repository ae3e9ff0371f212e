import type { Context } from 'hono';

/** How the server names itself in absolute links (RetrieveURL, BulkDataURI, Location). */
export interface PublicUrlOptions {
  /** `PUBLIC_URL`: the address clients use, e.g. `https://yunzhen.example.org` (a path prefix is kept). */
  publicUrl?: string;
  /** `TRUST_PROXY`: take scheme and host from `Forwarded` or `X-Forwarded-Proto/Host` when no `PUBLIC_URL` is set. */
  trustProxy: boolean;
  /** Where this process listens, for a server reached directly (never the request's own `Host`). */
  listenOrigin: () => string;
}

/** A host as a proxy may forward it: a name or IPv4 address, or a bracketed IPv6 address, with an optional port. */
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*\.?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** The first element of a `Forwarded` header (RFC 7239 §4): the one the nearest client-facing proxy wrote. */
function fromForwarded(header: string): { proto?: string; host?: string } {
  const first = header.split(',')[0] ?? '';
  const out: { proto?: string; host?: string } = {};
  for (const pair of first.split(';')) {
    const at = pair.indexOf('=');
    if (at < 0) continue;
    const name = pair.slice(0, at).trim().toLowerCase();
    const value = pair.slice(at + 1).trim().replace(/^"(.*)"$/, '$1');
    if (name === 'proto') out.proto = value.toLowerCase();
    if (name === 'host') out.host = value;
  }
  return out;
}

/**
 * The base of absolute links for a request, without a trailing slash. `PUBLIC_URL` first;
 * else, behind a trusted proxy, what the proxy forwarded (checked: http or https, a well-formed
 * host); else where the server listens. The raw `Host` header is never used: a client could
 * put anything there (links to another site in a stored answer), and one that leaves the port
 * out gets unreachable links.
 */
export function publicBase(c: Context, options: PublicUrlOptions): string {
  if (options.publicUrl) return options.publicUrl;
  if (options.trustProxy) {
    const forwarded = c.req.header('Forwarded');
    const { proto, host } = forwarded
      ? fromForwarded(forwarded)
      : { proto: c.req.header('X-Forwarded-Proto')?.split(',')[0]?.trim().toLowerCase(), host: c.req.header('X-Forwarded-Host')?.split(',')[0]?.trim() };
    if (host && HOST.test(host) && (proto === undefined || proto === 'http' || proto === 'https')) return `${proto ?? 'http'}://${host.toLowerCase()}`;
  }
  return options.listenOrigin();
}

/** `PUBLIC_URL` as configured: an http(s) URL without query or fragment, kept without its trailing slash. */
export function normalizePublicUrl(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash || url.username || url.password) return null;
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
