/**
 * RT Structure Sets (PS3.3 A.19): the contours of each ROI, in patient coordinates, read from the
 * series metadata (Contour Data is a decimal string, so WADO-RS metadata carries it inline). Drawn
 * as outlines over the images of the same frame of reference whose plane each contour lies in.
 */
import { numbers, text, values, type DicomJson } from './dicom-json.js';

export const RT_STRUCTURE_SET_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.481.3';

const RT = {
  StructureSetROISequence: '30060020',
  ROINumber: '30060022',
  ReferencedFrameOfReferenceUID: '30060024',
  ROIName: '30060026',
  ROIContourSequence: '30060039',
  ROIDisplayColor: '3006002A',
  ContourSequence: '30060040',
  ContourGeometricType: '30060042',
  ContourData: '30060050',
  ReferencedROINumber: '30060084',
} as const;

export interface StructureContour {
  /** Points in patient coordinates (mm), x y z after each other. */
  points: number[];
  closed: boolean;
}

export interface StructureRoi {
  /** Unique in the page: the structure set's SOP Instance UID and the ROI number. */
  key: string;
  name: string;
  color: [number, number, number];
  frameOfReferenceUid: string;
  contours: StructureContour[];
}

export interface StructureSet {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  label: string;
  rois: StructureRoi[];
}

export function isStructureSet(ds: DicomJson): boolean {
  return text(ds, '00080016') === RT_STRUCTURE_SET_SOP_CLASS;
}

/** A distinct colour for an ROI without ROI Display Color. */
const fallbackColors: [number, number, number][] = [[255, 64, 64], [64, 200, 64], [64, 128, 255], [255, 200, 0], [200, 64, 255], [0, 200, 200]];

export function readStructureSet(ds: DicomJson, studyInstanceUid: string, seriesInstanceUid: string, seriesDescription: string): StructureSet {
  const sopInstanceUid = text(ds, '00080018');
  const items = (tag: string, from: DicomJson | undefined = ds) => values(from, tag) as DicomJson[];
  const names = new Map(items(RT.StructureSetROISequence).map((roi) => [text(roi, RT.ROINumber), { name: text(roi, RT.ROIName), frameOfReferenceUid: text(roi, RT.ReferencedFrameOfReferenceUID) }]));
  const rois = items(RT.ROIContourSequence).map((roi, i): StructureRoi => {
    const number = text(roi, RT.ReferencedROINumber);
    const described = names.get(number);
    const color = numbers(roi, RT.ROIDisplayColor);
    return {
      key: `${sopInstanceUid}:${number || i}`,
      name: described?.name || `ROI ${number || i + 1}`,
      color: color.length === 3 ? (color.map((c) => Math.max(0, Math.min(255, Math.round(c)))) as [number, number, number]) : fallbackColors[i % fallbackColors.length]!,
      frameOfReferenceUid: described?.frameOfReferenceUid ?? '',
      contours: items(RT.ContourSequence, roi)
        .map((contour) => ({ points: numbers(contour, RT.ContourData), closed: text(contour, RT.ContourGeometricType) !== 'OPEN_PLANAR' }))
        .filter((contour) => contour.points.length >= 6 && contour.points.length % 3 === 0),
    };
  });
  return { studyInstanceUid, seriesInstanceUid, sopInstanceUid, label: text(ds, '30060002') || seriesDescription || 'RTSTRUCT', rois: rois.filter((roi) => roi.contours.length) };
}

/** An image's plane: a point on it, its unit normal, and how far from it a contour still belongs to it. */
export interface ImagePlane {
  origin: [number, number, number];
  normal: [number, number, number];
  tolerance: number;
  frameOfReferenceUid: string;
}

/** The contours of `roi` that lie in `plane` (every point within its tolerance). */
export function contoursInPlane(roi: StructureRoi, plane: ImagePlane): StructureContour[] {
  if (roi.frameOfReferenceUid && plane.frameOfReferenceUid && roi.frameOfReferenceUid !== plane.frameOfReferenceUid) return [];
  const [ox, oy, oz] = plane.origin;
  const [nx, ny, nz] = plane.normal;
  return roi.contours.filter((contour) => {
    for (let i = 0; i < contour.points.length; i += 3) {
      const distance = (contour.points[i]! - ox) * nx + (contour.points[i + 1]! - oy) * ny + (contour.points[i + 2]! - oz) * nz;
      if (Math.abs(distance) > plane.tolerance) return false;
    }
    return true;
  });
}
