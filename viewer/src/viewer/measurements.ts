/**
 * Measurements as the reading page sees them: the annotations of the measurement tools, their
 * values in plain numbers and units, and the JSON document they are saved as (per consult and
 * author, `PUT /api/consults/{id}/annotations`). Saved annotations name their image by SOP
 * Instance UID and frame, never by URL, so they load on any origin and any machine.
 */
import type { Types as ToolTypes } from '@cornerstonejs/tools';

import { imageIdByRef, imageIndex, refKey, type ImageRef } from './study-data.js';
import { isMeasurementTool, ToolName, type MeasurementToolName } from './tool-names.js';

type Annotation = ToolTypes.Annotation;

/** Numbers a tool computed for its image (Cornerstone's cachedStats, without the bulky arrays). */
export interface MeasurementStats {
  length?: number;
  width?: number;
  angle?: number;
  area?: number;
  mean?: number;
  stdDev?: number;
  min?: number;
  max?: number;
  value?: number;
  unit?: string;
  areaUnit?: string;
  modalityUnit?: string;
}

const statKeys = ['length', 'width', 'angle', 'area', 'mean', 'stdDev', 'min', 'max', 'value'] as const;
const unitKeys = ['unit', 'areaUnit', 'modalityUnit'] as const;

/** One measurement, for the panel and for the plain summary stored next to the annotations. */
export interface MeasurementSummary {
  uid: string;
  tool: MeasurementToolName;
  label: string;
  ref: ImageRef | undefined;
  imageId: string | undefined;
  stats: MeasurementStats;
  /** True when the image has no pixel spacing, so lengths and areas are in pixels. */
  uncalibrated: boolean;
  locked: boolean;
}

export function statsOf(annotation: Annotation): MeasurementStats {
  const cached = (annotation.data as { cachedStats?: Record<string, Record<string, unknown>> }).cachedStats ?? {};
  const first = Object.values(cached)[0] ?? {};
  const stats: MeasurementStats = {};
  for (const key of statKeys) {
    const value = first[key];
    if (typeof value === 'number' && Number.isFinite(value)) stats[key] = value;
  }
  for (const key of unitKeys) {
    const value = first[key];
    if (typeof value === 'string' && value) stats[key] = value;
  }
  return stats;
}

export function summarize(annotation: Annotation): MeasurementSummary | undefined {
  const tool = annotation.metadata?.toolName;
  if (!isMeasurementTool(tool) || !annotation.annotationUID) return undefined;
  const imageId = annotation.metadata?.referencedImageId;
  const stats = statsOf(annotation);
  const units = [stats.unit, stats.areaUnit].filter(Boolean).join(' ');
  return {
    uid: annotation.annotationUID,
    tool,
    label: (annotation.data as { label?: string }).label ?? '',
    ref: imageId ? imageIndex.get(imageId)?.ref : undefined,
    imageId,
    stats,
    uncalibrated: /px/.test(units),
    locked: Boolean(annotation.isLocked),
  };
}

const fixed = (n: number, digits: number) => n.toFixed(digits);

/**
 * The measurement as one line of text, e.g. `23.4 mm`, `41.0°`, `128 mm² · mean 35.2 HU · SD 4.1`.
 * Units come from Cornerstone: mm and mm² from pixel spacing, px when there is none, HU for CT.
 */
export function formatMeasurement(m: Pick<MeasurementSummary, 'tool' | 'stats' | 'label'>): string {
  const s = m.stats;
  const unit = s.unit ?? '';
  switch (m.tool) {
    case ToolName.Length:
      return s.length === undefined ? '—' : `${fixed(s.length, 1)} ${unit}`.trim();
    case ToolName.Angle:
    case ToolName.CobbAngle:
      return s.angle === undefined ? '—' : `${fixed(s.angle, 1)}°`;
    case ToolName.Bidirectional:
      return s.length === undefined ? '—' : `${fixed(s.length, 1)} × ${fixed(s.width ?? 0, 1)} ${unit}`.trim();
    case ToolName.EllipticalROI:
    case ToolName.RectangleROI:
    case ToolName.PlanarFreehandROI:
    case ToolName.SplineROI: {
      if (s.area === undefined) return '—';
      const mu = s.modalityUnit ? ` ${s.modalityUnit}` : '';
      const parts = [`${fixed(s.area, 1)} ${s.areaUnit ?? ''}`.trim()];
      if (s.mean !== undefined) parts.push(`mean ${fixed(s.mean, 1)}${mu}`);
      if (s.stdDev !== undefined) parts.push(`SD ${fixed(s.stdDev, 1)}`);
      if (s.min !== undefined && s.max !== undefined) parts.push(`min ${fixed(s.min, 1)} / max ${fixed(s.max, 1)}`);
      return parts.join(' · ');
    }
    case ToolName.Probe:
      return s.value === undefined ? '—' : `${fixed(s.value, 1)}${s.modalityUnit ? ` ${s.modalityUnit}` : ''}`;
    case ToolName.ArrowAnnotate:
      return m.label || '—';
  }
}

/** The saved form of one annotation: Cornerstone's annotation with the image named by reference. */
export interface SavedAnnotation {
  uid: string;
  toolName: MeasurementToolName;
  ref: ImageRef;
  label: string;
  /** World coordinates of the handles (and the text box, when moved). */
  handles: unknown;
  metadata: { FrameOfReferenceUID?: string; viewPlaneNormal?: unknown; viewUp?: unknown; cameraFocalPoint?: unknown };
  stats: MeasurementStats;
  /** Freehand and spline ROIs: the outline in world coordinates (their handles are only control points). */
  contour?: { polyline: unknown; closed: boolean };
  /** Spline ROIs: the kind of spline through the control points (Cornerstone's `data.spline.type`). */
  spline?: { type: string };
  /** Where this measurement came from when it was not drawn here (a DICOM SR read back). */
  source?: 'sr';
}

/** The document saved per consult and author. */
export interface SavedAnnotations {
  format: 'yunzhen.annotations/1';
  annotations: SavedAnnotation[];
  /** Plain list for readers other than this viewer (reports, audits): tool, label, value text. */
  measurements: { uid: string; tool: string; label: string; value: string; sopInstanceUid: string; frame: number }[];
  /** SR instances already read into (or written from) these annotations, so they are not read twice. */
  srInstances: string[];
}

export function emptyDocument(): SavedAnnotations {
  return { format: 'yunzhen.annotations/1', annotations: [], measurements: [], srInstances: [] };
}

export function parseDocument(data: unknown): SavedAnnotations {
  const doc = data as Partial<SavedAnnotations> | null;
  if (!doc || doc.format !== 'yunzhen.annotations/1' || !Array.isArray(doc.annotations)) return emptyDocument();
  return {
    format: 'yunzhen.annotations/1',
    annotations: doc.annotations.filter((a) => isMeasurementTool(a?.toolName) && typeof a.uid === 'string' && a.ref && typeof a.ref.sopInstanceUid === 'string'),
    measurements: Array.isArray(doc.measurements) ? doc.measurements : [],
    srInstances: Array.isArray(doc.srInstances) ? doc.srInstances.filter((s): s is string => typeof s === 'string') : [],
  };
}

const sourceOf = new Map<string, 'sr'>();

/** Marks an annotation as read from an SR (shown in the panel, kept when saved). */
/**
 * The TID 1500 reports whose measurements the page should import as editable annotations: not
 * those already held by the reader's own saved annotations, and not those exported by another
 * reader, whose measurements the page already shows (locked, from that reader's saved
 * annotations); imported, they would show twice and be autosaved as this reader's own.
 */
export function reportsToImport<R extends { sopInstanceUid: string; isTid1500: boolean }>(reports: R[], mine: Iterable<string>, others: SavedAnnotations[]): R[] {
  const shown = new Set(mine);
  for (const other of others) for (const sop of other.srInstances) shown.add(sop);
  return reports.filter((report) => report.isTid1500 && !shown.has(report.sopInstanceUid));
}

export function markSource(uid: string, source: 'sr'): void {
  sourceOf.set(uid, source);
}

export function sourceOfAnnotation(uid: string): 'sr' | undefined {
  return sourceOf.get(uid);
}

/** Cornerstone annotation → saved form; undefined for annotations whose image is not ours. */
export function toSaved(annotation: Annotation): SavedAnnotation | undefined {
  const toolName = annotation.metadata?.toolName;
  const imageId = annotation.metadata?.referencedImageId;
  const ref = imageId ? imageIndex.get(imageId)?.ref : undefined;
  if (!isMeasurementTool(toolName) || !ref || !annotation.annotationUID) return undefined;
  const data = annotation.data as {
    handles?: { points?: unknown; textBox?: { hasMoved?: boolean; worldPosition?: unknown } };
    label?: string;
    contour?: { polyline?: unknown; closed?: boolean };
    spline?: { type?: string };
  };
  const textBox = data.handles?.textBox;
  const source = sourceOf.get(annotation.annotationUID);
  const metadata = (annotation.metadata ?? {}) as { FrameOfReferenceUID?: string; viewPlaneNormal?: unknown; viewUp?: unknown; cameraFocalPoint?: unknown };
  return {
    uid: annotation.annotationUID,
    toolName,
    ref,
    label: data.label ?? '',
    // Copies, never the live arrays: Cornerstone moves handles in place.
    handles: structuredClone({
      points: data.handles?.points ?? [],
      ...(textBox?.hasMoved && textBox.worldPosition ? { textBox: { hasMoved: true, worldPosition: textBox.worldPosition } } : {}),
    }),
    metadata: {
      FrameOfReferenceUID: metadata.FrameOfReferenceUID,
      viewPlaneNormal: metadata.viewPlaneNormal,
      viewUp: metadata.viewUp,
      cameraFocalPoint: metadata.cameraFocalPoint,
    },
    stats: statsOf(annotation),
    ...(data.contour?.polyline ? { contour: structuredClone({ polyline: data.contour.polyline, closed: data.contour.closed !== false }) } : {}),
    ...(data.spline?.type ? { spline: { type: data.spline.type } } : {}),
    ...(source ? { source } : {}),
  };
}

/** Saved form → a Cornerstone annotation ready for `annotation.state.addAnnotation`, or undefined when its image is not in this consult. */
export function fromSaved(saved: SavedAnnotation, options: { locked?: boolean } = {}): Annotation | undefined {
  const imageId = imageIdByRef.get(refKey(saved.ref.sopInstanceUid, saved.ref.frame));
  if (!imageId) return undefined;
  if (saved.source) markSource(saved.uid, saved.source);
  const handles = structuredClone(saved.handles) as { points?: unknown[]; textBox?: unknown };
  return {
    annotationUID: saved.uid,
    highlighted: false,
    invalidated: true,
    isLocked: Boolean(options.locked),
    isVisible: true,
    metadata: {
      toolName: saved.toolName,
      referencedImageId: imageId,
      FrameOfReferenceUID: saved.metadata.FrameOfReferenceUID,
      viewPlaneNormal: saved.metadata.viewPlaneNormal,
      viewUp: saved.metadata.viewUp,
      cameraFocalPoint: saved.metadata.cameraFocalPoint,
    },
    data: {
      label: saved.label,
      handles: {
        points: handles.points ?? [],
        activeHandleIndex: null,
        textBox: handles.textBox ?? { hasMoved: false },
      },
      cachedStats: { [`imageId:${imageId}`]: { ...saved.stats } },
      // The spline instance itself is rebuilt by the tool from the type on first render.
      ...(saved.contour ? { contour: structuredClone(saved.contour) } : {}),
      ...(saved.spline ? { spline: { type: saved.spline.type } } : {}),
    },
  } as unknown as Annotation;
}

export function toDocument(annotations: Annotation[], srInstances: Iterable<string>): SavedAnnotations {
  const saved = annotations.map(toSaved).filter((a): a is SavedAnnotation => a !== undefined);
  return {
    format: 'yunzhen.annotations/1',
    annotations: saved,
    measurements: saved.map((a) => ({
      uid: a.uid,
      tool: a.toolName,
      label: a.label,
      value: formatMeasurement({ tool: a.toolName, stats: a.stats, label: a.label }),
      sopInstanceUid: a.ref.sopInstanceUid,
      frame: a.ref.frame,
    })),
    srInstances: [...new Set(srInstances)],
  };
}
