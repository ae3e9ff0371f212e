import { describe, expect, test } from 'vitest';
import { implementationClassUid, isValidUid, uidFromBytes } from './uid.js';

describe('UIDs', () => {
  test('PS3.5 9.1 conformance', () => {
    for (const uid of ['1.2.840.10008.1.2.1', '2.25.0', '1.2', implementationClassUid]) expect(isValidUid(uid), uid).toBe(true);
    for (const uid of ['', '1', '1.02', '1..2', '1.2.', '.1.2', '1.2a', '1.2 ', `1.${'2'.repeat(63)}`]) expect(isValidUid(uid), uid).toBe(false);
  });

  test('uidFromBytes makes a 2.25 UID from a version 4 UUID', () => {
    const uid = uidFromBytes(new Uint8Array(16).fill(0xff));
    expect(uid).toMatch(/^2\.25\.[1-9]\d*$/);
    expect(isValidUid(uid)).toBe(true);
    const value = BigInt(uid.slice(5));
    expect((value >> 76n) & 0xfn).toBe(4n);
    expect((value >> 62n) & 0x3n).toBe(2n);
    expect(uidFromBytes(new Uint8Array(16))).toBe(uidFromBytes(new Uint8Array(16)));
    expect(() => uidFromBytes(new Uint8Array(15))).toThrow(TypeError);
  });
});
