/**
 * DICOM SR TID 1500 (Measurement Report, PS3.16) in and out, through Cornerstone's adapters:
 * export writes a Comprehensive SR (or Comprehensive 3D SR) into the same study as a new series
 * with STOW-RS (PS3.18 10.5); import turns a study's TID 1500 reports back into editable
 * annotations. Loaded on first use (with dcmjs and the adapters), not with the reading page.
 */
import { metaData, type Types as CoreTypes } from '@cornerstonejs/core';
import { adaptersSR } from '@cornerstonejs/adapters';
import type { Types as ToolTypes } from '@cornerstonejs/tools';
import { implementationClassUid } from '@yunzhen/dicom';
import dcmjs from 'dcmjs';

import { api, ApiError } from '../api.js';
import { DICOM_JSON, SrStoreError, stowFailureCode, stowRequest } from './dicomweb-paths.js';
import { dicomweb, imageIdByRef, type SrInstance } from './study-data.js';
import { isMeasurementTool } from './tool-names.js';

const { MeasurementReport } = adaptersSR.Cornerstone3D;

type Annotation = ToolTypes.Annotation;

/** A content item of the naturalized SR dataset (PS3.3 C.17.3), as much of it as is read here. */
interface ContentItem {
  ValueType?: string;
  RelationshipType?: string;
  ConceptNameCodeSequence?: Code | Code[];
  TextValue?: string;
  ContentSequence?: ContentItem | ContentItem[];
}
interface Code {
  CodeValue: string;
  CodingSchemeDesignator: string;
  CodeMeaning: string;
}

const asList = <T,>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const conceptOf = (item: ContentItem) => asList(item.ConceptNameCodeSequence)[0];
const isConcept = (item: ContentItem, value: string, scheme: string) => conceptOf(item)?.CodeValue === value && conceptOf(item)?.CodingSchemeDesignator === scheme;

/** A plane angle, as the report's own SR codes it (`valueConcept` in packages/report/src/codes.ts). */
const ANGLE: Code = { CodeValue: '1483009', CodingSchemeDesignator: 'SCT', CodeMeaning: 'Angle' };
/** Where on the image an arrow points (TID 1410 "Image Region"). */
const IMAGE_REGION: Code = { CodeValue: '111030', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Image Region' };

/**
 * Codes the measurement groups as the reader drew them, where the adapters code them otherwise
 * (PS3.16 TID 1501): a plain Angle is written as a Cobb angle (SCT 285285000), which is a
 * particular angle on a spine radiograph; an arrow is written as a NUM "label" = 0 with no
 * units, a number that measures nothing. The angle gets SCT 1483009 "Angle"; the arrow keeps
 * its text (the TEXT "Comment" the adapters add) and its drawing, as a SCOORD "Image Region".
 * Reading back is unchanged: the adapters find the tool by the tracking identifier and an
 * arrow's points by its SCOORD.
 */
export function codeMeasurementGroups(dataset: { ContentSequence?: ContentItem | ContentItem[] }): void {
  const measurements = asList(dataset.ContentSequence).find((item) => isConcept(item, '126010', 'DCM'));
  for (const group of asList(measurements?.ContentSequence)) {
    const tracking = asList(group.ContentSequence).find((item) => isConcept(item, '112039', 'DCM'))?.TextValue ?? '';
    const tool = tracking.slice(tracking.lastIndexOf(':') + 1);
    const items = asList(group.ContentSequence);
    if (tool === 'Angle') {
      for (const item of items) if (item.ValueType === 'NUM' && isConcept(item, '285285000', 'SCT')) item.ConceptNameCodeSequence = [ANGLE];
    }
    if (tool === 'ArrowAnnotate') {
      group.ContentSequence = items.flatMap((item) => {
        if (item.ValueType !== 'NUM' || !isConcept(item, '111010', 'DCM')) return [item];
        return asList(item.ContentSequence)
          .filter((child) => child.ValueType === 'SCOORD' || child.ValueType === 'SCOORD3D')
          .map((scoord) => ({ ...scoord, RelationshipType: 'CONTAINS', ConceptNameCodeSequence: [IMAGE_REGION] }));
      });
    }
  }
}

/**
 * The rectangle, freehand and spline adapters pass the ROI's maximum, mean and SD to the TID 300
 * polyline but not its minimum, which the polyline writes when given: hand it over. The spline
 * adapter inherits the freehand one's method (a prototype child), so the wrapper keeps `this`:
 * bound to the freehand adapter, a spline ROI would be tracked, and read back, as freehand.
 */
function withMinimum(toolType: string): void {
  type Adapter = { getTID300RepresentationArguments: (this: Adapter, tool: Annotation, is3D?: boolean) => Record<string, unknown>; withMinimum?: true };
  const adapter = MeasurementReport.measurementAdapterByToolType.get(toolType) as Adapter | undefined;
  if (!adapter || adapter.withMinimum) return;
  const original = adapter.getTID300RepresentationArguments;
  adapter.getTID300RepresentationArguments = function (this: Adapter, tool, is3D) {
    const args = original.call(this, tool, is3D);
    const stats = Object.values((tool.data as { cachedStats?: Record<string, { min?: unknown }> }).cachedStats ?? {})[0];
    return typeof stats?.min === 'number' && Number.isFinite(stats.min) ? { ...args, min: stats.min } : args;
  };
  adapter.withMinimum = true;
}
for (const toolType of ['RectangleROI', 'PlanarFreehandROI', 'SplineROI']) withMinimum(toolType);

export interface SrExportOptions {
  studyInstanceUid: string;
  /** The study's PatientName and PatientID exactly as QIDO-RS gives them (pseudonyms for a reading centre). */
  patientName: string;
  patientId: string;
  /** The reader, recorded as Person Observer Name (TID 1002). */
  observerName: string;
  seriesNumber: number;
}

/** Person Name (PS3.5 6.2, VR PN) from free text: no component or group separators, 64 characters. */
export function toPersonName(value: string): string {
  return value.replace(/[\^=\\]/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 64) || 'UNKNOWN';
}

/** Builds the SR as a DICOM Part 10 file (Explicit VR Little Endian). */
export function buildMeasurementReport(annotations: Annotation[], options: SrExportOptions): { bytes: ArrayBuffer; sopInstanceUid: string; count: number } {
  const toolState: Record<string, Record<string, { data: Annotation[] }>> = {};
  let count = 0;
  for (const annotation of annotations) {
    const imageId = annotation.metadata?.referencedImageId;
    const tool = annotation.metadata?.toolName;
    if (!imageId || !isMeasurementTool(tool) || !MeasurementReport.measurementAdapterByToolType.has(tool)) continue;
    const perImage = (toolState[imageId] ??= {});
    (perImage[tool] ??= { data: [] }).data.push(annotation);
    count++;
  }
  if (count === 0) throw new SrStoreError('Empty', 'there are no measurements to export');
  const report = MeasurementReport.generateReport(toolState, metaData, {
    PersonName: toPersonName(options.observerName),
    SeriesDescription: 'Measurements (Yunzhen)',
    SeriesNumber: String(options.seriesNumber),
    Manufacturer: 'Yunzhen',
    ManufacturerModelName: 'Yunzhen viewer',
    SoftwareVersions: '1',
    DeviceSerialNumber: 'web',
  }) as { dataset: Record<string, unknown> };
  const dataset = report.dataset;
  codeMeasurementGroups(dataset);
  // What dcmjs fills in for research use does not belong in a clinical report.
  delete dataset.ImageComments;
  delete dataset.ContentQualification;
  delete dataset.CodingSchemeIdentificationSequence;
  // PS3.5 PN, as plain strings: never an object or JSON text in the written file (OHIF#3648).
  dataset.PatientName = options.patientName;
  dataset.PatientID = options.patientId;
  dataset.StudyInstanceUID = options.studyInstanceUid;
  dataset.SpecificCharacterSet = 'ISO_IR 192';
  dataset.InstanceNumber = 1;
  dataset.InstitutionName = '';
  const sopInstanceUid = String(dataset.SOPInstanceUID);
  // File meta (PS3.10 7.1), keyed by tag as DicomDict expects.
  const meta = {
    '00020001': { vr: 'OB', Value: [new Uint8Array([0, 1]).buffer] },
    '00020002': { vr: 'UI', Value: [dataset.SOPClassUID] },
    '00020003': { vr: 'UI', Value: [sopInstanceUid] },
    '00020010': { vr: 'UI', Value: ['1.2.840.10008.1.2.1'] },
    '00020012': { vr: 'UI', Value: [implementationClassUid] },
    '00020013': { vr: 'SH', Value: ['YUNZHEN_VIEWER'] },
  };
  const { _meta: _ignoredMeta, _vrMap: _ignoredVrMap, ...plain } = dataset;
  const dict = new dcmjs.data.DicomDict(meta);
  dict.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(plain);
  return { bytes: dict.write(), sopInstanceUid, count };
}

/** Stores one instance into its study with STOW-RS; throws `SrStoreError` with the server's reason code. */
export async function storeInstance(studyInstanceUid: string, bytes: ArrayBuffer): Promise<void> {
  const { body, contentType } = stowRequest(bytes);
  try {
    await api(dicomweb.store(studyInstanceUid), { method: 'POST', body, contentType, accept: DICOM_JSON });
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    const reason = stowFailureCode(error.body) ?? error.code;
    throw new SrStoreError(reason, `the measurement report was not stored (${reason})`);
  }
}

/** Exports the annotations as a TID 1500 report stored in the study; returns its SOP Instance UID. */
export async function exportMeasurementReport(annotations: Annotation[], options: SrExportOptions): Promise<{ sopInstanceUid: string; count: number }> {
  const { bytes, sopInstanceUid, count } = buildMeasurementReport(annotations, options);
  await storeInstance(options.studyInstanceUid, bytes);
  return { sopInstanceUid, count };
}

/**
 * Reads a TID 1500 report (its WADO-RS metadata, which holds the whole content tree) into
 * Cornerstone annotations on this consult's images. Measurements on images not here are skipped.
 */
export function readMeasurementReport(sr: SrInstance): Annotation[] {
  const naturalized = dcmjs.data.DicomMetaDictionary.naturalizeDataset(sr.json as Record<string, unknown>);
  const sopToImageId: Record<string, string> = {};
  for (const [key, imageId] of imageIdByRef) sopToImageId[key] = imageId;
  const state = MeasurementReport.generateToolState(naturalized, sopToImageId, metaData, undefined) as Record<string, { annotation?: Annotation }[]>;
  const annotations: Annotation[] = [];
  for (const [toolName, measurements] of Object.entries(state)) {
    if (!isMeasurementTool(toolName)) continue;
    for (const measurement of measurements) {
      const annotation = measurement.annotation;
      const imageId = annotation?.metadata?.referencedImageId;
      if (!annotation?.metadata || !imageId) continue;
      const metadata = annotation.metadata;
      metadata.toolName = toolName;
      const plane = metaData.get('imagePlaneModule', imageId) as { rowCosines?: number[]; columnCosines?: number[]; frameOfReferenceUID?: string } | undefined;
      if (plane?.rowCosines && plane.columnCosines) {
        const [r0, r1, r2] = plane.rowCosines as [number, number, number];
        const [c0, c1, c2] = plane.columnCosines as [number, number, number];
        metadata.viewPlaneNormal = [r1 * c2 - r2 * c1, r2 * c0 - r0 * c2, r0 * c1 - r1 * c0] as CoreTypes.Point3;
        metadata.viewUp = [-c0, -c1, -c2] as CoreTypes.Point3;
      }
      metadata.FrameOfReferenceUID ??= plane?.frameOfReferenceUID ?? '';
      annotation.isLocked = false;
      annotation.isVisible = true;
      annotation.invalidated = true;
      annotations.push(annotation);
    }
  }
  return annotations;
}

