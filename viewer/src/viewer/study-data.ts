/**
 * The reading page's data source: QIDO-RS for the series of a study, WADO-RS metadata for their
 * instances, and the `wadors:` image ids Cornerstone loads frames with. Every URL is built
 * here, on this page's own origin, from UIDs that are checked to be UIDs: the viewer never takes
 * a data-source URL from the address bar or from data.
 */
import { utilities as metadataUtilities } from '@cornerstonejs/metadata';

import { takeEarlyFollowUp } from '../early-reads.js';
import { isImage, isSegmentation, isStructuredReport, number, numbers, Tag, text, type DicomJson } from './dicom-json.js';
import { DICOM_JSON, dicomweb } from './dicomweb-paths.js';
import { isStructureSet, readStructureSet, type StructureSet } from './structure-sets.js';

export { dicomweb };

export class DicomWebError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function fetchDicomJson(path: string): Promise<DicomJson[]> {
  const response = (await takeEarlyFollowUp(path)) ?? (await fetch(path, { credentials: 'same-origin', headers: { Accept: DICOM_JSON } }));
  if (!response.ok) throw new DicomWebError(response.status, `${response.status} for ${path.split('?')[0]}`);
  return (await response.json()) as DicomJson[];
}

/** One stack a viewport shows: a series, or one multi-frame instance of it. */
export interface DisplaySet {
  key: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  modality: string;
  seriesNumber: number | undefined;
  seriesDescription: string;
  bodyPart: string;
  imageIds: string[];
  /** Frames per second for cine, from Cine Rate or Frame Time when the data have them. */
  cineRate: number | undefined;
  multiFrame: boolean;
}

/** A DICOM SR in the study (TID 1500 reports are read back into annotations). */
export interface SrInstance {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  json: DicomJson;
  isTid1500: boolean;
}

/** A DICOM SEG in the study: shown as a labelmap over the series it segments, never as images of its own. */
export interface SegInstance {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  /** The series whose images the segmentation is drawn on (Referenced Series Sequence, PS3.3 C.8.20.2). */
  referencedSeriesInstanceUid: string;
  seriesDescription: string;
}

/** Where an image id points, in terms that survive a different origin or machine. */
export interface ImageRef {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  frame: number;
}

export interface LoadedStudy {
  studyInstanceUid: string;
  /** Study-level attributes (from the first instance): names, dates, descriptions. */
  study: DicomJson;
  displaySets: DisplaySet[];
  structuredReports: SrInstance[];
  segmentations: SegInstance[];
  /** RT Structure Sets: their ROIs' outlines are drawn over the images of their frame of reference. */
  structureSets: StructureSet[];
  /** Series with neither images nor SR (waveforms, RT plans…): listed, not shown. */
  otherSeries: { seriesInstanceUid: string; modality: string; seriesDescription: string }[];
}

/** Per image id: its reference and its full WADO-RS metadata (for the tag browser and overlays). */
export const imageIndex = new Map<string, { ref: ImageRef; json: DicomJson }>();
/** Per `sop:frame`: the image id, to map stored references back. */
export const imageIdByRef = new Map<string, string>();

export const refKey = (sopInstanceUid: string, frame: number) => `${sopInstanceUid}:${frame}`;

type NaturalizedProvider = (next: (query: string, data: unknown, options: unknown) => unknown, query: string, data: unknown, options: unknown) => unknown;

/**
 * Cornerstone's naturalized metadata of an instance, made when Cornerstone first asks for it
 * (its cache keeps the result). Naturalizing every instance as the series arrives
 * (`addDicomWebInstance`) held the first image of a 300-slice CT back by about 120 ms.
 */
export const naturalizedOnFirstUse: NaturalizedProvider = (next, query, data, options) => {
  // Cornerstone asks by the instance's image id (`wadors:` URL without a frame); every
  // instance indexed here has a frame 1.
  const json = imageIndex.get(`${query}/frames/1`)?.json;
  return json ? metadataUtilities.naturalizeDicomwebMetadata(json) : next(query, data, options);
};

function frameImageId(study: string, series: string, sop: string, frame: number): string {
  return `wadors:${location.origin}${dicomweb.instance(study, series, sop)}/frames/${frame}`;
}

/** Loads one study's series list and metadata and makes every instance known to Cornerstone's metadata (see naturalizedOnFirstUse). */
export async function loadStudy(studyInstanceUid: string, onSeries?: (partial: LoadedStudy) => void): Promise<LoadedStudy> {
  const seriesList = await fetchDicomJson(dicomweb.series(studyInstanceUid));
  seriesList.sort((a, b) => (number(a, Tag.SeriesNumber) ?? 1e9) - (number(b, Tag.SeriesNumber) ?? 1e9));
  const loaded: LoadedStudy = { studyInstanceUid, study: {}, displaySets: [], structuredReports: [], segmentations: [], structureSets: [], otherSeries: [] };
  // Image series first, so the first viewport fills while the rest still loads.
  const ordered = [...seriesList.filter((s) => text(s, Tag.Modality) !== 'SR'), ...seriesList.filter((s) => text(s, Tag.Modality) === 'SR')];
  const pending = ordered.map((series) => {
    const seriesUid = text(series, Tag.SeriesInstanceUID);
    return { series, seriesUid, metadata: fetchDicomJson(dicomweb.seriesMetadata(studyInstanceUid, seriesUid)) };
  });
  for (const { series, seriesUid, metadata } of pending) {
    let instances: DicomJson[];
    try {
      instances = await metadata;
    } catch (error) {
      if (error instanceof DicomWebError && error.status === 404) continue; // e.g. held for pixel review
      throw error;
    }
    if (!Object.keys(loaded.study).length && instances[0]) loaded.study = instances[0];
    const segmentations = instances.filter(isSegmentation);
    const images = instances.filter((json) => isImage(json) && !isSegmentation(json));
    const reports = instances.filter(isStructuredReport);
    const structureSets = instances.filter(isStructureSet);
    for (const json of structureSets) loaded.structureSets.push(readStructureSet(json, studyInstanceUid, seriesUid, text(json, Tag.SeriesDescription) || text(series, Tag.SeriesDescription)));
    for (const json of segmentations) {
      const referenced = (json[Tag.ReferencedSeriesSequence]?.Value?.[0] ?? {}) as DicomJson;
      loaded.segmentations.push({
        studyInstanceUid,
        seriesInstanceUid: seriesUid,
        sopInstanceUid: text(json, Tag.SOPInstanceUID),
        referencedSeriesInstanceUid: text(referenced, Tag.SeriesInstanceUID),
        seriesDescription: text(json, Tag.SeriesDescription) || text(series, Tag.SeriesDescription),
      });
    }
    for (const json of reports) {
      const template = (json[Tag.ContentTemplateSequence]?.Value?.[0] ?? {}) as DicomJson;
      loaded.structuredReports.push({
        studyInstanceUid,
        seriesInstanceUid: seriesUid,
        sopInstanceUid: text(json, Tag.SOPInstanceUID),
        json,
        isTid1500: text(template, Tag.TemplateIdentifier) === '1500',
      });
    }
    if (images.length) loaded.displaySets.push(...displaySetsOf(studyInstanceUid, seriesUid, series, images));
    else if (!reports.length && !segmentations.length && !structureSets.length) loaded.otherSeries.push({ seriesInstanceUid: seriesUid, modality: text(series, Tag.Modality), seriesDescription: text(series, Tag.SeriesDescription) });
    onSeries?.({ ...loaded, displaySets: [...loaded.displaySets], segmentations: [...loaded.segmentations], structureSets: [...loaded.structureSets] });
  }
  return loaded;
}

function displaySetsOf(study: string, seriesUid: string, series: DicomJson, images: DicomJson[]): DisplaySet[] {
  const base = {
    studyInstanceUid: study,
    seriesInstanceUid: seriesUid,
    modality: text(series, Tag.Modality) || text(images[0], Tag.Modality),
    seriesNumber: number(series, Tag.SeriesNumber),
    seriesDescription: text(series, Tag.SeriesDescription) || text(images[0], Tag.SeriesDescription),
    bodyPart: text(series, Tag.BodyPartExamined) || text(images[0], Tag.BodyPartExamined),
  };
  for (const json of images) {
    const sop = text(json, Tag.SOPInstanceUID);
    const frames = Math.max(1, Math.floor(number(json, Tag.NumberOfFrames) ?? 1));
    for (let frame = 1; frame <= frames; frame++) {
      const imageId = frameImageId(study, seriesUid, sop, frame);
      imageIndex.set(imageId, { ref: { studyInstanceUid: study, seriesInstanceUid: seriesUid, sopInstanceUid: sop, frame }, json });
      imageIdByRef.set(refKey(sop, frame), imageId);
    }
  }
  const multiFrame = images.filter((json) => (number(json, Tag.NumberOfFrames) ?? 1) > 1);
  if (multiFrame.length) {
    // A series of cine loops: one stack per multi-frame instance, single frames together.
    const sets: DisplaySet[] = multiFrame.sort(byInstanceNumber).map((json) => {
      const sop = text(json, Tag.SOPInstanceUID);
      const frames = Math.floor(number(json, Tag.NumberOfFrames) ?? 1);
      return {
        ...base,
        key: `${seriesUid}/${sop}`,
        imageIds: Array.from({ length: frames }, (_, i) => frameImageId(study, seriesUid, sop, i + 1)),
        cineRate: cineRateOf(json),
        multiFrame: true,
      };
    });
    const single = images.filter((json) => (number(json, Tag.NumberOfFrames) ?? 1) <= 1);
    if (single.length) sets.push(singleFrameSet(base, study, seriesUid, single));
    return sets;
  }
  return [singleFrameSet(base, study, seriesUid, images)];
}

function singleFrameSet(base: Omit<DisplaySet, 'key' | 'imageIds' | 'cineRate' | 'multiFrame'>, study: string, seriesUid: string, images: DicomJson[]): DisplaySet {
  const sorted = sortSlices(images);
  return {
    ...base,
    key: seriesUid,
    imageIds: sorted.map((json) => frameImageId(study, seriesUid, text(json, Tag.SOPInstanceUID), 1)),
    cineRate: undefined,
    multiFrame: false,
  };
}

function byInstanceNumber(a: DicomJson, b: DicomJson): number {
  return (number(a, Tag.InstanceNumber) ?? 0) - (number(b, Tag.InstanceNumber) ?? 0) || text(a, Tag.SOPInstanceUID).localeCompare(text(b, Tag.SOPInstanceUID));
}

/** Slices in spatial order along the slice normal when every slice has a position, else by Instance Number. */
export function sortSlices(images: DicomJson[]): DicomJson[] {
  const orientation = numbers(images[0], Tag.ImageOrientationPatient);
  const positioned = orientation.length === 6 && images.every((json) => numbers(json, Tag.ImagePositionPatient).length === 3);
  if (!positioned) return [...images].sort(byInstanceNumber);
  const [r0, r1, r2, c0, c1, c2] = orientation as [number, number, number, number, number, number];
  const normal = [r1 * c2 - r2 * c1, r2 * c0 - r0 * c2, r0 * c1 - r1 * c0] as const;
  const along = (json: DicomJson) => {
    const p = numbers(json, Tag.ImagePositionPatient);
    return p[0]! * normal[0] + p[1]! * normal[1] + p[2]! * normal[2];
  };
  const distinct = new Set(images.map(along));
  if (distinct.size !== images.length) return [...images].sort(byInstanceNumber);
  // Head first for axial stacks (radiological convention: highest z at the top of the stack).
  return [...images].sort((a, b) => along(b) - along(a));
}

function cineRateOf(json: DicomJson): number | undefined {
  const rate = number(json, Tag.CineRate);
  if (rate && rate > 0) return Math.min(60, rate);
  const frameTime = number(json, Tag.FrameTime);
  if (frameTime && frameTime > 0) return Math.min(60, Math.round(1000 / frameTime));
  return undefined;
}
