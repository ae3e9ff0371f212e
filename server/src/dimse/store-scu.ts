import { connect, isIP, type Socket } from 'node:net';
import { connect as connectTls, rootCertificates, type TLSSocket } from 'node:tls';

import { implementationClassUid, implementationVersionName } from '@yunzhen/dicom';

import {
  associateRqPdu,
  Command,
  NO_DATA_SET,
  PduError,
  PduReader,
  PduType,
  pDataPdus,
  readAssociateAc,
  readCommand,
  readPData,
  releaseRqPdu,
  writeCommand,
} from './pdu.js';

export interface StoreTarget {
  host: string;
  port: number;
  /** The PACS's AE title (called AE). */
  calledAe: string;
  /** Ours (calling AE). */
  callingAe: string;
  /** DICOM TLS to this PACS: its certificate pinned by fingerprint, or verified against the CAs. */
  tls?: StoreTls;
}

export interface StoreTls {
  /** SHA-256 of the PACS's certificate (lowercase hex); when set, that certificate and no other. */
  certificateSha256: string | null;
  /** Our certificate and key, for a PACS that asks for a client certificate. */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** CAs trusted for an unpinned PACS certificate, besides Node's bundled roots. */
  ca?: string | Buffer;
}

/** Opens the TCP or TLS connection; a TLS socket is ready at 'secureConnect', a plain one at 'connect'. */
function open(target: StoreTarget): { socket: Socket; ready: 'connect' | 'secureConnect' } {
  if (!target.tls) return { socket: connect({ host: target.host, port: target.port }), ready: 'connect' };
  const { certificateSha256, cert, key, ca } = target.tls;
  const socket: TLSSocket = connectTls({
    host: target.host,
    port: target.port,
    ...(!isIP(target.host) && { servername: target.host }),
    minVersion: 'TLSv1.2',
    cert,
    key,
    ca: ca ? [...rootCertificates, ca.toString()] : undefined,
    // A pinned certificate is checked by its fingerprint below instead of by a CA.
    rejectUnauthorized: !certificateSha256,
  });
  if (certificateSha256) {
    socket.once('secureConnect', () => {
      const presented = socket.getPeerCertificate()?.fingerprint256?.replace(/:/g, '').toLowerCase();
      if (presented !== certificateSha256) socket.destroy(Object.assign(new Error('certificate mismatch'), { code: 'PINNED_CERTIFICATE_MISMATCH' }));
    });
  }
  return { socket, ready: 'secureConnect' };
}

/** TLS failures in words: which side's certificate, and the code to look up. */
function tlsWords(code: string): string | undefined {
  if (code === 'PINNED_CERTIFICATE_MISMATCH') return "the PACS's TLS certificate is not the one registered for the device (fingerprint differs)";
  if (/CERT|SELF_SIGNED|ALTNAME|UNABLE_TO_(GET|VERIFY)/.test(code)) return `the PACS's TLS certificate was not accepted (${code})`;
  if (/^ERR_SSL|^ERR_TLS|EPROTO/.test(code)) return `TLS handshake with the PACS failed (${code}); does it speak DICOM TLS on this port, and accept our certificate?`;
  return undefined;
}

/** One Part 10 file to send: SOP class, instance and transfer syntax are read from its meta. */
export interface StoreFile {
  bytes: Uint8Array;
}

/** Why a delivery failed, in words an admin can act on (shown on the consult page). */
export class StoreError extends Error {
  override readonly name = 'StoreError';
}

const rejectReasons: Record<string, string> = {
  '1/1': 'no reason given',
  '1/2': 'application context not supported',
  '1/3': 'our AE title is not known to the PACS (calling AE title not recognized)',
  '1/7': 'the PACS does not answer to this AE title (called AE title not recognized)',
  '2/2': 'protocol version not supported',
  '3/1': 'the PACS is busy (temporary congestion)',
  '3/2': 'the PACS has too many associations (local limit exceeded)',
};

interface MetaInfo {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  datasetOffset: number;
}

/** Reads the file meta group (explicit VR little endian) of a Part 10 file. */
export function readMeta(bytes: Uint8Array): MetaInfo {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.toString('latin1', 128, 132) !== 'DICM') throw new StoreError('not a DICOM Part 10 file');
  let offset = 132;
  const values: Record<number, string> = {};
  while (offset + 8 <= buffer.length && buffer.readUInt16LE(offset) === 2) {
    const element = buffer.readUInt16LE(offset + 2);
    const vr = buffer.toString('latin1', offset + 4, offset + 6);
    let length: number;
    let start: number;
    if (['OB', 'OW', 'OF', 'SQ', 'UT', 'UN'].includes(vr)) {
      length = buffer.readUInt32LE(offset + 8);
      start = offset + 12;
    } else {
      length = buffer.readUInt16LE(offset + 6);
      start = offset + 8;
    }
    if (vr === 'UI') values[element] = buffer.toString('latin1', start, start + length).replace(/[\0 ]+$/, '');
    offset = start + length;
  }
  const sopClassUid = values[0x0002];
  const sopInstanceUid = values[0x0003];
  const transferSyntaxUid = values[0x0010];
  if (!sopClassUid || !sopInstanceUid || !transferSyntaxUid) throw new StoreError('file meta without SOP class, instance or transfer syntax');
  return { sopClassUid, sopInstanceUid, transferSyntaxUid, datasetOffset: offset };
}

/**
 * Sends files to a PACS with C-STORE in one association (Storage SCU). Resolves with each
 * file's status when every one was answered; rejects with a StoreError in words otherwise.
 * A status other than success or warning is a failure of the whole delivery.
 */
export async function storeFiles(target: StoreTarget, files: StoreFile[], options: { timeoutMs?: number } = {}): Promise<{ status: number }[]> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const metas = files.map((f) => readMeta(f.bytes));
  // One presentation context per file (ids 1, 3, 5…), each with the file's own transfer syntax.
  const contexts = metas.map((m, i) => ({ id: 2 * i + 1, abstractSyntax: m.sopClassUid, transferSyntaxes: [m.transferSyntaxUid] }));

  const { socket, ready } = open(target);
  socket.setNoDelay(true);
  const reader = new PduReader(16 * 1024 * 1024);
  const queue: { type: number; body: Buffer }[] = [];
  let waiting: ((pdu: { type: number; body: Buffer } | Error) => void) | undefined;
  let failure: Error | undefined;
  const fail = (error: Error) => {
    failure ??= error;
    if (waiting) {
      const w = waiting;
      waiting = undefined;
      w(failure);
    }
  };
  socket.on('data', (chunk: Buffer) => {
    try {
      for (const pdu of reader.push(chunk)) {
        if (waiting) {
          const w = waiting;
          waiting = undefined;
          w(pdu);
        } else queue.push(pdu);
      }
    } catch (error) {
      fail(new StoreError(error instanceof PduError ? `the PACS sent an invalid answer (${error.message})` : 'the PACS sent an invalid answer'));
    }
  });
  socket.on('error', (error: NodeJS.ErrnoException) => {
    const words: Record<string, string> = {
      ECONNREFUSED: `connection refused by ${target.host}:${target.port} (is the PACS listening?)`,
      EHOSTUNREACH: `host ${target.host} unreachable`,
      ENOTFOUND: `host name ${target.host} not found`,
      ETIMEDOUT: `connection to ${target.host}:${target.port} timed out`,
      ECONNRESET: 'the PACS closed the connection',
    };
    fail(new StoreError(words[error.code ?? ''] ?? tlsWords(error.code ?? '') ?? `network error (${error.code ?? 'unknown'})`));
  });
  socket.on('close', () => fail(new StoreError('the PACS closed the connection')));
  socket.setTimeout(timeoutMs, () => {
    fail(new StoreError(`no answer from the PACS within ${Math.round(timeoutMs / 1000)} s`));
    socket.destroy();
  });
  const next = () =>
    new Promise<{ type: number; body: Buffer }>((resolve, reject) => {
      if (queue.length) return resolve(queue.shift()!);
      if (failure) return reject(failure);
      waiting = (value) => (value instanceof Error ? reject(value) : resolve(value));
    });

  try {
    await new Promise<void>((resolve, reject) => {
      socket.once(ready, resolve);
      const onError = () => reject(failure);
      socket.once('close', onError);
      socket.once(ready, () => socket.off('close', onError));
    });
    socket.write(associateRqPdu(target.calledAe, target.callingAe, contexts, { maxPduLength: 1 << 20, implementationClassUid, implementationVersion: implementationVersionName }));
    const answer = await next();
    if (answer.type === PduType.AssociateRj) {
      const key = `${answer.body[2]}/${answer.body[3]}`;
      throw new StoreError(`association rejected: ${rejectReasons[key] ?? `reason ${key}`}`);
    }
    if (answer.type !== PduType.AssociateAc) throw new StoreError('the PACS aborted the association');
    const ac = readAssociateAc(answer.body);
    const statuses: { status: number }[] = [];
    let messageId = 0;
    for (const [i, file] of files.entries()) {
      const meta = metas[i]!;
      const pc = ac.contexts.find((c) => c.id === contexts[i]!.id);
      if (!pc || pc.result !== 0) throw new StoreError(`the PACS does not accept ${meta.sopClassUid} in ${meta.transferSyntaxUid}`);
      messageId++;
      const command = writeCommand({
        affectedSopClassUid: meta.sopClassUid,
        commandField: Command.CStoreRq,
        messageId,
        priority: 0,
        commandDataSetType: 0x0000,
        affectedSopInstanceUid: meta.sopInstanceUid,
      });
      for (const pdu of pDataPdus(pc.id, true, command, ac.maxPduLength)) socket.write(pdu);
      for (const pdu of pDataPdus(pc.id, false, file.bytes.subarray(meta.datasetOffset), ac.maxPduLength)) {
        if (!socket.write(pdu)) await new Promise((resolve) => socket.once('drain', resolve));
      }
      const parts: Buffer[] = [];
      for (;;) {
        const pdu = await next();
        if (pdu.type === PduType.Abort) throw new StoreError('the PACS aborted the association');
        if (pdu.type !== PduType.PData) throw new StoreError('unexpected answer from the PACS');
        const pdvs = readPData(pdu.body);
        parts.push(...pdvs.filter((p) => p.command).map((p) => p.value));
        if (pdvs.some((p) => p.command && p.last)) break;
      }
      const response = readCommand(Buffer.concat(parts));
      if (response.commandField !== Command.CStoreRsp || response.commandDataSetType !== NO_DATA_SET) throw new StoreError('unexpected answer from the PACS');
      const status = response.status ?? 0xffff;
      if (status !== 0 && (status & 0xf000) !== 0xb000) {
        throw new StoreError(`the PACS refused the ${i === 0 ? 'first' : 'next'} object: status 0x${status.toString(16).toUpperCase().padStart(4, '0')}${response.errorComment ? ` (${response.errorComment.slice(0, 64)})` : ''}`);
      }
      statuses.push({ status });
    }
    socket.write(releaseRqPdu());
    const release = await next().catch(() => undefined);
    if (release && release.type !== PduType.ReleaseRp) throw new StoreError('the PACS did not release the association');
    return statuses;
  } finally {
    socket.destroy();
  }
}
