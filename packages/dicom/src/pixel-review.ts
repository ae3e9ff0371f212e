import { findElement, getAsciiString, type DicomDataset } from './dataset.js';
import { groupOf, isOverlayGroup, Tags } from './tags.js';

/**
 * Why an image needs a person to look at its pixels before it is released (PS3.15 E.3.1 Clean
 * Pixel Data and E.3.2 Clean Recognizable Visual Features cannot be done by this package).
 * - `BurnedInAnnotation`: Burned In Annotation (0028,0301) is YES.
 * - `ModalityBurnsInText`: a modality that usually burns text in (US, XC, ES, OT, …) and Burned In
 *   Annotation is not NO.
 * - `SecondaryCapture`: a Secondary Capture, ultrasound, visible light or video SOP Class (screen
 *   grabs and camera images) and Burned In Annotation is not NO.
 * - `RecognizableVisualFeatures`: Recognizable Visual Features (0028,0302) is YES.
 * - `OverlayRetained`: overlay bitmaps or curves were kept (Clean Graphics) and may hold text.
 * - `OverlayInPixelData`: an overlay group without Overlay Data, i.e. overlay bits inside the pixels.
 */
export type PixelReviewReason =
  | 'BurnedInAnnotation'
  | 'ModalityBurnsInText'
  | 'SecondaryCapture'
  | 'RecognizableVisualFeatures'
  | 'OverlayRetained'
  | 'OverlayInPixelData';

/** Modalities (PS3.3 C.7.3.1.1.1) whose images usually carry burned-in text. */
const textBurningModalities = new Set(['US', 'IVUS', 'XC', 'ES', 'GM', 'SM', 'OP', 'OT', 'DOC', 'PX']);

/** SOP Class UID prefixes (PS3.4 Annex B) of screen captures and camera images. */
const capturedImageSopClasses = [
  '1.2.840.10008.5.1.4.1.1.7', // Secondary Capture, and the multi-frame variants .7.1 to .7.4
  '1.2.840.10008.5.1.4.1.1.6', // Ultrasound (retired .6 and current .6.1, .6.2)
  '1.2.840.10008.5.1.4.1.1.3.1', // Ultrasound Multi-frame
  '1.2.840.10008.5.1.4.1.1.77.1', // Visible light (endoscopy, microscopy, photography, video)
];

function hasPixels(dataset: DicomDataset): boolean {
  return findElement(dataset, Tags.PixelData) !== undefined || findElement(dataset, Tags.FloatPixelData) !== undefined || findElement(dataset, Tags.DoubleFloatPixelData) !== undefined;
}

/** Pixel review reasons that follow from the (original) data set itself. */
export function pixelReviewReasonsOf(dataset: DicomDataset): PixelReviewReason[] {
  if (!hasPixels(dataset)) return [];
  const reasons: PixelReviewReason[] = [];
  const burnedIn = getAsciiString(dataset, Tags.BurnedInAnnotation)?.toUpperCase();
  if (burnedIn === 'YES') reasons.push('BurnedInAnnotation');
  else if (burnedIn !== 'NO') {
    const modality = getAsciiString(dataset, Tags.Modality)?.toUpperCase() ?? '';
    if (textBurningModalities.has(modality)) reasons.push('ModalityBurnsInText');
    const sopClass = getAsciiString(dataset, Tags.SOPClassUID) ?? '';
    if (capturedImageSopClasses.some((prefix) => sopClass === prefix || sopClass.startsWith(`${prefix}.`))) reasons.push('SecondaryCapture');
  }
  if (getAsciiString(dataset, Tags.RecognizableVisualFeatures)?.toUpperCase() === 'YES') reasons.push('RecognizableVisualFeatures');
  const overlayGroups = new Set<number>();
  const overlayDataGroups = new Set<number>();
  for (const element of dataset.elements) {
    const group = groupOf(element.tag);
    if (isOverlayGroup(group)) {
      overlayGroups.add(group);
      if ((element.tag & 0xffff) === 0x3000) overlayDataGroups.add(group);
    }
  }
  if ([...overlayGroups].some((group) => !overlayDataGroups.has(group))) reasons.push('OverlayInPixelData');
  return reasons;
}
