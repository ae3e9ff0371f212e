import { describe, expect, it } from 'vitest';

import { addressAllowed, isAeTitle, parseCidr } from './addresses.js';
import { associateRqPdu, PduError, PduReader, part10Header, readAssociateRq, readCommand, writeCommand } from './pdu.js';
import { storeStatus } from './storage-scp.js';
import { readMeta } from './store-scu.js';

describe('DIMSE upper layer pieces', () => {
  it('reads back an A-ASSOCIATE-RQ it wrote, split across chunks at every offset', () => {
    const pdu = associateRqPdu('YUNZHEN', 'XUHUI_CT', [{ id: 1, abstractSyntax: '1.2.840.10008.5.1.4.1.1.2', transferSyntaxes: ['1.2.840.10008.1.2.1', '1.2.840.10008.1.2'] }], {
      maxPduLength: 16384,
      implementationClassUid: '1.2.3',
      implementationVersion: 'TEST',
    });
    for (let cut = 1; cut < pdu.length; cut += 7) {
      const reader = new PduReader(64 * 1024);
      expect(reader.push(pdu.subarray(0, cut))).toEqual([]);
      const [read] = reader.push(pdu.subarray(cut));
      const rq = readAssociateRq(read!.body);
      expect(rq).toMatchObject({ calledAe: 'YUNZHEN', callingAe: 'XUHUI_CT', maxPduLength: 16384, implementationClassUid: '1.2.3', implementationVersion: 'TEST' });
      expect(rq.contexts).toEqual([{ id: 1, abstractSyntax: '1.2.840.10008.5.1.4.1.1.2', transferSyntaxes: ['1.2.840.10008.1.2.1', '1.2.840.10008.1.2'] }]);
    }
  });

  it('refuses a PDU longer than the limit and an unknown PDU type before buffering them', () => {
    expect(() => new PduReader(1000).push(Buffer.from([4, 0, 0, 0, 0x10, 0]))).toThrow(PduError);
    expect(() => new PduReader(1000).push(Buffer.from([9, 0, 0, 0, 0, 4, 0, 0, 0, 0]))).toThrow(/unrecognized/);
  });

  it('writes and reads command sets with odd-length UIDs padded', () => {
    const command = { affectedSopClassUid: '1.2.840.10008.5.1.4.1.1.2', commandField: 0x8001, messageIdBeingRespondedTo: 7, commandDataSetType: 0x0101, status: 0xa900, errorComment: 'x', affectedSopInstanceUid: '1.2.3' };
    expect(readCommand(writeCommand(command))).toEqual(command);
  });

  it('frames a received data set as Part 10 whose meta the SCU reads back', () => {
    const header = part10Header('1.2.840.10008.5.1.4.1.1.7', '1.2.3.4.5', '1.2.840.10008.1.2.5', '1.2.3', 'V1');
    expect(readMeta(header)).toEqual({ sopClassUid: '1.2.840.10008.5.1.4.1.1.7', sopInstanceUid: '1.2.3.4.5', transferSyntaxUid: '1.2.840.10008.1.2.5', datasetOffset: header.length });
  });

  it('maps pipeline outcomes to C-STORE status classes', () => {
    const stored = { status: 'stored', studyId: 's', studyInstanceUid: '1', seriesInstanceUid: '2', sopClassUid: '3', sopInstanceUid: '4', sentSopInstanceUid: '5', sizeBytes: 1 } as const;
    expect(storeStatus({ ...stored, pixelReview: false }).status).toBe(0x0000);
    expect(storeStatus({ ...stored, status: 'duplicate', pixelReview: false }).status).toBe(0x0000);
    expect(storeStatus({ ...stored, pixelReview: true }).status).toBe(0xb000);
    const rejected = (code: string) => storeStatus({ status: 'rejected', code: code as never, message: '' });
    expect(rejected('InstanceTooLarge').status).toBe(0xa700);
    expect(rejected('MissingPixelData').status).toBe(0xa900);
    expect(rejected('Truncated').status).toBe(0xc000);
    expect(rejected('InstanceConflict').status).toBe(0xc001);
    expect(rejected('PatientMismatch').status).toBe(0xc002);
    for (const code of ['InstanceTooLarge', 'MissingPixelData', 'UnsupportedCharacterSet', 'PatientMismatch']) expect(rejected(code).comment!.length).toBeLessThanOrEqual(64);
  });

  it('checks addresses against CIDRs, IPv4-mapped IPv6 included, and AE titles', () => {
    expect(addressAllowed('10.20.3.4', ['10.20.0.0/16'])).toBe(true);
    expect(addressAllowed('::ffff:10.20.3.4', ['10.20.0.0/16'])).toBe(true);
    expect(addressAllowed('10.21.3.4', ['10.20.0.0/16'])).toBe(false);
    expect(addressAllowed('::1', ['127.0.0.1'])).toBe(false);
    expect(addressAllowed(undefined, ['0.0.0.0/0'])).toBe(false);
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(parseCidr('fd00::/8')).toMatchObject({ family: 'ipv6', prefix: 8 });
    expect(isAeTitle('XUHUI CT 1')).toBe(true);
    expect(isAeTitle('   ')).toBe(false);
    expect(isAeTitle('A\\B')).toBe(false);
    expect(isAeTitle('12345678901234567')).toBe(false);
  });
});
