import type { Labels, LocalizedText } from '../language.js';
import { longestDiameterMm, roundToTenth, shortAxisMm, type Measurement } from '../measurement.js';

/**
 * RECIST 1.1 (Eisenhauer et al., Eur J Cancer 2009;45:228–247) for one time point.
 *
 * Target lesions contribute their longest diameter, lymph nodes their short axis (§3.2, §4.2);
 * a lesion that disappeared counts 0 mm, one too small to measure 5 mm (Appendix II). Responses
 * follow §4.3.1 (target), §4.3.3 (non-target) and Tables 1 and 2 (overall). All arithmetic is
 * done in integer tenths of a millimetre so that a threshold met exactly is met.
 */
export const RECIST_VERSION = '1.1';

export interface RecistTargetLesion {
  id: string;
  /** Organ name as the reader records it; all lymph nodes count as one organ (EORTC RECIST FAQ). */
  organ: string;
  nodal: boolean;
  site?: LocalizedText;
  /** The measurement at this time point: Length or Bidirectional; Bidirectional for lymph nodes (short axis). */
  measurementId?: string;
  /** When there is no measurement: why. */
  state?: 'disappeared' | 'too-small-to-measure' | 'not-evaluated';
  /** Follow-up: the lesion's diameter at baseline, in mm (from the baseline report). */
  baselineMm?: number;
}

export interface RecistNonTargetLesion {
  id: string;
  organ: string;
  nodal: boolean;
  site?: LocalizedText;
  /** `absent` for a lymph node means it is no longer pathological (short axis < 10 mm). */
  status: 'present' | 'absent' | 'unequivocal-progression' | 'not-evaluated';
}

export interface RecistNewLesion {
  id: string;
  site?: LocalizedText;
  measurementId?: string;
  /** An equivocal new lesion does not make progression until a later scan confirms it (§4.3.4). */
  equivocal: boolean;
}

export interface RecistInput {
  timepoint: 'baseline' | 'follow-up';
  targetLesions: RecistTargetLesion[];
  nonTargetLesions: RecistNonTargetLesion[];
  newLesions: RecistNewLesion[];
  /** Follow-up: sums of diameters at earlier follow-ups, in mm; with the baseline sum they give the nadir. */
  priorSumsMm: number[];
  /** Non-target complete response also needs normal tumour markers (§4.3.3); absent means not applicable. */
  tumourMarkersNormal?: boolean;
}

export type TargetResponse = 'CR' | 'PR' | 'SD' | 'PD' | 'NE';
export type NonTargetResponse = 'CR' | 'non-CR/non-PD' | 'PD' | 'NE';
export type OverallResponse = TargetResponse | 'non-CR/non-PD';

export interface RecistAssessment {
  version: typeof RECIST_VERSION;
  timepoint: RecistInput['timepoint'];
  /** Each target lesion's diameter at this time point, `null` when not evaluated. */
  lesions: { lesionId: string; diameterMm: number | null }[];
  /** Sum of diameters of the evaluated target lesions. */
  sumMm: number;
  /** Whether every target lesion was evaluated. */
  allTargetsEvaluated: boolean;
  baselineSumMm: number | null;
  /** Smallest sum on study before this time point, the baseline included (§4.3.1). */
  nadirMm: number | null;
  changeFromBaselinePercent: number | null;
  changeFromNadirPercent: number | null;
  changeFromNadirMm: number | null;
  /** `null` at baseline or without target lesions. */
  targetResponse: TargetResponse | null;
  /** `null` without non-target lesions. */
  nonTargetResponse: NonTargetResponse | null;
  /** At least one unequivocal new lesion. */
  newLesions: boolean;
  /** `null` at baseline. */
  overallResponse: OverallResponse | null;
}

/** The diameter RECIST sums for one target lesion, in mm, or `undefined` when it cannot be told. */
export function targetLesionDiameterMm(lesion: RecistTargetLesion, measurement: Measurement | undefined): number | undefined {
  if (lesion.measurementId !== undefined) {
    if (!measurement) return undefined;
    const value = lesion.nodal ? shortAxisMm(measurement) : longestDiameterMm(measurement);
    return value === undefined ? undefined : roundToTenth(value);
  }
  if (lesion.state === 'disappeared') return 0;
  if (lesion.state === 'too-small-to-measure') return 5;
  return undefined;
}

/** RECIST 1.1 sums and responses at one time point. */
export function assessRecist(input: RecistInput, measurements: Measurement[]): RecistAssessment {
  const byId = new Map(measurements.map((m) => [m.id, m]));
  const lesions = input.targetLesions.map((lesion) => {
    const diameter = targetLesionDiameterMm(lesion, lesion.measurementId ? byId.get(lesion.measurementId) : undefined);
    return { lesion, tenths: diameter === undefined ? null : Math.round(diameter * 10) };
  });
  const allTargetsEvaluated = lesions.every(({ tenths }) => tenths !== null);
  const sum = lesions.reduce((total, { tenths }) => total + (tenths ?? 0), 0);

  const baseline =
    input.timepoint === 'baseline'
      ? allTargetsEvaluated ? sum : null
      : input.targetLesions.every((l) => l.baselineMm !== undefined)
        ? input.targetLesions.reduce((total, l) => total + Math.round((l.baselineMm ?? 0) * 10), 0)
        : null;
  const nadir = baseline === null ? null : Math.min(baseline, ...input.priorSumsMm.map((s) => Math.round(s * 10)));

  const followUp = input.timepoint === 'follow-up';
  const hasTargets = input.targetLesions.length > 0;
  const targetResponse = followUp && hasTargets ? targetLesionResponse(lesions, sum, allTargetsEvaluated, baseline, nadir) : null;
  const nonTargetResponse = input.nonTargetLesions.length > 0 ? nonTargetLesionResponse(input) : null;
  const newLesions = input.newLesions.some((lesion) => !lesion.equivocal);

  return {
    version: RECIST_VERSION,
    timepoint: input.timepoint,
    lesions: lesions.map(({ lesion, tenths }) => ({ lesionId: lesion.id, diameterMm: tenths === null ? null : tenths / 10 })),
    sumMm: sum / 10,
    allTargetsEvaluated,
    baselineSumMm: baseline === null ? null : baseline / 10,
    nadirMm: nadir === null ? null : nadir / 10,
    changeFromBaselinePercent: followUp ? percentChange(sum, baseline) : null,
    changeFromNadirPercent: followUp ? percentChange(sum, nadir) : null,
    changeFromNadirMm: followUp && nadir !== null ? (sum - nadir) / 10 : null,
    targetResponse,
    nonTargetResponse,
    newLesions,
    overallResponse: followUp ? overallResponse(hasTargets, targetResponse, nonTargetResponse, newLesions) : null,
  };
}

/** §4.3.1 target lesion response; sums in tenths of a millimetre. */
function targetLesionResponse(
  lesions: { lesion: RecistTargetLesion; tenths: number | null }[],
  sum: number,
  allEvaluated: boolean,
  baseline: number | null,
  nadir: number | null,
): TargetResponse {
  if (baseline === null || nadir === null) return 'NE';
  // PD: at least 20% above the nadir AND at least 5 mm above it in absolute terms.
  const progressed = 5 * (sum - nadir) >= nadir && sum - nadir >= 50;
  // Lesions not evaluated can only add to the sum, so PD from the evaluated ones stands (§4.3.1 note).
  if (!allEvaluated) return progressed ? 'PD' : 'NE';
  // CR: every non-nodal target gone and every nodal target below 10 mm short axis (the sum need not be 0).
  const complete = lesions.every(({ lesion, tenths }) => (lesion.nodal ? (tenths ?? 0) < 100 : tenths === 0));
  if (complete) return 'CR';
  if (progressed) return 'PD';
  // PR: at least 30% below the baseline sum.
  if (baseline > 0 && 10 * (baseline - sum) >= 3 * baseline) return 'PR';
  return 'SD';
}

/** §4.3.3 non-target lesion response. */
function nonTargetLesionResponse(input: RecistInput): NonTargetResponse {
  const statuses = input.nonTargetLesions.map((lesion) => lesion.status);
  if (statuses.includes('unequivocal-progression')) return 'PD';
  if (statuses.includes('not-evaluated')) return 'NE';
  if (statuses.every((status) => status === 'absent') && input.tumourMarkersNormal !== false) return 'CR';
  return 'non-CR/non-PD';
}

/** Tables 1 (with target lesions) and 2 (non-target lesions only) of RECIST 1.1. */
function overallResponse(
  hasTargets: boolean,
  target: TargetResponse | null,
  nonTarget: NonTargetResponse | null,
  newLesions: boolean,
): OverallResponse {
  if (newLesions || target === 'PD' || nonTarget === 'PD') return 'PD';
  if (!hasTargets) return nonTarget ?? 'NE';
  switch (target) {
    case 'CR':
      return nonTarget === null || nonTarget === 'CR' ? 'CR' : 'PR';
    case 'PR':
    case 'SD':
    case 'NE':
      return target;
    default:
      return 'NE';
  }
}

function percentChange(current: number, reference: number | null): number | null {
  if (reference === null || reference === 0) return null;
  return Math.round(((current - reference) * 1000) / reference) / 10;
}

export const recistResponseLabels: Record<OverallResponse, Labels> = {
  CR: { 'zh-CN': '完全缓解（CR）', en: 'Complete response (CR)' },
  PR: { 'zh-CN': '部分缓解（PR）', en: 'Partial response (PR)' },
  SD: { 'zh-CN': '疾病稳定（SD）', en: 'Stable disease (SD)' },
  PD: { 'zh-CN': '疾病进展（PD）', en: 'Progressive disease (PD)' },
  NE: { 'zh-CN': '不可评价（NE）', en: 'Not evaluable (NE)' },
  'non-CR/non-PD': { 'zh-CN': '非 CR/非 PD', en: 'Non-CR/non-PD' },
};
