import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';

import { dicomUidFor, isUuid, nameUuid, uuidToDicomUid } from './uid.js';

describe('name-based UUIDs', () => {
  it('is a version 5 UUID computed with SHA-1 as RFC 9562 §5.5 describes', () => {
    const uuid = nameUuid('report/1/Patient');
    expect(isUuid(uuid)).toBe(true);
    expect(uuid[14]).toBe('5');
    // Cross-check against Node's SHA-1.
    const ns = Buffer.from('a4f1c2e05b7d4c399e621f0d3b8a7c55', 'hex');
    const digest = createHash('sha1').update(Buffer.concat([ns, Buffer.from('report/1/Patient')])).digest();
    digest[6] = (digest[6]! & 0x0f) | 0x50;
    digest[8] = (digest[8]! & 0x3f) | 0x80;
    expect(uuid.replaceAll('-', '')).toBe(digest.subarray(0, 16).toString('hex'));
  });

  it('hashes long names spanning several SHA-1 blocks like Node does', () => {
    const name = '影像'.repeat(100);
    const ns = Buffer.from('a4f1c2e05b7d4c399e621f0d3b8a7c55', 'hex');
    const digest = createHash('sha1').update(Buffer.concat([ns, Buffer.from(name)])).digest('hex');
    expect(nameUuid(name).replaceAll('-', '').slice(0, 12)).toBe(digest.slice(0, 12));
  });
});

describe('DICOM UIDs from UUIDs (PS3.5 B.2)', () => {
  it('writes the UUID as one decimal integer under 2.25', () => {
    expect(uuidToDicomUid('f81d4fae-7dec-11d0-a765-00a0c91e6bf6')).toBe('2.25.329800735698586629295641978511506172918');
  });

  it('derives a stable UID for ids that are not UUIDs', () => {
    expect(dicomUidFor('measurement', 'm1')).toBe(dicomUidFor('measurement', 'm1'));
    expect(dicomUidFor('measurement', 'm1')).not.toBe(dicomUidFor('measurement', 'm2'));
    expect(dicomUidFor('measurement', 'm1').length).toBeLessThanOrEqual(64);
  });
});
