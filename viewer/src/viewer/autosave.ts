/**
 * Saves the reader's annotations for a consult, debounced, with optimistic versioning:
 * `PUT /api/consults/{id}/annotations` carries the version last read; a 409 means another
 * screen saved in between, so the newer document is fetched and merged (changes made here win
 * for the annotations changed here, everything else comes from the server) and saved again.
 * Nothing is ever overwritten silently.
 */
import { api, ApiError } from '../api.js';
import { emptyDocument, parseDocument, type SavedAnnotation, type SavedAnnotations } from './measurements.js';

export type SaveState = 'idle' | 'pending' | 'saving' | 'saved' | 'merged' | 'conflict' | 'error' | 'readonly';

export interface AnnotationsResponse {
  mine: { version: number; data: unknown; updatedAt: string } | null;
  others: { author: { id: string; displayName: string }; version: number; data: unknown; updatedAt: string }[];
}

export interface AutosaveDeps {
  consultId: string;
  /** The document as it is on screen now. */
  current: () => SavedAnnotations;
  /** Applies a merged document to the screen (adds and removes annotations). */
  apply: (doc: SavedAnnotations) => void;
  onState: (state: SaveState, detail?: { updatedAt?: string }) => void;
  delayMs?: number;
}

const path = (consultId: string) => `/api/consults/${encodeURIComponent(consultId)}/annotations`;

export function loadAnnotations(consultId: string): Promise<AnnotationsResponse> {
  return api<AnnotationsResponse>(path(consultId));
}

export class Autosave {
  private version = 0;
  /** The document as last read from or written to the server. */
  private base: SavedAnnotations = emptyDocument();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly deps: AutosaveDeps) {}

  /** Starts from what the server holds (the `mine` of GET annotations). */
  start(mine: AnnotationsResponse['mine']): SavedAnnotations {
    this.version = mine?.version ?? 0;
    this.base = mine ? parseDocument(mine.data) : emptyDocument();
    this.deps.onState(mine ? 'saved' : 'idle', { updatedAt: mine?.updatedAt });
    return this.base;
  }

  /** Something changed on screen: save after a short pause. */
  schedule(): void {
    if (this.stopped) return;
    this.deps.onState('pending');
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), this.deps.delayMs ?? 800);
  }

  /** Saves now (and waits for it); a save already running is followed by one more. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.save().finally(() => {
      this.running = undefined;
    });
    await this.running;
    if (this.again && !this.stopped) {
      this.again = false;
      await this.flush();
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async save(): Promise<void> {
    let doc = this.deps.current();
    if (sameDocument(doc, this.base) && this.version > 0) {
      this.deps.onState('saved');
      return;
    }
    this.deps.onState('saving');
    let merged = false;
    for (let attempt = 0; attempt < 4; attempt++) {
      try {
        const saved = await api<{ version: number; updatedAt: string }>(path(this.deps.consultId), { method: 'PUT', body: { version: this.version, data: doc } });
        this.version = saved.version;
        this.base = doc;
        this.deps.onState(merged ? 'merged' : 'saved', { updatedAt: saved.updatedAt });
        return;
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 409)) {
          this.deps.onState('error');
          return;
        }
        const latest = (await loadAnnotations(this.deps.consultId)).mine;
        const theirs = latest ? parseDocument(latest.data) : emptyDocument();
        doc = mergeDocuments(this.base, doc, theirs);
        this.version = latest?.version ?? 0;
        this.base = theirs;
        this.deps.apply(doc);
        merged = true;
      }
    }
    this.deps.onState('conflict');
  }
}

/**
 * Three-way merge by annotation UID: what changed here since `base` (added, edited, deleted)
 * is applied on top of `theirs`; everything else is theirs. Edits on both sides: ours win.
 */
export function mergeDocuments(base: SavedAnnotations, ours: SavedAnnotations, theirs: SavedAnnotations): SavedAnnotations {
  const baseById = new Map(base.annotations.map((a) => [a.uid, a]));
  const oursById = new Map(ours.annotations.map((a) => [a.uid, a]));
  const result = new Map(theirs.annotations.map((a) => [a.uid, a]));
  for (const [uid, annotation] of oursById) {
    const before = baseById.get(uid);
    if (!before || !sameAnnotation(before, annotation)) result.set(uid, annotation);
  }
  for (const uid of baseById.keys()) if (!oursById.has(uid)) result.delete(uid);
  const annotations = [...result.values()];
  const keep = new Set(annotations.map((a) => a.uid));
  const measurements = [...theirs.measurements, ...ours.measurements].filter((m, i, all) => keep.has(m.uid) && all.findIndex((x) => x.uid === m.uid) === i);
  return { format: 'yunzhen.annotations/1', annotations, measurements, srInstances: [...new Set([...theirs.srInstances, ...ours.srInstances])] };
}

function sameAnnotation(a: SavedAnnotation, b: SavedAnnotation): boolean {
  return a.label === b.label && JSON.stringify(a.handles) === JSON.stringify(b.handles);
}

function sameDocument(a: SavedAnnotations, b: SavedAnnotations): boolean {
  if (a.annotations.length !== b.annotations.length || a.srInstances.length !== b.srInstances.length) return false;
  const byId = new Map(b.annotations.map((x) => [x.uid, x]));
  return a.annotations.every((x) => {
    const other = byId.get(x.uid);
    return other !== undefined && sameAnnotation(x, other);
  }) && a.srInstances.every((s) => b.srInstances.includes(s));
}
