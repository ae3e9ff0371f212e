/**
 * Every reason code the server can answer with has words in Chinese and English, which the
 * viewer shows instead of the code (and the server's English message). The codes come from
 * their owners: the server's error table, the DICOM engine's, the report package's, and the
 * ingest and zip rejections, listed here against their types so a new code cannot be missed.
 */
import { expect, test } from 'vitest';

import { dicomErrorCodes, type DicomErrorCode } from '../packages/dicom/src/errors.js';
import { reportErrorCodes } from '../packages/report/src/errors.js';
import { errorStatus } from '../server/src/errors.js';
import type { IngestRejectionCode } from '../server/src/ingest/ingest-pipeline.js';
import type { ZipEntryErrorCode } from '../server/src/ingest/zip-entries.js';
import { reasons } from '../packages/dicom/src/reason-words.js';

/** Codes the pipeline and the zip reader add to the DICOM engine's. */
const ingestAndZipCodes = {
  NotAnInstance: true,
  StudyMismatch: true,
  UidConflict: true,
  InstanceConflict: true,
  NotADerivedObject: true,
  PatientMismatch: true,
  StudyNotFound: true,
  EntryTooLarge: true,
  CompressionRatioTooHigh: true,
  EncryptedEntry: true,
  UnsupportedCompression: true,
  CorruptEntry: true,
  TimeBudgetExceeded: true,
} satisfies Record<Exclude<IngestRejectionCode, DicomErrorCode> | ZipEntryErrorCode, true>;

test('every reason code has words in both languages', () => {
  const codes = [...new Set([...Object.keys(errorStatus), ...Object.keys(reportErrorCodes), ...Object.keys(dicomErrorCodes), ...Object.keys(ingestAndZipCodes)])];
  expect(codes.length).toBeGreaterThan(60);
  const missing = codes.filter((code) => !reasons[code]?.en || !reasons[code]?.['zh-CN']);
  expect(missing).toEqual([]);
  for (const code of codes) expect(reasons[code]!['zh-CN'], code).toMatch(/[\u4e00-\u9fff]/);
});
