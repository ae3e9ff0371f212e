/**
 * DICOMweb paths on this page's own origin (PS3.18 10.4 and 10.6), built from UIDs that are
 * checked to be UIDs: the viewer never takes a data-source URL from the address bar or from data.
 * Kept free of Cornerstone so the first bundle can start reads before the reading page loads.
 */
const UID = /^[0-9]+(\.[0-9]+)*$/;

function checkUid(uid: string): string {
  if (!UID.test(uid) || uid.length > 64) throw new Error('not a DICOM UID');
  return uid;
}

export const dicomweb = {
  series: (study: string) => `/dicomweb/studies/${checkUid(study)}/series?includefield=all`,
  seriesMetadata: (study: string, series: string) => `/dicomweb/studies/${checkUid(study)}/series/${checkUid(series)}/metadata`,
  seriesThumbnail: (study: string, series: string) => `/dicomweb/studies/${checkUid(study)}/series/${checkUid(series)}/thumbnail`,
  instance: (study: string, series: string, sop: string) => `/dicomweb/studies/${checkUid(study)}/series/${checkUid(series)}/instances/${checkUid(sop)}`,
  store: (study: string) => `/dicomweb/studies/${checkUid(study)}`,
};

export const DICOM_JSON = 'application/dicom+json';
