import type { ReportContext, ReportDocument } from '@yunzhen/report';

import { api } from '../api.js';

export interface ReportView {
  report: ReportDocument;
  srSopInstanceUid: string | null;
  context: ReportContext;
  readers: { userId: string; displayName: string; kind: 'second-opinion' | 'tumour-board' }[];
}

export const reportApi = {
  /** The report, or null while there is none (or only a draft the caller may not see). */
  get: async (consultId: string): Promise<ReportView | null> => {
    const view = await api<ReportView | { report: null }>(`/api/consults/${consultId}/report`);
    return view.report ? (view as ReportView) : null;
  },
  create: (consultId: string, input: { templateId: string; language: string; studyInstanceUid?: string }) =>
    api<ReportView>(`/api/consults/${consultId}/report`, { method: 'POST', body: input }),
  save: (consultId: string, version: number, changes: unknown) =>
    api<{ version: number; updatedAt: string }>(`/api/consults/${consultId}/report`, { method: 'PUT', body: { version, changes } }),
  sign: (consultId: string, version: number, kind: 'preliminary' | 'final') =>
    api<{ report: ReportDocument; srStored: boolean }>(`/api/consults/${consultId}/report/sign`, { method: 'POST', body: { version, kind } }),
  addendum: (consultId: string, version: number, text: Record<string, string>) =>
    api<{ report: ReportDocument }>(`/api/consults/${consultId}/report/addenda`, { method: 'POST', body: { version, text } }),
  opinion: (consultId: string, verdict: string, comment?: Record<string, string>) =>
    api<{ report: ReportDocument }>(`/api/consults/${consultId}/report/opinions`, { method: 'POST', body: { verdict, ...(comment && { comment }) } }),
  acknowledge: (consultId: string) => api<{ acknowledgedAt: string }>(`/api/consults/${consultId}/acknowledge`, { method: 'POST' }),
  history: (consultId: string) =>
    api<{ versions: { version: number; event: string; status: string; savedAt: string; savedBy: string }[] }>(`/api/consults/${consultId}/report/history`),
  /** Uploads a PNG key image (the captured viewport); returns its id. */
  addKeyImage: async (consultId: string, png: Blob): Promise<string> =>
    (await api<{ id: string }>(`/api/consults/${consultId}/key-images`, { method: 'POST', body: png, contentType: 'image/png' })).id,
};
