import { createHash } from 'node:crypto';

import type { Logger } from 'pino';

import { uidFromBytes, writeDicom, type WriteElement } from '@yunzhen/dicom';
import type { Repositories } from '@yunzhen/db';
import { toSrContentTree, writeStructuredReport, type ReportContext, type ReportDocument } from '@yunzhen/report';
import { renderReportPdf } from '@yunzhen/report/pdf';
import type { ObjectStore } from '@yunzhen/storage';

import { AuditEvent, Outcome } from '../audit.js';
import { describeForLog } from '../errors.js';
import { createOutboxWorker, processClaimant } from '../outbox-worker.js';
import { reportContext } from '../reports/report-context.js';
import type { Vault } from '../vault/vault.js';
import { StoreError, storeFiles, type StoreTls } from './store-scu.js';

const ENCAPSULATED_PDF_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.104.1';
const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';
export const PACS_MAX_ATTEMPTS = 8;

/** 1 min, 2, 4 … capped at 2 h: a PACS down for a night gets the report when it is back. */
export function pacsRetryDelayMs(attempts: number): number {
  return Math.min(60_000 * 2 ** (attempts - 1), 2 * 60 * 60 * 1000);
}

const derivedUid = (seed: string) => uidFromBytes(new Uint8Array(createHash('sha256').update(seed).digest().subarray(0, 16)));
const da = (iso: string | undefined) => (iso && /^\d{4}-\d{2}-\d{2}$/.test(iso) ? iso.replaceAll('-', '') : '');

/**
 * An Encapsulated PDF (PS3.3 A.45.1) of the report, in the original study: the patient and
 * study attributes come from the re-identified context, so the PACS files it beside the images.
 */
export function encapsulatedPdf(pdf: Uint8Array, context: ReportContext, header: { sopInstanceUid: string; seriesInstanceUid: string; instanceNumber: number; now: Date; title: string }): Uint8Array {
  const stamp = header.now.toISOString();
  const date = stamp.slice(0, 10).replaceAll('-', '');
  const time = stamp.slice(11, 19).replaceAll(':', '');
  const padded = pdf.length % 2 ? Buffer.concat([pdf, Buffer.from([0])]) : pdf;
  const dataset: WriteElement[] = [
    { tag: 0x00080005, vr: 'CS', value: 'ISO_IR 192' },
    { tag: 0x00080016, vr: 'UI', value: ENCAPSULATED_PDF_SOP_CLASS },
    { tag: 0x00080018, vr: 'UI', value: header.sopInstanceUid },
    { tag: 0x00080012, vr: 'DA', value: date },
    { tag: 0x00080013, vr: 'TM', value: time },
    { tag: 0x00080020, vr: 'DA', value: da(context.study.studyDate) },
    { tag: 0x00080023, vr: 'DA', value: date },
    { tag: 0x0008002a, vr: 'DT', value: `${date}${time}` },
    { tag: 0x00080030, vr: 'TM', value: '' },
    { tag: 0x00080033, vr: 'TM', value: time },
    { tag: 0x00080050, vr: 'SH', value: context.study.accessionNumber },
    { tag: 0x00080060, vr: 'CS', value: 'DOC' },
    { tag: 0x00080064, vr: 'CS', value: 'WSD' },
    { tag: 0x00080070, vr: 'LO', value: 'Yunzhen' },
    { tag: 0x00080090, vr: 'PN', value: '' },
    { tag: 0x0008103e, vr: 'LO', value: 'Yunzhen report (PDF)' },
    { tag: 0x00100010, vr: 'PN', value: context.patient.name },
    { tag: 0x00100020, vr: 'LO', value: context.patient.id },
    { tag: 0x00100030, vr: 'DA', value: da(context.patient.birthDate) },
    { tag: 0x00100040, vr: 'CS', value: context.patient.sex === 'U' ? '' : context.patient.sex },
    { tag: 0x0020000d, vr: 'UI', value: context.study.studyInstanceUid },
    { tag: 0x0020000e, vr: 'UI', value: header.seriesInstanceUid },
    { tag: 0x00200010, vr: 'SH', value: '' },
    { tag: 0x00200011, vr: 'IS', value: 901 },
    { tag: 0x00200013, vr: 'IS', value: header.instanceNumber },
    { tag: 0x00280301, vr: 'CS', value: 'YES' },
    { tag: 0x0040a043, vr: 'SQ', items: [] },
    { tag: 0x00420010, vr: 'ST', value: header.title },
    { tag: 0x00420011, vr: 'OB', bytes: padded },
    { tag: 0x00420012, vr: 'LO', value: 'application/pdf' },
    { tag: 0x00420015, vr: 'UL', value: pdf.length },
  ];
  return writeDicom({ dataset, transferSyntaxUid: EXPLICIT_VR_LE });
}

export interface PacsReturnDeps {
  repos: Repositories;
  vault: Vault;
  store: ObjectStore;
  logger: Logger;
  /** Our AE title, as the calling AE. */
  callingAe: string;
  /** Our certificate and key (client certificate) and further trusted CAs, for PACS registered with TLS. */
  tls?: Omit<StoreTls, 'certificateSha256'>;
  now: () => Date;
  timeoutMs?: number;
  /** Who claims deliveries (default: this host and process). */
  claimant?: string;
}

/** How long a claimed PACS delivery is held before another replica may try it. */
const PACS_LEASE_MS = 15 * 60 * 1000;

/**
 * Returns signed reports to the sending hospital's PACS: for each due delivery, the SR and an
 * Encapsulated PDF, re-identified (real patient, original Study Instance UID: the PACS files
 * them beside the study), by C-STORE to the device. Built at delivery time and never stored;
 * the reveal and every attempt are audited as the system's. Failures are retried with backoff.
 */
export function createPacsReturn(deps: PacsReturnDeps) {
  const claimant = deps.claimant ?? processClaimant();
  type Delivery = Awaited<ReturnType<Repositories['devices']['claimDueDeliveries']>>[number];

  async function render(delivery: { tenant_id: string; consult_id: string }) {
    const consult = await deps.repos.consults.get(delivery.tenant_id, delivery.consult_id);
    const row = consult && (await deps.repos.reports.getByConsult(consult.id));
    const doc = row?.document as ReportDocument | undefined;
    if (!consult || !row || !doc || (doc.status !== 'final' && doc.status !== 'amended')) throw new StoreError('the consult has no signed report');
    const context = await reportContext(deps, consult, doc, 'sender', () =>
      deps.repos.audit.record({ eventCode: AuditEvent.PatientRecord, action: 'R', outcome: Outcome.Success, tenantId: delivery.tenant_id, objectType: 'consult', objectId: consult.id, detail: { purpose: 'PACS delivery' } }),
    );
    // The same UIDs as the sending hospital's SR download of this version: one document, wherever it is read.
    const sr = writeStructuredReport(toSrContentTree(doc, context), {
      sopInstanceUid: derivedUid(`export-sr:${row.id}:${doc.version}:sender`),
      seriesInstanceUid: derivedUid(`export-series:${row.id}:sender`),
      seriesNumber: 900,
      instanceNumber: doc.version,
      instanceCreationDateTime: deps.now(),
      manufacturer: 'Yunzhen',
      seriesDescription: 'Yunzhen report',
    });
    const keyImages: Record<string, Uint8Array> = {};
    for (const keyImage of doc.keyImages) {
      const stored = await deps.repos.reports.keyImage(consult.id, keyImage.id).catch(() => undefined);
      const object = stored && (await deps.store.get(stored.object_key));
      if (object) keyImages[keyImage.id] = new Uint8Array(await new Response(object.body).arrayBuffer());
    }
    const pdf = encapsulatedPdf(await renderReportPdf(doc, context, { keyImages }), context, {
      sopInstanceUid: derivedUid(`export-pdf:${row.id}:${doc.version}:sender`),
      seriesInstanceUid: derivedUid(`export-pdf-series:${row.id}:sender`),
      instanceNumber: doc.version,
      now: deps.now(),
      title: `Report ${consult.id.slice(0, 8)} v${doc.version}`,
    });
    return { sr, pdf, version: doc.version };
  }

  async function attempt(delivery: Delivery): Promise<void> {
    const attempts = delivery.attempts + 1;
    const device = await deps.repos.devices.getInTenant(delivery.tenant_id, delivery.device_id);
    let error: string | null = null;
    let retry = true;
    if (!device || !device.enabled || !device.may_receive || !device.host || !device.port) {
      error = 'the device no longer receives (disabled or changed)';
      retry = false;
    } else {
      try {
        const { sr, pdf } = await render(delivery);
        const tls = device.tls ? { ...deps.tls, certificateSha256: device.certificate_sha256 } : undefined;
        await storeFiles({ host: device.host, port: device.port, calledAe: device.ae_title, callingAe: deps.callingAe, tls }, [{ bytes: sr }, { bytes: pdf }], { timeoutMs: deps.timeoutMs });
      } catch (caught) {
        if (caught instanceof StoreError) error = caught.message;
        else {
          deps.logger.warn(describeForLog(caught), 'PACS delivery failed');
          error = 'the report could not be prepared';
        }
      }
    }
    const nextAttemptAt = error && retry && attempts < PACS_MAX_ATTEMPTS ? new Date(deps.now().getTime() + pacsRetryDelayMs(attempts)) : null;
    await deps.repos.devices.recordDeliveryAttempt(delivery.id, { delivered: error === null, error, attempts, nextAttemptAt }, deps.now(), claimant);
    await deps.repos.audit.record({
      eventCode: AuditEvent.Export,
      action: 'R',
      outcome: error === null ? Outcome.Success : nextAttemptAt ? Outcome.MinorFailure : Outcome.SeriousFailure,
      userId: null,
      tenantId: delivery.tenant_id,
      objectType: 'consult',
      objectId: delivery.consult_id,
      detail: { purpose: 'PACS delivery', device: delivery.device_id, aeTitle: device?.ae_title ?? null, attempt: attempts, delivered: error === null, ...(error && { error }) },
    });
    deps.logger.info({ delivery: delivery.id, device: delivery.device_id, attempt: attempts, delivered: error === null }, 'PACS delivery attempt');
  }

  // Claimed for an attempt's length (rendering, association, two C-STOREs), so a second
  // replica's pass leaves it alone; a replica that dies mid-attempt leaves it due again after.
  return createOutboxWorker({ job: 'pacs-return', claim: () => deps.repos.devices.claimDueDeliveries({ now: deps.now(), leaseMs: PACS_LEASE_MS, claimant }), attempt });
}
