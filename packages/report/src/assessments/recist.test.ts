import { describe, expect, it } from 'vitest';

import type { Measurement } from '../measurement.js';
import { assessRecist, type RecistInput, type RecistTargetLesion } from './recist.js';

const image = { studyInstanceUid: '1.2', seriesInstanceUid: '1.2.3', sopInstanceUid: '1.2.3.4', sopClassUid: '1.2.840.10008.5.1.4.1.1.2' };
const length = (id: string, mm: number): Measurement => ({ id, tool: 'Length', values: { length_mm: mm }, image, points: [] });
const node = (id: string, long: number, short: number): Measurement => ({ id, tool: 'Bidirectional', values: { long_axis_mm: long, short_axis_mm: short }, image, points: [] });

/** A follow-up with one non-nodal target of `currentMm`, given baseline and earlier sums. */
function followUp(currentMm: number, baselineMm: number, priorSumsMm: number[] = [], extra: Partial<RecistInput> = {}) {
  return assessRecist(
    {
      timepoint: 'follow-up',
      targetLesions: [{ id: 'T1', organ: 'liver', nodal: false, measurementId: 'm1', baselineMm }],
      nonTargetLesions: [],
      newLesions: [],
      priorSumsMm,
      ...extra,
    },
    [length('m1', currentMm)],
  );
}

describe('RECIST 1.1 target lesion response (§4.3.1)', () => {
  it('is PD at +20% and +5 mm from the nadir, inclusive', () => {
    expect(followUp(60, 50).targetResponse).toBe('PD');
    expect(followUp(59.9, 50).targetResponse).toBe('SD');
  });

  it('needs the 5 mm absolute increase as well as 20%', () => {
    expect(followUp(24.9, 20)).toMatchObject({ targetResponse: 'SD', changeFromNadirPercent: 24.5 });
    expect(followUp(25, 20).targetResponse).toBe('PD');
  });

  it('needs 20% as well as 5 mm', () => {
    expect(followUp(119, 100).targetResponse).toBe('SD');
  });

  it('takes the nadir over the baseline and earlier follow-ups, the baseline included', () => {
    expect(followUp(48, 40, [50, 45])).toMatchObject({ nadirMm: 40, targetResponse: 'PD' });
    // Still 28% below baseline, yet 20% and 12 mm above the nadir of 60 mm: progression.
    expect(followUp(72, 100, [60])).toMatchObject({ nadirMm: 60, changeFromBaselinePercent: -28, targetResponse: 'PD' });
  });

  it('is PR at −30% from baseline, inclusive', () => {
    expect(followUp(70, 100).targetResponse).toBe('PR');
    expect(followUp(70.1, 100).targetResponse).toBe('SD');
  });

  it('is CR when non-nodal targets are gone and nodal targets are below 10 mm short axis, though the sum is not 0', () => {
    const targets: RecistTargetLesion[] = [
      { id: 'T1', organ: 'liver', nodal: false, state: 'disappeared', baselineMm: 30 },
      { id: 'T2', organ: 'lymph node', nodal: true, measurementId: 'n1', baselineMm: 20 },
    ];
    const assess = (shortAxis: number) =>
      assessRecist({ timepoint: 'follow-up', targetLesions: targets, nonTargetLesions: [], newLesions: [], priorSumsMm: [] }, [node('n1', 14, shortAxis)]);
    expect(assess(9.9)).toMatchObject({ sumMm: 9.9, targetResponse: 'CR', overallResponse: 'CR' });
    expect(assess(10).targetResponse).toBe('PR');
  });

  it('counts a lesion too small to measure as 5 mm (Appendix II)', () => {
    const result = assessRecist(
      { timepoint: 'follow-up', targetLesions: [{ id: 'T1', organ: 'lung', nodal: false, state: 'too-small-to-measure', baselineMm: 12 }], nonTargetLesions: [], newLesions: [], priorSumsMm: [] },
      [],
    );
    expect(result).toMatchObject({ sumMm: 5, targetResponse: 'PR' });
  });

  it('is NE when a target is not evaluated, unless the others already show PD', () => {
    const targets = (current: number): RecistInput => ({
      timepoint: 'follow-up',
      targetLesions: [
        { id: 'T1', organ: 'liver', nodal: false, measurementId: 'm1', baselineMm: 20 },
        { id: 'T2', organ: 'lung', nodal: false, state: 'not-evaluated', baselineMm: 20 },
      ],
      nonTargetLesions: [],
      newLesions: [],
      priorSumsMm: [],
    });
    expect(assessRecist(targets(20), [length('m1', 20)])).toMatchObject({ allTargetsEvaluated: false, targetResponse: 'NE', overallResponse: 'NE' });
    expect(assessRecist(targets(50), [length('m1', 50)]).targetResponse).toBe('PD');
  });

  it('is PD when lesions reappear after all disappeared (nadir 0)', () => {
    expect(followUp(5, 30, [0]).targetResponse).toBe('PD');
  });
});

describe('RECIST 1.1 overall response (Tables 1 and 2)', () => {
  it('is PD with an unequivocal new lesion whatever the targets do, but not with an equivocal one', () => {
    expect(followUp(50, 100, [], { newLesions: [{ id: 'N1', equivocal: false }] })).toMatchObject({ targetResponse: 'PR', newLesions: true, overallResponse: 'PD' });
    expect(followUp(50, 100, [], { newLesions: [{ id: 'N1', equivocal: true }] })).toMatchObject({ newLesions: false, overallResponse: 'PR' });
  });

  it('is PD with unequivocal progression of non-target disease', () => {
    const result = followUp(50, 100, [], { nonTargetLesions: [{ id: 'NT1', organ: 'bone', nodal: false, status: 'unequivocal-progression' }] });
    expect(result).toMatchObject({ nonTargetResponse: 'PD', overallResponse: 'PD' });
  });

  it('is PR when targets are in CR but non-target disease persists or was not evaluated', () => {
    const cr = (status: 'present' | 'not-evaluated') =>
      assessRecist(
        {
          timepoint: 'follow-up',
          targetLesions: [{ id: 'T1', organ: 'liver', nodal: false, state: 'disappeared', baselineMm: 30 }],
          nonTargetLesions: [{ id: 'NT1', organ: 'pleura', nodal: false, status }],
          newLesions: [],
          priorSumsMm: [],
        },
        [],
      );
    expect(cr('present')).toMatchObject({ targetResponse: 'CR', nonTargetResponse: 'non-CR/non-PD', overallResponse: 'PR' });
    expect(cr('not-evaluated')).toMatchObject({ targetResponse: 'CR', nonTargetResponse: 'NE', overallResponse: 'PR' });
  });

  it('needs normal tumour markers for a non-target complete response', () => {
    const input = (tumourMarkersNormal: boolean): RecistInput => ({
      timepoint: 'follow-up',
      targetLesions: [],
      nonTargetLesions: [{ id: 'NT1', organ: 'peritoneum', nodal: false, status: 'absent' }],
      newLesions: [],
      priorSumsMm: [],
      tumourMarkersNormal,
    });
    expect(assessRecist(input(true), []).overallResponse).toBe('CR');
    expect(assessRecist(input(false), []).overallResponse).toBe('non-CR/non-PD');
  });

  it('reports sums but no response at baseline', () => {
    const result = assessRecist(
      { timepoint: 'baseline', targetLesions: [{ id: 'T1', organ: 'liver', nodal: false, measurementId: 'm1' }, { id: 'T2', organ: 'lymph node', nodal: true, measurementId: 'n1' }], nonTargetLesions: [], newLesions: [], priorSumsMm: [] },
      [length('m1', 32.4), node('n1', 25, 17.2)],
    );
    expect(result).toMatchObject({ sumMm: 49.6, baselineSumMm: 49.6, targetResponse: null, overallResponse: null });
  });
});
