import { describe, expect, it } from 'vitest';

import type { ReportDocument } from '../document.js';
import type { RecistAssessment, RecistInput } from './recist.js';
import { followUpFromHistory, recistHistory } from './recist-history.js';

/** A signed RECIST report as the history reads it: lesions, the frozen assessment, the signature time. */
function signed(signedAt: string, timepoint: RecistInput['timepoint'], diameters: (number | null)[]): ReportDocument {
  const targetLesions = diameters.map((_, i) => ({ id: `T${i + 1}`, organ: i === 0 ? 'liver' : 'lymph node', nodal: i > 0 }));
  const evaluated = diameters.every((d) => d !== null);
  const assessment = {
    lesions: diameters.map((diameterMm, i) => ({ lesionId: `T${i + 1}`, diameterMm })),
    sumMm: diameters.reduce<number>((sum, d) => sum + (d ?? 0), 0),
    allTargetsEvaluated: evaluated,
    overallResponse: timepoint === 'baseline' ? null : 'SD',
  } as Partial<RecistAssessment> as RecistAssessment;
  return {
    recist: { timepoint, targetLesions, nonTargetLesions: [{ id: 'N1', organ: 'bone', nodal: false, status: 'present' }], newLesions: [], priorSumsMm: [] },
    assessment: { recist: assessment },
    signatures: [{ kind: 'final', signedAt, signer: { userId: 'u', displayName: 'r', licensed: true }, contentHash: '' }],
  } as Partial<ReportDocument> as ReportDocument;
}

describe('the patient’s RECIST history', () => {
  it('takes the latest baseline, the follow-ups since it in time order, and the nadir over them', () => {
    const history = recistHistory([
      { consultId: 'c4', document: signed('2026-04-01T00:00:00Z', 'follow-up', [20, 15]) },
      { consultId: 'c1', document: signed('2025-01-01T00:00:00Z', 'baseline', [90, 30]) },
      { consultId: 'c2', document: signed('2026-01-01T00:00:00Z', 'baseline', [40, 20]) },
      { consultId: 'c3', document: signed('2026-02-01T00:00:00Z', 'follow-up', [30, null]) },
      { consultId: 'c5', document: signed('2026-03-01T00:00:00Z', 'follow-up', [30, 18]) },
    ]);
    expect(history.baseline).toMatchObject({ consultId: 'c2', sumMm: 60 });
    expect(history.followUps.map((f) => f.consultId)).toEqual(['c3', 'c5', 'c4']);
    // A follow-up with a target not evaluated has no sum to compare with.
    expect(history.priorSumsMm).toEqual([48, 35]);
    expect(history.nadirMm).toBe(35);
  });

  it('starts a follow-up from the baseline lesions with their diameters', () => {
    const history = recistHistory([{ consultId: 'c1', document: signed('2026-01-01T00:00:00Z', 'baseline', [40, 20]) }]);
    expect(followUpFromHistory(history)).toEqual({
      timepoint: 'follow-up',
      targetLesions: [
        { id: 'T1', organ: 'liver', nodal: false, baselineMm: 40 },
        { id: 'T2', organ: 'lymph node', nodal: true, baselineMm: 20 },
      ],
      nonTargetLesions: [{ id: 'N1', organ: 'bone', nodal: false, status: 'present' }],
      newLesions: [],
      priorSumsMm: [],
    });
  });

  it('has nothing without a signed baseline', () => {
    const history = recistHistory([{ consultId: 'c3', document: signed('2026-02-01T00:00:00Z', 'follow-up', [30]) }]);
    expect(history).toEqual({ baseline: null, followUps: [], priorSumsMm: [], nadirMm: null });
    expect(followUpFromHistory(history)).toBeUndefined();
  });
});
