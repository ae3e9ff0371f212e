/**
 * What the zip upload and the upload-session routes answer, as clients read it: the one
 * contract the server, the viewer and the command-line uploader import (`import type`), so the
 * shape is not copied by hand. No imports: it compiles in the browser's and Node's settings alike.
 */

export interface UploadEntryReport {
  index: number;
  /** The entry's name in the archive, echoed to the uploader only. */
  name: string;
  status: 'stored' | 'duplicate' | 'rejected' | 'ignored';
  code?: string;
  message?: string;
  studyId?: string;
  pixelReview?: boolean;
}

/** What a zip upload answers, whether it came in one request or in the parts of a session. */
export interface ZipUploadReport {
  summary: { stored: number; duplicate: number; rejected: number; ignored: number };
  studyIds: string[];
  entries: UploadEntryReport[];
}

/** An upload session as `GET /api/uploads/sessions/{id}` answers it: enough to resume (which parts are there) and, once done, the zip upload's answer. */
export interface UploadSessionView {
  id: string;
  kind: 'zip';
  status: 'open' | 'completing' | 'completed' | 'failed';
  totalBytes: number;
  partBytes: number;
  partCount: number;
  parts: { index: number; size: number; sha256: string }[];
  expiresAt: string;
  result?: ZipUploadReport;
  error?: { code: string; message: string };
}
