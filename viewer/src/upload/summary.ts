import type { UploadItem } from './upload-queue.js';

export interface UploadSummary {
  patients: { key: string; name: string; id: string; studies: number }[];
  studies: number;
  series: number;
  instances: number;
  modalities: string[];
  pixelReview: UploadItem[];
  invalid: UploadItem[];
}

/** Groups the pre-scanned files as a radiographer checks them: patients, studies, series. */
export function summarize(items: UploadItem[]): UploadSummary {
  const patients = new Map<string, { key: string; name: string; id: string; studies: Set<string> }>();
  const studies = new Set<string>();
  const series = new Set<string>();
  const modalities = new Set<string>();
  let instances = 0;
  for (const item of items) {
    if (!item.scan?.ok) continue;
    const a = item.scan.attributes;
    instances++;
    const key = `${a.PatientID ?? ''}\u0000${a.PatientName ?? ''}`;
    const patient = patients.get(key) ?? { key, name: a.PatientName ?? '', id: a.PatientID ?? '', studies: new Set<string>() };
    patient.studies.add(a.StudyInstanceUID ?? '');
    patients.set(key, patient);
    studies.add(a.StudyInstanceUID ?? '');
    series.add(a.SeriesInstanceUID ?? '');
    if (a.Modality) modalities.add(a.Modality);
  }
  return {
    patients: [...patients.values()].map((p) => ({ key: p.key, name: p.name, id: p.id, studies: p.studies.size })),
    studies: studies.size,
    series: series.size,
    instances,
    modalities: [...modalities].sort(),
    pixelReview: items.filter((i) => i.scan?.ok && i.scan.needsPixelReview),
    invalid: items.filter((i) => i.state === 'invalid'),
  };
}
