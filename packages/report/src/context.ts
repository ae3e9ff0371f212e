import type { LocalizedText } from './language.js';
import type { ReportDocument } from './document.js';

/**
 * Who and what a rendering is about. The document itself holds no identity: the caller fills
 * this block with pseudonyms (the reading centre's view) or with the real identity (the sending
 * hospital's view), so every output is re-identified simply by passing the real context.
 */
export interface ReportContext {
  patient: {
    name: string;
    id: string;
    /** DICOM Patient's Sex (0010,0040): M, F, O, or U when unknown. */
    sex: 'M' | 'F' | 'O' | 'U';
    /** DICOM Age String (AS), e.g. `063Y`. */
    age?: string;
    /** ISO 8601 date, `YYYY-MM-DD`. */
    birthDate?: string;
  };
  study: {
    studyInstanceUid: string;
    accessionNumber: string;
    /** ISO 8601 date, `YYYY-MM-DD`. */
    studyDate: string;
    studyDescription: string;
    /** DICOM modality codes, e.g. `['CT']`. */
    modalities: string[];
    /** Series known to the caller; gives ImagingStudy.series its modality. */
    series?: { seriesInstanceUid: string; modality: string; description?: string }[];
  };
  sendingHospital: { id: string; name: LocalizedText };
  readingCentre: { id: string; name: LocalizedText };
  referringDoctor?: string;
  /** A consult referred to another centre: who read it there, and who countersigned it at the reading centre. */
  referral?: { centre: { id: string; name: LocalizedText }; readBy: string; countersignedBy?: string };
  /**
   * Maps the UIDs the document holds (series, instances and the study as the reading centre
   * knows them) to the UIDs of this audience. Absent entries are used unchanged.
   */
  uids?: Record<string, string>;
}

/** The UID this audience knows for a UID held in the document. */
export function audienceUid(context: ReportContext, documentUid: string): string {
  return context.uids?.[documentUid] ?? documentUid;
}

/**
 * Every UID the document refers to, so that the server can look up the original UIDs in its
 * pseudonym store and pass them as `ReportContext.uids` for the sending hospital's view.
 */
export function referencedUids(doc: ReportDocument): string[] {
  const uids = new Set<string>([doc.study.studyInstanceUid]);
  for (const { image } of [...doc.measurements, ...doc.keyImages]) {
    uids.add(image.studyInstanceUid);
    uids.add(image.seriesInstanceUid);
    uids.add(image.sopInstanceUid);
  }
  return [...uids];
}
