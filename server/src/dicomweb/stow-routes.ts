import type { Context } from 'hono';
import { Hono } from 'hono';

import type { AppEnv } from '../app-env.js';
import { AuditEvent, Outcome, type AuditWriter } from '../audit.js';
import { requireUser } from '../auth/authenticate.js';
import { AppError, notFound } from '../errors.js';
import type { IngestInstance, InstanceOutcome } from '../ingest/ingest-pipeline.js';
import { parseMediaType, readMultipart } from '../ingest/multipart-related.js';
import type { Repositories } from '@yunzhen/db';
import { isDicomError, parseDicom, readIndexAttributes } from '@yunzhen/dicom';

import type { IngestDerived } from '../ingest/derived-objects.js';
import { requireSender } from '../routes/sender.js';
import { imageScope } from './access.js';
import { attr, PRIVATE_CREATOR, sequence, T, type DicomJsonDataset } from './dicom-json.js';
import { parseAccept } from './media-types.js';

export interface StowDeps {
  ingest: IngestInstance;
  ingestDerived: IngestDerived;
  repos: Repositories;
  audit: AuditWriter;
  maxInstanceBytes: number;
  maxInstancesPerRequest: number;
}

/** PS3.18 Table 10.5.3-2 failure reasons, by our rejection code. */
const failureReason = (code: string): number => {
  switch (code) {
    case 'UnsupportedTransferSyntax':
    case 'UnknownTransferSyntax':
      return 0xc122; // Referenced Transfer Syntax not supported
    case 'InstanceTooLarge':
    case 'DecompressionBomb':
      return 0xa700; // Out of resources
    case 'MissingRequiredUid':
    case 'StudyMismatch':
    case 'UidConflict':
      return 0xa900; // Data Set does not match SOP Class / request
    case 'NotAnInstance':
    case 'NotADerivedObject':
      return 0x0122; // Referenced SOP Class not supported
    case 'PatientMismatch':
      return 0xa900;
    case 'StudyNotFound':
      return 0x0124; // Refused: not authorized (PS3.7 C.5.2): the same for a study that does not exist
    case 'InstanceConflict':
      return 0x0111; // Duplicate SOP Instance (PS3.4 C.4.2.1.4.2), here with different content
    case 'MissingPixelData':
      return 0xa900;
    default:
      return 0xc000; // Cannot understand
  }
};

const UID = /^[0-9]+(\.[0-9]+)*$/;

/** Warning 0xB000, Coercion of Data Elements: every stored instance was de-identified. */
const COERCED = 0xb000;

/**
 * STOW-RS (PS3.18 10.5): `POST /dicomweb/studies[/{study}]` with
 * `multipart/related; type="application/dicom"`. Parts are ingested one at a time as they
 * stream in. 200 when every instance is stored (already-stored duplicates count as stored),
 * 202 when some failed, 409 when none was stored.
 */
export function stowRoutes(deps: StowDeps) {
  const handler = async (c: Context<AppEnv>) => {
    const caller = requireUser(c);
    const studyInUrl = c.req.param('study');
    // A specialist adds what they made (an SR of their measurements…) to a study they read;
    // everyone else sends studies from their own hospital.
    const addsDerived = caller.user.role === 'specialist';
    // Whether the specialist reads this study (asked once per study of the request).
    const reads = new Map<string, Promise<boolean>>();
    const mayAddTo = (studyUid: string) => {
      let answer = reads.get(studyUid);
      if (!answer) reads.set(studyUid, (answer = UID.test(studyUid) ? deps.repos.dicomweb.retrievable(imageScope(caller), { studyUid }).then((rows) => rows.length > 0) : Promise.resolve(false)));
      return answer;
    };
    if (addsDerived && studyInUrl !== undefined && !(await mayAddTo(studyInUrl))) throw notFound('study');
    const principal = addsDerived ? caller : requireSender(caller);
    requireJsonAnswerAccepted(c.req.header('Accept'));
    const media = parseMediaType(c.req.header('Content-Type'));
    if (media.type !== 'multipart/related') throw new AppError('UnsupportedMediaType', 'STOW-RS takes multipart/related; type="application/dicom"');
    if (media.params.type && media.params.type.toLowerCase() !== 'application/dicom') {
      throw new AppError('UnsupportedMediaType', `only application/dicom parts are supported, not ${media.params.type}`);
    }
    const boundary = media.params.boundary;
    if (!boundary || !c.req.raw.body) throw new AppError('InvalidRequest', 'multipart boundary or body missing');
    const outcomes: (InstanceOutcome & { sent?: SentUids })[] = [];
    const parts = readMultipart(c.req.raw.body, boundary, { maxPartBytes: deps.maxInstanceBytes, maxParts: deps.maxInstancesPerRequest });
    try {
      for await (const part of parts) {
        const partType = parseMediaType(part.headers['content-type']).type;
        if (partType && partType !== 'application/dicom') {
          outcomes.push({ status: 'rejected', code: 'NotDicom', message: 'part is not application/dicom' });
          continue;
        }
        // Without a study in the URL (OHIF and dicomweb-client post to `/studies`), each
        // object is filed by its own StudyInstanceUID, under the check the URL would have had.
        const outcome = addsDerived
          ? await deps.ingestDerived(part.body, { userId: principal.user.id, studyUid: studyInUrl, mayAddTo })
          : await deps.ingest(part.body, { tenantId: principal.tenant.id, userId: principal.user.id }, { originalStudyUid: studyInUrl });
        outcomes.push(outcome.status === 'rejected' ? { ...outcome, sent: sentUidsOf(part.body, deps.maxInstanceBytes) } : outcome);
      }
    } catch (error) {
      // A body that breaks off after some parts were stored: those stay stored, and the answer
      // says so per instance (with the break as one failure) instead of a bare 400.
      if (!(error instanceof AppError) || error.code !== 'InvalidRequest' || outcomes.length === 0) throw error;
      outcomes.push({ status: 'rejected', code: 'Truncated', message: error.message });
    }
    if (outcomes.length === 0) throw new AppError('InvalidRequest', 'the multipart body holds no instance');
    await auditImport(c, deps.audit, 'stow-rs', outcomes);

    const origin = c.var.publicBase;
    const stored = outcomes.filter((o) => o.status !== 'rejected');
    const failed = outcomes.filter((o) => o.status === 'rejected');
    const body: DicomJsonDataset = {
      [T.ReferencedSOPSequence]: sequence(
        stored.map((o) => ({
          [T.ReferencedSOPClassUID]: attr('UI', o.sopClassUid),
          [T.ReferencedSOPInstanceUID]: attr('UI', o.sopInstanceUid),
          [T.PrivateCreator]: attr('LO', PRIVATE_CREATOR),
          [T.SentSOPInstanceUID]: attr('UI', o.sentSopInstanceUid),
          [T.RetrieveURL]: attr('UR', `${origin}/dicomweb/studies/${o.studyInstanceUid}/series/${o.seriesInstanceUid}/instances/${o.sopInstanceUid}`),
          [T.WarningReason]: attr('US', COERCED),
        })),
      ),
      [T.FailedSOPSequence]: sequence(
        failed.map((o) => ({
          // The UIDs as the client sent them (when the part could be read that far), so it can
          // tell which of its files failed (PS3.18 Table 10.5.3-3).
          [T.ReferencedSOPClassUID]: attr('UI', o.sent?.sopClassUid),
          [T.ReferencedSOPInstanceUID]: attr('UI', o.sent?.sopInstanceUid),
          [T.FailureReason]: attr('US', failureReason(o.code)),
          [T.PrivateCreator]: attr('LO', PRIVATE_CREATOR),
          [T.ReasonCode]: attr('LO', o.code),
        })),
      ),
    };
    const studies = [...new Set(stored.map((o) => o.studyInstanceUid))];
    if (studies.length === 1) body[T.RetrieveURL] = attr('UR', `${origin}/dicomweb/studies/${studies[0]}`);
    const status = failed.length === 0 ? 200 : stored.length > 0 ? 202 : 409;
    return c.body(JSON.stringify(body), status, { 'Content-Type': 'application/dicom+json' });
  };

  return new Hono<AppEnv>().post('/studies', handler).post('/studies/:study', handler);
}

interface SentUids {
  sopClassUid: string | null;
  sopInstanceUid: string | null;
}

/**
 * SOP Class and Instance UIDs of a refused part as sent, read without validating it (a part
 * refused for its content still names them); none when the part does not parse that far.
 */
function sentUidsOf(bytes: Uint8Array, maxInstanceBytes: number): SentUids | undefined {
  try {
    const a = readIndexAttributes(parseDicom(bytes, { maxInstanceBytes }));
    return { sopClassUid: a.SOPClassUID, sopInstanceUid: a.SOPInstanceUID };
  } catch (error) {
    if (isDicomError(error)) return undefined;
    throw error;
  }
}

/** The STOW-RS answer is DICOM JSON (PS3.18 10.5.3): a client that accepts only something else gets 406 before any work. */
function requireJsonAnswerAccepted(accept: string | undefined): void {
  const entries = parseAccept(accept);
  const acceptable = new Set(['application/dicom+json', 'application/json', 'application/*', '*/*']);
  if (entries.length > 0 && !entries.some((entry) => acceptable.has(entry.type.toLowerCase()))) {
    throw new AppError('NotAcceptable', 'STOW-RS answers application/dicom+json');
  }
}

/** One Import event (110107) per upload and one Instances Transferred event (110104) per study. */
export async function auditImport(c: Context<AppEnv>, audit: AuditWriter, entryPoint: string, outcomes: InstanceOutcome[]): Promise<void> {
  const count = (status: InstanceOutcome['status']) => outcomes.filter((o) => o.status === status).length;
  const stored = count('stored');
  const rejected = count('rejected');
  const perStudy = new Map<string, number>();
  for (const o of outcomes) if (o.status === 'stored') perStudy.set(o.studyId, (perStudy.get(o.studyId) ?? 0) + 1);
  await audit(
    c,
    {
    eventCode: AuditEvent.Import,
    action: 'C',
    outcome: rejected === 0 ? Outcome.Success : stored > 0 || count('duplicate') > 0 ? Outcome.MinorFailure : Outcome.SeriousFailure,
    detail: {
      entryPoint,
      stored,
      duplicate: count('duplicate'),
      rejected,
      reasons: [...new Set(outcomes.flatMap((o) => (o.status === 'rejected' ? [o.code] : [])))],
    },
    },
    ...[...perStudy].map(([studyId, instances]) => ({
      eventCode: AuditEvent.InstancesTransferred,
      action: 'C' as const,
      outcome: Outcome.Success,
      objectType: 'study',
      objectId: studyId,
      detail: { instances },
    })),
  );
}
