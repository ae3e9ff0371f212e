/**
 * A record in this browser that an upload was under way, so a radiographer who closed the tab
 * or lost the session mid-upload is told on return. Only counts and a time are kept: file
 * names can carry patient names, and this storage outlives the session.
 */
const KEY = 'yunzhen.unfinishedUpload';

export interface UnfinishedUpload {
  startedAt: string;
  files: number;
  stored: number;
}

export function readUnfinishedUpload(): UnfinishedUpload | null {
  try {
    const value = JSON.parse(localStorage.getItem(KEY) ?? 'null') as UnfinishedUpload | null;
    return value && typeof value.startedAt === 'string' && Number.isFinite(value.files) && Number.isFinite(value.stored) ? value : null;
  } catch {
    return null;
  }
}

export function writeUnfinishedUpload(value: UnfinishedUpload | null): void {
  try {
    if (value) localStorage.setItem(KEY, JSON.stringify(value));
    else localStorage.removeItem(KEY);
  } catch {
    // Private windows may refuse storage: the notice is a courtesy, the upload does not depend on it.
  }
}
