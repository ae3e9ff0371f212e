import { BlockList, isIP } from 'node:net';

/** `10.1.2.0/24`, `10.1.2.7` (one host), `fd00::/8`: a canonical CIDR, or undefined when not one. */
export function parseCidr(text: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address = '', prefixText, extra] = text.trim().split('/');
  if (extra !== undefined) return undefined;
  const version = isIP(address);
  if (!version) return undefined;
  const max = version === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/**
 * Whether a peer's address is inside one of a device's CIDRs. IPv4 peers on a dual-stack
 * socket arrive as `::ffff:a.b.c.d` and are compared as IPv4.
 */
export function addressAllowed(remote: string | undefined, cidrs: readonly string[]): boolean {
  if (!remote) return false;
  const address = remote.startsWith('::ffff:') && isIP(remote.slice(7)) === 4 ? remote.slice(7) : remote;
  const version = isIP(address);
  if (!version) return false;
  const list = new BlockList();
  for (const cidr of cidrs) {
    const parsed = parseCidr(cidr);
    if (parsed) list.addSubnet(parsed.address, parsed.prefix, parsed.family);
  }
  return list.check(address, version === 4 ? 'ipv4' : 'ipv6');
}

/** PS3.5 AE title: 1–16 characters of the default repertoire, no backslash or control characters, not only spaces. */
export function isAeTitle(text: string): boolean {
  return text.length >= 1 && text.length <= 16 && /^[\x20-\x7e]+$/.test(text) && !text.includes('\\') && text.trim().length > 0;
}
