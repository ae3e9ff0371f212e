import type { IngestContext, IngestInstance, InstanceOutcome } from './ingest-pipeline.js';
import type { UploadEntryReport, ZipUploadReport } from './upload-contract.js';
import { readZipEntries, type ZipLimits } from './zip-entries.js';

export type { UploadEntryReport, ZipUploadReport } from './upload-contract.js';

export interface ZipUploadDeps {
  ingest: IngestInstance;
  zipLimits: ZipLimits;
  /** Where the archive is spooled while its entries are read. */
  tempDir: string;
  /** Monotonic milliseconds for the zip's time budget (`ZipLimits.maxMillis`); `performance.now` when omitted. */
  now?: () => number;
}

/**
 * Ingests a zip of DICOM files: each entry through the ingest pipeline, with a report per
 * entry. The one workflow behind `POST /api/uploads` (one request) and the completion of an
 * upload session (the parts streamed in order); an archive refused as a whole throws `AppError`.
 */
export async function ingestZip(body: ReadableStream<Uint8Array>, context: IngestContext, deps: ZipUploadDeps): Promise<{ report: ZipUploadReport; outcomes: InstanceOutcome[] }> {
  const entries: UploadEntryReport[] = [];
  const outcomes: InstanceOutcome[] = [];
  for await (const entry of readZipEntries(body, deps.tempDir, deps.zipLimits, { now: deps.now })) {
    if (entry.kind === 'ignored') {
      entries.push({ index: entry.index, name: entry.name, status: 'ignored', code: entry.reason });
    } else if (entry.kind === 'rejected') {
      entries.push({ index: entry.index, name: entry.name, status: 'rejected', code: entry.code, message: entry.message });
    } else {
      const outcome = await deps.ingest(entry.bytes, context);
      outcomes.push(outcome);
      entries.push(
        outcome.status === 'rejected'
          ? { index: entry.index, name: entry.name, status: 'rejected', code: outcome.code, message: outcome.message }
          : { index: entry.index, name: entry.name, status: outcome.status, studyId: outcome.studyId, pixelReview: outcome.pixelReview },
      );
    }
  }
  const count = (status: UploadEntryReport['status']) => entries.filter((e) => e.status === status).length;
  const studyIds = [...new Set(entries.flatMap((e) => (e.studyId ? [e.studyId] : [])))];
  return {
    report: { summary: { stored: count('stored'), duplicate: count('duplicate'), rejected: count('rejected'), ignored: count('ignored') }, studyIds, entries },
    outcomes,
  };
}
