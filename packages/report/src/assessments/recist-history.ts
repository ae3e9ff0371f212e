import type { LocalizedText } from '../language.js';
import type { ReportDocument } from '../document.js';
import type { OverallResponse, RecistInput } from './recist.js';

/** One earlier signed RECIST report of the patient, as a follow-up needs it. */
export interface RecistPrior {
  consultId: string;
  signedAt: string;
  timepoint: RecistInput['timepoint'];
  /** The sum of diameters frozen at signing; `null` when a target was not evaluated. */
  sumMm: number | null;
  overallResponse: OverallResponse | null;
  targetLesions: { id: string; organ: string; nodal: boolean; site?: LocalizedText; diameterMm: number | null }[];
  nonTargetLesions: { id: string; organ: string; nodal: boolean; site?: LocalizedText }[];
}

/**
 * The patient's RECIST course before this time point: the latest signed baseline, the signed
 * follow-ups after it, and from them the sums a follow-up compares with (§4.3.1: the nadir is
 * the smallest sum on study, the baseline included).
 */
export interface RecistHistory {
  baseline: RecistPrior | null;
  followUps: RecistPrior[];
  /** Sums of the follow-ups since the baseline, oldest first (the follow-up's `priorSumsMm`). */
  priorSumsMm: number[];
  nadirMm: number | null;
}

/** The signed RECIST reports of one patient (any order) as a baseline and the follow-ups since. */
export function recistHistory(reports: { consultId: string; document: ReportDocument }[]): RecistHistory {
  const priors = reports
    .map(({ consultId, document }) => toPrior(consultId, document))
    .filter((prior): prior is RecistPrior => prior !== undefined)
    .sort((a, b) => a.signedAt.localeCompare(b.signedAt));
  const baselineIndex = priors.findLastIndex((prior) => prior.timepoint === 'baseline');
  if (baselineIndex < 0) return { baseline: null, followUps: [], priorSumsMm: [], nadirMm: null };
  const baseline = priors[baselineIndex]!;
  const followUps = priors.slice(baselineIndex + 1).filter((prior) => prior.timepoint === 'follow-up');
  const priorSumsMm = followUps.flatMap((prior) => (prior.sumMm === null ? [] : [prior.sumMm]));
  const sums = [baseline.sumMm, ...priorSumsMm].filter((sum): sum is number => sum !== null);
  return { baseline, followUps, priorSumsMm, nadirMm: sums.length ? Math.min(...sums) : null };
}

/**
 * A follow-up's RECIST input started from the history: the baseline's target lesions (same ids,
 * so the reader only links today's measurements) with their baseline diameters, its non-target
 * lesions as present, and the sums since the baseline.
 */
export function followUpFromHistory(history: RecistHistory): RecistInput | undefined {
  const { baseline } = history;
  if (!baseline) return undefined;
  return {
    timepoint: 'follow-up',
    targetLesions: baseline.targetLesions.map((lesion) => ({
      id: lesion.id,
      organ: lesion.organ,
      nodal: lesion.nodal,
      ...(lesion.site && { site: lesion.site }),
      ...(lesion.diameterMm !== null && { baselineMm: lesion.diameterMm }),
    })),
    nonTargetLesions: baseline.nonTargetLesions.map((lesion) => ({ ...lesion, status: 'present' as const })),
    newLesions: [],
    priorSumsMm: history.priorSumsMm,
  };
}

function toPrior(consultId: string, doc: ReportDocument): RecistPrior | undefined {
  const input = doc.recist;
  const assessment = doc.assessment?.recist;
  const signedAt = doc.signatures.find((s) => s.kind === 'final')?.signedAt ?? doc.signatures[0]?.signedAt;
  if (!input || !assessment || !signedAt) return undefined;
  const diameters = new Map(assessment.lesions.map((l) => [l.lesionId, l.diameterMm]));
  return {
    consultId,
    signedAt,
    timepoint: input.timepoint,
    sumMm: assessment.allTargetsEvaluated ? assessment.sumMm : null,
    overallResponse: assessment.overallResponse,
    targetLesions: input.targetLesions.map((l) => ({ id: l.id, organ: l.organ, nodal: l.nodal, ...(l.site && { site: l.site }), diameterMm: diameters.get(l.id) ?? null })),
    nonTargetLesions: input.nonTargetLesions.map((l) => ({ id: l.id, organ: l.organ, nodal: l.nodal, ...(l.site && { site: l.site }) })),
  };
}
