import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, TLSSocket } from 'node:tls';

import type { Logger } from 'pino';

import { implementationClassUid, implementationVersionName, supportedTransferSyntaxes } from '@yunzhen/dicom';
import { asSystem, type DicomDevice, type Repositories } from '@yunzhen/db';

import { AuditEvent, Outcome } from '../audit.js';
import { describeForLog } from '../errors.js';
import type { IngestInstance, InstanceOutcome } from '../ingest/ingest-pipeline.js';
import { addressAllowed } from './addresses.js';
import {
  abortPdu,
  APPLICATION_CONTEXT,
  associateAcPdu,
  associateRjPdu,
  Command,
  IMPLICIT_VR_LE,
  NO_DATA_SET,
  part10Header,
  PduError,
  PduReader,
  PduType,
  pDataPdus,
  readAssociateRq,
  readCommand,
  readPData,
  Reject,
  releaseRpPdu,
  VERIFICATION_SOP_CLASS,
  writeCommand,
  type AssociateRq,
  type CommandSet,
  type PresentationContextAc,
} from './pdu.js';

export interface StorageScpDeps {
  repos: Repositories;
  ingest: IngestInstance;
  logger: Logger;
  /** Our AE title: associations calling another are refused. */
  aeTitle: string;
  /** Largest instance accepted (MAX_INSTANCE_MB): the memory bound of an association. */
  maxInstanceBytes: number;
  /** Concurrent associations; more are refused as a transient local limit. */
  maxAssociations?: number;
  /** An association that sends nothing for this long is aborted. */
  idleTimeoutMs?: number;
  now?: () => Date;
}

/** Maximum P-DATA-TF PDU we receive (advertised in A-ASSOCIATE-AC). */
export const MAX_PDU_LENGTH = 1 << 20;
/** An A-ASSOCIATE-RQ is a few KB; 64 KB is generous and bounds what an unknown peer can make us hold. */
const MAX_ASSOCIATE_RQ_LENGTH = 64 * 1024;

/** Storage SOP classes live under this root (PS3.4 Annex B.5); Query/Retrieve, worklists etc. do not. */
const STORAGE_ROOT = '1.2.840.10008.5.1.4.1.1.';

/**
 * C-STORE response status (PS3.4 B.2.3, PS3.7 C) for a pipeline outcome, with a comment
 * (at most 64 characters, never patient data) that storescu and PACS logs show.
 */
export function storeStatus(outcome: InstanceOutcome): { status: number; comment?: string } {
  if (outcome.status !== 'rejected') {
    // Stored, but the reading centre sees it only after someone at the hospital has checked
    // its pixels for burned-in identity: a warning the sender should notice.
    return outcome.pixelReview ? { status: 0xb000, comment: 'stored; held for pixel review (burned-in text)' } : { status: 0x0000 };
  }
  switch (outcome.code) {
    case 'InstanceTooLarge':
    case 'DecompressionBomb':
    case 'TooManyElements':
      return { status: 0xa700, comment: `refused: ${outcome.code} (over the configured limit)` };
    case 'MissingRequiredUid':
    case 'MissingPixelData':
    case 'ImpossiblePixelGeometry':
    case 'CorruptPixelData':
    case 'NotAnInstance':
      return { status: 0xa900, comment: `data set does not match SOP class: ${outcome.code}` };
    case 'UidConflict':
    case 'InstanceConflict':
      return { status: 0xc001, comment: `refused: ${outcome.code} (UID already used otherwise)` };
    case 'PatientMismatch':
      return { status: 0xc002, comment: 'refused: PatientMismatch (another patient than its study)' };
    default:
      return { status: 0xc000, comment: `cannot understand: ${outcome.code}`.slice(0, 64) };
  }
}

interface Stats {
  stored: number;
  duplicate: number;
  rejected: number;
  held: number;
  reasons: Set<string>;
}

/**
 * The DIMSE listener: Verification and Storage SCP. An association is accepted only from a
 * registered, enabled device that may send (calling AE title and source address), and every
 * C-STORE goes through the one ingest pipeline, attributed to the device's hospital. One
 * instance is held at a time per association (at most MAX_INSTANCE_MB; beyond, the rest of
 * the data set is read and dropped, and the answer is A700).
 */
export function createStorageScp(deps: StorageScpDeps) {
  const maxAssociations = deps.maxAssociations ?? 64;
  const idleTimeoutMs = deps.idleTimeoutMs ?? 5 * 60 * 1000;
  const sockets = new Set<Socket>();
  const servers: Server[] = [];

  const auditRecord = (entry: Parameters<Repositories['audit']['record']>[0]) =>
    deps.repos.audit.record(entry).catch((error: unknown) => deps.logger.error({ err: describeForLog(error) }, 'DIMSE audit write failed'));

  async function identify(rq: AssociateRq, remote: string | undefined, transport: Transport): Promise<{ device: DicomDevice } | { reject: (typeof Reject)[keyof typeof Reject]; why: string }> {
    if ((rq.protocolVersion & 1) !== 1) return { reject: Reject.protocolVersionNotSupported, why: 'protocol-version' };
    if (rq.applicationContext !== APPLICATION_CONTEXT) return { reject: Reject.applicationContextNotSupported, why: 'application-context' };
    if (rq.calledAe !== deps.aeTitle) return { reject: Reject.calledAeNotRecognized, why: 'called-ae-not-recognized' };
    const byAddress = (await deps.repos.devices.sendersWithAeTitle(rq.callingAe)).filter((d) => addressAllowed(remote, d.allowed_cidrs));
    const candidates = byAddress.filter((d) => transportAccepted(d, transport));
    if (byAddress.length > 0 && candidates.length === 0) {
      return { reject: Reject.callingAeNotRecognized, why: transport.tls ? 'client-certificate-not-accepted' : 'tls-required' };
    }
    const tenants = new Set(candidates.map((d) => d.tenant_id));
    // The same AE title and address registered by two hospitals: we cannot tell whose studies these are.
    if (tenants.size !== 1) return { reject: Reject.callingAeNotRecognized, why: tenants.size ? 'calling-ae-ambiguous' : 'calling-ae-not-recognized' };
    return { device: candidates[0]! };
  }

  function negotiate(rq: AssociateRq): PresentationContextAc[] {
    return rq.contexts.map((pc) => {
      if (pc.abstractSyntax === VERIFICATION_SOP_CLASS) {
        return pc.transferSyntaxes.includes(IMPLICIT_VR_LE) ? { id: pc.id, result: 0, transferSyntax: IMPLICIT_VR_LE } : { id: pc.id, result: 4, transferSyntax: IMPLICIT_VR_LE };
      }
      if (!pc.abstractSyntax.startsWith(STORAGE_ROOT)) return { id: pc.id, result: 3, transferSyntax: IMPLICIT_VR_LE };
      // The sender's first choice that we can store as it is (no transcoding on the way in).
      const ts = pc.transferSyntaxes.find((uid) => supportedTransferSyntaxes.has(uid));
      return ts ? { id: pc.id, result: 0, transferSyntax: ts } : { id: pc.id, result: 4, transferSyntax: IMPLICIT_VR_LE };
    });
  }

  function handle(socket: Socket): void {
    const associationId = randomUUID();
    const log = deps.logger.child({ dimse: associationId });
    const remote = socket.remoteAddress;
    const transport = transportOf(socket);
    let reader = new PduReader(MAX_ASSOCIATE_RQ_LENGTH);
    let phase: 'negotiating' | 'identifying' | 'associated' | 'closing' = 'negotiating';
    let device: DicomDevice | undefined;
    let rq: AssociateRq | undefined;
    let accepted = new Map<number, string>();
    let peerMaxPdu = 0;
    const stats: Stats = { stored: 0, duplicate: 0, rejected: 0, held: 0, reasons: new Set() };
    let commandParts: Buffer[] = [];
    let command: CommandSet | undefined;
    let data: Buffer[] = [];
    let dataBytes = 0;
    let chain = Promise.resolve();

    sockets.add(socket);
    socket.setNoDelay(true);
    socket.setTimeout(idleTimeoutMs, () => {
      log.info({ phase }, 'DIMSE association idle; aborting');
      abort(0);
    });

    const send = (bytes: Buffer) => {
      if (!socket.destroyed) socket.write(bytes);
    };
    const abort = (reason: number) => {
      if (socket.destroyed) return;
      phase = 'closing';
      socket.end(abortPdu(2, reason));
      socket.destroySoon();
    };

    if (sockets.size > maxAssociations) {
      log.warn({ associations: sockets.size }, 'DIMSE association refused: too many open');
      phase = 'closing';
      socket.end(associateRjPdu(Reject.localLimitExceeded));
    }

    socket.on('data', (chunk: Buffer) => {
      if (phase === 'closing') return;
      let pdus;
      try {
        pdus = reader.push(chunk);
      } catch (error) {
        log.warn({ reason: error instanceof PduError ? error.message : 'read failed' }, 'DIMSE association aborted: bad PDU');
        return abort(error instanceof PduError && error.message.includes('type') ? 1 : 6);
      }
      if (!pdus.length) return;
      // While a message is processed (an instance ingested) the peer waits for our answer:
      // that silence is ours, not the peer's idling.
      socket.pause();
      socket.setTimeout(0);
      // A device is identified before its hospital is known, and its instances go to that
      // hospital: the association's database work runs on the named DIMSE system path.
      for (const pdu of pdus) chain = chain.then(() => (phase === 'closing' ? undefined : asSystem('dimse', () => onPdu(pdu.type, pdu.body))));
      chain = chain
        .catch((error: unknown) => {
          log.warn({ err: describeForLog(error) }, 'DIMSE association aborted: processing failed');
          abort(0);
        })
        .finally(() => {
          if (socket.destroyed) return;
          socket.setTimeout(idleTimeoutMs);
          socket.resume();
        });
    });
    socket.on('error', () => undefined);
    // The association's Import event: written before A-RELEASE-RP (so the sender's success
    // means the import is audited), or when the connection ends otherwise.
    let audited = false;
    const flushAudit = async () => {
      if (audited || !device) return;
      audited = true;
      const total = stats.stored + stats.duplicate + stats.rejected;
      log.info({ device: device.id, stored: stats.stored, duplicate: stats.duplicate, rejected: stats.rejected, held: stats.held }, 'DIMSE association ended');
      if (total === 0) return;
      await auditRecord({
        eventCode: AuditEvent.Import,
        action: 'C',
        outcome: stats.rejected === 0 ? Outcome.Success : stats.stored + stats.duplicate > 0 ? Outcome.MinorFailure : Outcome.SeriousFailure,
        userId: null,
        tenantId: device.tenant_id,
        sourceIp: remote ?? null,
        requestId: associationId,
        objectType: 'dicom_device',
        objectId: device.id,
        detail: { entryPoint: 'dimse', aeTitle: device.ae_title, stored: stats.stored, duplicate: stats.duplicate, rejected: stats.rejected, heldForPixelReview: stats.held, reasons: [...stats.reasons] },
      });
    };
    socket.on('close', () => {
      sockets.delete(socket);
      // After the last message's work (a connection dropped mid-ingest still counts what was stored).
      void chain.then(flushAudit);
    });

    async function onPdu(type: number, body: Buffer): Promise<void> {
      if (phase === 'negotiating') {
        if (type !== PduType.AssociateRq) return abort(2);
        phase = 'identifying';
        rq = readAssociateRq(body);
        let found;
        try {
          found = await identify(rq, remote, transport);
        } catch (error) {
          log.error({ err: describeForLog(error) }, 'DIMSE association refused: device lookup failed');
          phase = 'closing';
          socket.end(associateRjPdu(Reject.temporaryCongestion));
          return;
        }
        if ('reject' in found) {
          log.warn({ reason: found.why, callingAe: printable(rq.callingAe), address: remote }, 'DIMSE association rejected');
          await auditRecord({
            eventCode: AuditEvent.SecurityAlert,
            action: 'E',
            outcome: Outcome.MinorFailure,
            userId: null,
            tenantId: null,
            sourceIp: remote ?? null,
            requestId: associationId,
            detail: { entryPoint: 'dimse', reason: found.why, callingAe: printable(rq.callingAe), calledAe: printable(rq.calledAe) },
          });
          phase = 'closing';
          socket.end(associateRjPdu(found.reject));
          return;
        }
        device = found.device;
        const contexts = negotiate(rq);
        accepted = new Map(contexts.filter((pc) => pc.result === 0).map((pc) => [pc.id, pc.transferSyntax]));
        peerMaxPdu = rq.maxPduLength;
        reader = new PduReader(MAX_PDU_LENGTH + 64);
        phase = 'associated';
        log.info({ device: device.id, tenant: device.tenant_id, address: remote, tls: transport.tls, contexts: contexts.length, accepted: accepted.size }, 'DIMSE association accepted');
        send(associateAcPdu(rq, contexts, { maxPduLength: MAX_PDU_LENGTH, implementationClassUid, implementationVersion: implementationVersionName }));
        return;
      }
      if (type === PduType.ReleaseRq) {
        phase = 'closing';
        await flushAudit();
        socket.end(releaseRpPdu());
        return;
      }
      if (type === PduType.Abort) {
        phase = 'closing';
        socket.destroy();
        return;
      }
      if (type !== PduType.PData) return abort(2);
      for (const pdv of readPData(body)) {
        if (!accepted.has(pdv.contextId)) return abort(6);
        if (pdv.command) {
          commandParts.push(pdv.value);
          if (commandParts.reduce((n, b) => n + b.length, 0) > 64 * 1024) return abort(6);
          if (!pdv.last) continue;
          command = readCommand(Buffer.concat(commandParts));
          commandParts = [];
          data = [];
          dataBytes = 0;
          if (command.commandDataSetType === NO_DATA_SET) await onMessage(pdv.contextId, command, undefined);
          continue;
        }
        if (!command) return abort(2);
        dataBytes += pdv.value.length;
        // Beyond the limit the rest is read and dropped: memory stays bounded, and the sender
        // gets a clear A700 instead of a broken association.
        if (dataBytes <= deps.maxInstanceBytes) data.push(pdv.value);
        else data = [];
        if (pdv.last) {
          const message = command;
          command = undefined;
          await onMessage(pdv.contextId, message, dataBytes <= deps.maxInstanceBytes ? data : null);
          data = [];
          dataBytes = 0;
        }
      }
    }

    /** `dataSet`: the fragments, or null when over the size limit. */
    async function onMessage(contextId: number, cmd: CommandSet, dataSet: Buffer[] | null | undefined): Promise<void> {
      if (cmd.commandField === Command.CEchoRq) {
        return respond(contextId, { affectedSopClassUid: cmd.affectedSopClassUid, commandField: Command.CEchoRsp, messageIdBeingRespondedTo: cmd.messageId, commandDataSetType: NO_DATA_SET, status: 0 });
      }
      if (cmd.commandField !== Command.CStoreRq || dataSet === undefined) {
        log.warn({ commandField: cmd.commandField }, 'DIMSE association aborted: unsupported command');
        return abort(2);
      }
      const reply = (status: { status: number; comment?: string }) =>
        respond(contextId, {
          affectedSopClassUid: cmd.affectedSopClassUid,
          commandField: Command.CStoreRsp,
          messageIdBeingRespondedTo: cmd.messageId,
          commandDataSetType: NO_DATA_SET,
          status: status.status,
          ...(status.comment && { errorComment: status.comment }),
          affectedSopInstanceUid: cmd.affectedSopInstanceUid,
        });
      if (dataSet === null) {
        stats.rejected++;
        stats.reasons.add('InstanceTooLarge');
        return reply({ status: 0xa700, comment: 'refused: InstanceTooLarge (over MAX_INSTANCE_MB)' });
      }
      const ts = accepted.get(contextId)!;
      const bytes = Buffer.concat([part10Header(cmd.affectedSopClassUid ?? '', cmd.affectedSopInstanceUid ?? '', ts, implementationClassUid, implementationVersionName), ...dataSet]);
      let outcome: InstanceOutcome;
      try {
        outcome = await deps.ingest(bytes, { tenantId: device!.tenant_id, userId: null });
      } catch (error) {
        // Store or database outage: nothing was kept; the sender may retry.
        log.error({ err: describeForLog(error) }, 'DIMSE C-STORE failed: storage unavailable');
        stats.rejected++;
        stats.reasons.add('StorageUnavailable');
        return reply({ status: 0xa701, comment: 'refused: storage temporarily unavailable; send again' });
      }
      if (outcome.status === 'rejected') {
        stats.rejected++;
        stats.reasons.add(outcome.code);
      } else {
        stats[outcome.status]++;
        if (outcome.pixelReview) stats.held++;
        // The device's consult rule waits until its studies are quiet: note when each last grew.
        if (device!.auto_consult_centre_id) await deps.repos.devices.noteStudyFromDevice(device!.id, outcome.studyId, deps.now?.() ?? new Date()).catch((error: unknown) => log.error({ err: describeForLog(error) }, 'device study not noted'));
      }
      return reply(storeStatus(outcome));
    }

    function respond(contextId: number, cmd: CommandSet): void {
      for (const pdu of pDataPdus(contextId, true, writeCommand(cmd), peerMaxPdu)) send(pdu);
    }
  }

  function listenOn(server: Server, port: number, host: string): Promise<number> {
    servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  return {
    /** Starts listening; resolves with the bound port (0 picks a free one). */
    listen(port: number, host: string): Promise<number> {
      return listenOn(createServer(handle), port, host);
    },
    /**
     * DICOM TLS (PS3.15 B.1, the BCP 195 profile: TLS 1.2 or later): the same service behind a
     * TLS handshake. A client certificate is asked for but judged per device (a pinned
     * fingerprint), since hospitals' modalities mostly carry self-signed certificates no CA vouches for.
     */
    listenTls(port: number, host: string, credentials: { cert: string | Buffer; key: string | Buffer }): Promise<number> {
      const server = createTlsServer({ ...credentials, minVersion: 'TLSv1.2', requestCert: true, rejectUnauthorized: false }, handle);
      server.on('tlsClientError', (error) => deps.logger.info({ err: describeForLog(error) }, 'DICOM TLS handshake failed'));
      return listenOn(server, port, host);
    },
    async close(): Promise<void> {
      for (const socket of sockets) socket.destroy();
      await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    },
  };
}

/** How a peer reached us: over TLS or not, and the SHA-256 of the certificate it presented. */
interface Transport {
  tls: boolean;
  certificateSha256: string | undefined;
}

function transportOf(socket: Socket): Transport {
  if (!(socket instanceof TLSSocket)) return { tls: false, certificateSha256: undefined };
  const fingerprint = socket.getPeerCertificate()?.fingerprint256;
  return { tls: true, certificateSha256: fingerprint ? fingerprint.replace(/:/g, '').toLowerCase() : undefined };
}

/** A device registered for TLS connects over TLS only, with its pinned certificate when it has one. */
function transportAccepted(device: DicomDevice, transport: Transport): boolean {
  if (!device.tls) return true;
  return transport.tls && (!device.certificate_sha256 || device.certificate_sha256 === transport.certificateSha256);
}

const printable = (text: string) => text.replace(/[^\x20-\x7e]/g, '?').slice(0, 16);
