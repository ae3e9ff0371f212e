/**
 * The DICOM upper layer (PS3.8 Section 9): PDUs on a TCP stream, and the DIMSE command set
 * (PS3.7 Section 9/10, always Implicit VR Little Endian) that rides in P-DATA-TF.
 *
 * Why by hand and not `dcmjs-dimse` (npm 0.3.3, read at 05e7710, April 2026): it is the one
 * maintained pure-JS DIMSE library, but (1) its README says it is "a work-in-progress and should
 * not be used for production or clinical purposes"; (2) its PDU reader takes the peer's declared
 * PDU length as given and grows one buffer with `Buffer.concat` on every socket chunk
 * (src/Network.js `_process`), so a peer that announces a 4 GB PDU makes us buffer it, and
 * large PDUs cost quadratic copying: no memory bound per association, which issue #39 ("Memory
 * pressure ... it's very easy to crash the server ... by sending it a large enough DICOM") asks
 * for and which we must have; (3) every received data set is parsed by dcmjs before the handler
 * sees it (src/Dataset.js), while our pipeline must see the bytes as sent (it parses, validates
 * and rebuilds them itself); (4) it logs every DIMSE message at info level through loglevel,
 * command sets with original SOP Instance UIDs included; (5) it brings dcmjs and dcmjs-codecs
 * (WASM transcoders) we would never call. What we need is small and fully specified: association
 * negotiation, P-DATA-TF, C-ECHO and C-STORE as SCP and C-STORE as SCU. So this module is that,
 * with limits checked before any buffering.
 */

export const PduType = {
  AssociateRq: 0x01,
  AssociateAc: 0x02,
  AssociateRj: 0x03,
  PData: 0x04,
  ReleaseRq: 0x05,
  ReleaseRp: 0x06,
  Abort: 0x07,
} as const;

export const APPLICATION_CONTEXT = '1.2.840.10008.3.1.1.1';
export const VERIFICATION_SOP_CLASS = '1.2.840.10008.1.1';
export const IMPLICIT_VR_LE = '1.2.840.10008.1.2';
export const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';

/** A-ASSOCIATE-RJ reasons (PS3.8 9.3.4) by source. */
export const Reject = {
  /** Result 1 (permanent), source 1 (service user). */
  noReason: { result: 1, source: 1, reason: 1 },
  applicationContextNotSupported: { result: 1, source: 1, reason: 2 },
  callingAeNotRecognized: { result: 1, source: 1, reason: 3 },
  calledAeNotRecognized: { result: 1, source: 1, reason: 7 },
  /** Source 2 (ACSE): protocol version. */
  protocolVersionNotSupported: { result: 1, source: 2, reason: 2 },
  /** Transient, source 3 (presentation): congestion and limits. */
  temporaryCongestion: { result: 2, source: 3, reason: 1 },
  localLimitExceeded: { result: 2, source: 3, reason: 2 },
} as const;

export interface PresentationContextRq {
  id: number;
  abstractSyntax: string;
  transferSyntaxes: string[];
}

export interface AssociateRq {
  protocolVersion: number;
  calledAe: string;
  callingAe: string;
  applicationContext: string;
  contexts: PresentationContextRq[];
  maxPduLength: number;
  implementationClassUid: string;
  implementationVersion: string;
}

export interface PresentationContextAc {
  id: number;
  /** 0 acceptance, 1 user rejection, 2 no reason, 3 abstract syntax not supported, 4 transfer syntaxes not supported. */
  result: number;
  transferSyntax: string;
}

export interface AssociateAc {
  calledAe: string;
  callingAe: string;
  contexts: PresentationContextAc[];
  maxPduLength: number;
}

export class PduError extends Error {
  override readonly name = 'PduError';
}

const ascii = (buffer: Buffer, start: number, end: number) =>
  buffer.toString('latin1', start, end).replace(/[\0 ]+$/, '').replace(/^ +/, '');

function items(buffer: Buffer, start: number, end: number): { type: number; start: number; end: number }[] {
  const out = [];
  let offset = start;
  while (offset < end) {
    if (offset + 4 > end) throw new PduError('item header runs past the PDU');
    const type = buffer[offset]!;
    const length = buffer.readUInt16BE(offset + 2);
    if (offset + 4 + length > end) throw new PduError('item runs past the PDU');
    out.push({ type, start: offset + 4, end: offset + 4 + length });
    offset += 4 + length;
    if (out.length > 1024) throw new PduError('too many items');
  }
  return out;
}

/** Reads the variable part of an A-ASSOCIATE-RQ or -AC (both: AE titles at the same offsets). */
function readAssociate(body: Buffer) {
  if (body.length < 68) throw new PduError('association PDU too short');
  const out = {
    protocolVersion: body.readUInt16BE(0),
    calledAe: ascii(body, 4, 20),
    callingAe: ascii(body, 20, 36),
    applicationContext: '',
    requested: [] as PresentationContextRq[],
    accepted: [] as PresentationContextAc[],
    maxPduLength: 0,
    implementationClassUid: '',
    implementationVersion: '',
  };
  for (const item of items(body, 68, body.length)) {
    if (item.type === 0x10) out.applicationContext = ascii(body, item.start, item.end);
    else if (item.type === 0x20 || item.type === 0x21) {
      if (item.end - item.start < 4) throw new PduError('presentation context too short');
      const id = body[item.start]!;
      const result = body[item.start + 2]!;
      let abstractSyntax = '';
      const transferSyntaxes: string[] = [];
      for (const sub of items(body, item.start + 4, item.end)) {
        if (sub.type === 0x30) abstractSyntax = ascii(body, sub.start, sub.end);
        else if (sub.type === 0x40) transferSyntaxes.push(ascii(body, sub.start, sub.end));
      }
      if (item.type === 0x20) out.requested.push({ id, abstractSyntax, transferSyntaxes });
      else out.accepted.push({ id, result, transferSyntax: transferSyntaxes[0] ?? '' });
    } else if (item.type === 0x50) {
      for (const sub of items(body, item.start, item.end)) {
        if (sub.type === 0x51 && sub.end - sub.start >= 4) out.maxPduLength = body.readUInt32BE(sub.start);
        else if (sub.type === 0x52) out.implementationClassUid = ascii(body, sub.start, sub.end);
        else if (sub.type === 0x55) out.implementationVersion = ascii(body, sub.start, sub.end);
      }
    }
  }
  return out;
}

export function readAssociateRq(body: Buffer): AssociateRq {
  const r = readAssociate(body);
  return {
    protocolVersion: r.protocolVersion,
    calledAe: r.calledAe,
    callingAe: r.callingAe,
    applicationContext: r.applicationContext,
    contexts: r.requested,
    maxPduLength: r.maxPduLength,
    implementationClassUid: r.implementationClassUid,
    implementationVersion: r.implementationVersion,
  };
}

export function readAssociateAc(body: Buffer): AssociateAc {
  const r = readAssociate(body);
  return { calledAe: r.calledAe, callingAe: r.callingAe, contexts: r.accepted, maxPduLength: r.maxPduLength };
}

function pdu(type: number, body: Buffer): Buffer {
  const header = Buffer.alloc(6);
  header[0] = type;
  header.writeUInt32BE(body.length, 2);
  return Buffer.concat([header, body]);
}

function item(type: number, content: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header[0] = type;
  header.writeUInt16BE(content.length, 2);
  return Buffer.concat([header, content]);
}

const aeField = (ae: string) => Buffer.from(ae.padEnd(16, ' ').slice(0, 16), 'latin1');
const uidItem = (type: number, uid: string) => item(type, Buffer.from(uid, 'latin1'));

function userInformation(maxPduLength: number, implementationClassUid: string, implementationVersion: string): Buffer {
  const max = Buffer.alloc(4);
  max.writeUInt32BE(maxPduLength);
  return item(0x50, Buffer.concat([item(0x51, max), uidItem(0x52, implementationClassUid), uidItem(0x55, implementationVersion)]));
}

function associateBody(calledAe: string, callingAe: string, variable: Buffer[]): Buffer {
  const fixed = Buffer.alloc(68);
  fixed.writeUInt16BE(1, 0);
  aeField(calledAe).copy(fixed, 4);
  aeField(callingAe).copy(fixed, 20);
  return Buffer.concat([fixed, uidItem(0x10, APPLICATION_CONTEXT), ...variable]);
}

export function associateAcPdu(
  rq: AssociateRq,
  contexts: PresentationContextAc[],
  own: { maxPduLength: number; implementationClassUid: string; implementationVersion: string },
): Buffer {
  const pcs = contexts.map((pc) => item(0x21, Buffer.concat([Buffer.from([pc.id, 0, pc.result, 0]), uidItem(0x40, pc.transferSyntax)])));
  return pdu(PduType.AssociateAc, associateBody(rq.calledAe, rq.callingAe, [...pcs, userInformation(own.maxPduLength, own.implementationClassUid, own.implementationVersion)]));
}

export function associateRqPdu(
  calledAe: string,
  callingAe: string,
  contexts: PresentationContextRq[],
  own: { maxPduLength: number; implementationClassUid: string; implementationVersion: string },
): Buffer {
  const pcs = contexts.map((pc) =>
    item(0x20, Buffer.concat([Buffer.from([pc.id, 0, 0, 0]), uidItem(0x30, pc.abstractSyntax), ...pc.transferSyntaxes.map((ts) => uidItem(0x40, ts))])),
  );
  return pdu(PduType.AssociateRq, associateBody(calledAe, callingAe, [...pcs, userInformation(own.maxPduLength, own.implementationClassUid, own.implementationVersion)]));
}

export const associateRjPdu = (r: { result: number; source: number; reason: number }) => pdu(PduType.AssociateRj, Buffer.from([0, r.result, r.source, r.reason]));
export const releaseRqPdu = () => pdu(PduType.ReleaseRq, Buffer.alloc(4));
export const releaseRpPdu = () => pdu(PduType.ReleaseRp, Buffer.alloc(4));
/** Source 0 service user, 2 service provider; reason (provider) 0 not specified, 1 unrecognized PDU, 2 unexpected PDU, 6 invalid parameter value. */
export const abortPdu = (source: number, reason: number) => pdu(PduType.Abort, Buffer.from([0, 0, source, reason]));

export interface Pdv {
  contextId: number;
  command: boolean;
  last: boolean;
  value: Buffer;
}

export function readPData(body: Buffer): Pdv[] {
  const out: Pdv[] = [];
  let offset = 0;
  while (offset < body.length) {
    if (offset + 6 > body.length) throw new PduError('PDV header runs past the PDU');
    const length = body.readUInt32BE(offset);
    if (length < 2 || offset + 4 + length > body.length) throw new PduError('PDV runs past the PDU');
    const control = body[offset + 5]!;
    out.push({ contextId: body[offset + 4]!, command: (control & 1) === 1, last: (control & 2) === 2, value: body.subarray(offset + 6, offset + 4 + length) });
    offset += 4 + length;
  }
  return out;
}

/**
 * P-DATA-TF PDUs carrying one message part (a command or a data set), each PDU no longer than
 * the peer's maximum (0: no limit; we still cut at 1 MiB).
 */
export function* pDataPdus(contextId: number, command: boolean, value: Uint8Array, peerMaxPduLength: number): Generator<Buffer> {
  const max = peerMaxPduLength > 0 ? Math.min(peerMaxPduLength, 1 << 20) : 1 << 20;
  const chunk = Math.max(max - 6, 1);
  let offset = 0;
  do {
    const end = Math.min(offset + chunk, value.length);
    const last = end >= value.length;
    const header = Buffer.alloc(12);
    header[0] = PduType.PData;
    header.writeUInt32BE(6 + end - offset, 2);
    header.writeUInt32BE(2 + end - offset, 6);
    header[10] = contextId;
    header[11] = (command ? 1 : 0) | (last ? 2 : 0);
    yield Buffer.concat([header, value.subarray(offset, end)]);
    offset = end;
  } while (offset < value.length);
}

/**
 * Splits a TCP stream into PDUs, refusing one longer than `maxPduBytes` before buffering it.
 * Chunks are joined once per PDU, not once per chunk.
 */
export class PduReader {
  private chunks: Buffer[] = [];
  private bytes = 0;

  constructor(private readonly maxPduBytes: number) {}

  /** Feeds bytes; returns the complete PDUs now available. Throws PduError on an oversized or unknown PDU. */
  push(chunk: Buffer): { type: number; body: Buffer }[] {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    const out: { type: number; body: Buffer }[] = [];
    for (;;) {
      if (this.bytes < 6) return out;
      if (this.chunks[0]!.length < 6) this.chunks = [Buffer.concat(this.chunks, this.bytes)];
      const head = this.chunks[0]!;
      const type = head[0]!;
      if (type < PduType.AssociateRq || type > PduType.Abort) throw new PduError('unrecognized PDU type');
      const length = head.readUInt32BE(2);
      if (length > this.maxPduBytes) throw new PduError('PDU longer than the negotiated maximum');
      if (this.bytes < 6 + length) return out;
      const all = this.chunks.length === 1 ? head : Buffer.concat(this.chunks, this.bytes);
      out.push({ type, body: all.subarray(6, 6 + length) });
      const rest = all.subarray(6 + length);
      this.chunks = rest.length ? [rest] : [];
      this.bytes = rest.length;
    }
  }
}

// ---- DIMSE command sets (PS3.7 E.1), Implicit VR Little Endian ----

export const Command = {
  CStoreRq: 0x0001,
  CStoreRsp: 0x8001,
  CEchoRq: 0x0030,
  CEchoRsp: 0x8030,
} as const;

export const NO_DATA_SET = 0x0101;

export interface CommandSet {
  affectedSopClassUid?: string;
  commandField: number;
  messageId?: number;
  messageIdBeingRespondedTo?: number;
  priority?: number;
  commandDataSetType: number;
  status?: number;
  affectedSopInstanceUid?: string;
  errorComment?: string;
}

const elements: [keyof CommandSet, number, 'UI' | 'US' | 'LO'][] = [
  ['affectedSopClassUid', 0x0002, 'UI'],
  ['commandField', 0x0100, 'US'],
  ['messageId', 0x0110, 'US'],
  ['messageIdBeingRespondedTo', 0x0120, 'US'],
  ['priority', 0x0700, 'US'],
  ['commandDataSetType', 0x0800, 'US'],
  ['status', 0x0900, 'US'],
  ['errorComment', 0x0902, 'LO'],
  ['affectedSopInstanceUid', 0x1000, 'UI'],
];

export function readCommand(bytes: Buffer): CommandSet {
  const out: Partial<CommandSet> = {};
  let offset = 0;
  while (offset + 8 <= bytes.length) {
    const group = bytes.readUInt16LE(offset);
    const element = bytes.readUInt16LE(offset + 2);
    const length = bytes.readUInt32LE(offset + 4);
    const start = offset + 8;
    if (group !== 0 || start + length > bytes.length) throw new PduError('malformed command set');
    const known = elements.find(([, e]) => e === element);
    if (known) {
      const [key, , vr] = known;
      (out as Record<string, unknown>)[key] = vr === 'US' ? (length >= 2 ? bytes.readUInt16LE(start) : 0) : ascii(bytes, start, start + length);
    }
    offset = start + length;
  }
  if (out.commandField === undefined || out.commandDataSetType === undefined) throw new PduError('command set without Command Field or Command Data Set Type');
  return out as CommandSet;
}

export function writeCommand(command: CommandSet): Buffer {
  const parts: Buffer[] = [];
  for (const [key, element, vr] of elements) {
    const value = command[key];
    if (value === undefined) continue;
    let data: Buffer;
    if (vr === 'US') {
      data = Buffer.alloc(2);
      data.writeUInt16LE(value as number);
    } else {
      data = Buffer.from(String(value), 'latin1');
      if (data.length % 2) data = Buffer.concat([data, Buffer.from(vr === 'UI' ? [0] : [0x20])]);
    }
    const header = Buffer.alloc(8);
    header.writeUInt16LE(0, 0);
    header.writeUInt16LE(element, 2);
    header.writeUInt32LE(data.length, 4);
    parts.push(header, data);
  }
  const body = Buffer.concat(parts);
  const groupLength = Buffer.alloc(12);
  groupLength.writeUInt32LE(4, 4);
  groupLength.writeUInt32LE(body.length, 8);
  return Buffer.concat([groupLength, body]);
}

// ---- Part 10 framing of a received data set ----

function metaElement(element: number, vr: 'OB' | 'UI' | 'SH' | 'UL', value: Buffer): Buffer {
  if (vr === 'OB') {
    const header = Buffer.alloc(12);
    header.writeUInt16LE(2, 0);
    header.writeUInt16LE(element, 2);
    header.write('OB', 4, 'latin1');
    header.writeUInt32LE(value.length, 8);
    return Buffer.concat([header, value]);
  }
  const header = Buffer.alloc(8);
  header.writeUInt16LE(2, 0);
  header.writeUInt16LE(element, 2);
  header.write(vr, 4, 'latin1');
  header.writeUInt16LE(value.length, 6);
  return Buffer.concat([header, value]);
}

const evenText = (text: string, pad: number) => {
  const bytes = Buffer.from(text, 'latin1');
  return bytes.length % 2 ? Buffer.concat([bytes, Buffer.from([pad])]) : bytes;
};

/** The preamble and file meta information (PS3.10 7.1) for a data set received in `transferSyntax`. */
export function part10Header(sopClassUid: string, sopInstanceUid: string, transferSyntax: string, implementationClassUid: string, implementationVersion: string): Buffer {
  const group = Buffer.concat([
    metaElement(0x0001, 'OB', Buffer.from([0, 1])),
    metaElement(0x0002, 'UI', evenText(sopClassUid, 0)),
    metaElement(0x0003, 'UI', evenText(sopInstanceUid, 0)),
    metaElement(0x0010, 'UI', evenText(transferSyntax, 0)),
    metaElement(0x0012, 'UI', evenText(implementationClassUid, 0)),
    metaElement(0x0013, 'SH', evenText(implementationVersion, 0x20)),
  ]);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(group.length);
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), metaElement(0x0000, 'UL', length), group]);
}
