import { describe, expect, it } from 'vitest';

import type { ReportDocument } from './document.js';
import type { Measurement } from './measurement.js';
import { draftReport } from './testing/fixtures.js';
import { getTemplate, reportTemplates } from './templates/index.js';
import { validateReport } from './validate.js';
import { computeAssessment } from './assessment.js';

const validate = (doc: ReportDocument) => validateReport(doc, getTemplate(doc.template.id, doc.template.version));
const codes = (doc: ReportDocument) => validate(doc).errors;

describe('validateReport', () => {
  it.each(reportTemplates.map((t) => t.id))('accepts the complete %s sample', (templateId) => {
    expect(validate(draftReport(templateId))).toEqual({ ok: true, errors: [] });
  });

  it('requires the impression in every language of a bilingual report', () => {
    const doc = draftReport('lung-nodule');
    expect(codes({ ...doc, values: { ...doc.values, impression: { 'zh-CN': '结节' } } })).toEqual([{ path: 'values.impression.en', code: 'Required' }]);
    const { impression: _removed, ...values } = doc.values;
    expect(codes({ ...doc, values })).toEqual([{ path: 'values.impression', code: 'Required' }]);
  });

  it('rejects unknown fields, wrong types and unknown codes', () => {
    const doc = draftReport('breast');
    expect(codes({ ...doc, values: { ...doc.values, biRads: '7', breastComposition: 3, colour: 'red' } })).toEqual([
      { path: 'values.colour', code: 'UnknownField' },
      { path: 'values.breastComposition', code: 'WrongType' },
      { path: 'values.biRads', code: 'UnknownCode' },
    ]);
  });

  it('rejects links to measurements and key images that do not exist, and duplicate ids', () => {
    const doc = draftReport('general');
    const finding = { id: 'f2', text: { 'zh-CN': '另见' }, measurementIds: ['nope'], keyImageIds: ['k9'] };
    expect(codes({ ...doc, findings: [...doc.findings, finding, { ...finding, measurementIds: [], keyImageIds: [] }] })).toEqual([
      { path: 'findings[1].measurementIds[0]', code: 'UnknownMeasurement' },
      { path: 'findings[1].keyImageIds[0]', code: 'UnknownKeyImage' },
      { path: 'findings[2].id', code: 'DuplicateId' },
    ]);
  });

  it('rejects measurements on another study', () => {
    const doc = draftReport('general');
    const [first, ...rest] = doc.measurements as [Measurement, ...Measurement[]];
    expect(codes({ ...doc, measurements: [{ ...first, image: { ...first.image, studyInstanceUid: '2.25.9' } }, ...rest] })).toEqual([
      { path: 'measurements[0].image.studyInstanceUid', code: 'ForeignStudy' },
    ]);
  });

  it('requires the solid component of a part-solid nodule of 6 mm or more, and the S findings when S is set', () => {
    const doc = draftReport('lung-nodule');
    const nodules = (doc.nodules ?? []).map((n) => (n.id === 'N2' ? { id: n.id, type: n.type, lobe: n.lobe, measurementId: n.measurementId } : n));
    expect(codes({ ...doc, nodules, values: { ...doc.values, lungRadsS: true } })).toEqual([
      { path: 'values.significantFindings', code: 'Required' },
      { path: 'nodules[1].solidComponentMeasurementId', code: 'Required' },
    ]);
  });

  it('detects a frozen assessment that the rules no longer give', () => {
    const doc = draftReport('lung-nodule');
    const template = getTemplate('lung-nodule', 1);
    const assessment = computeAssessment(doc, template);
    expect(validateReport({ ...doc, assessment }, template).ok).toBe(true);
    const tampered = { ...doc, assessment: { lungRads: { ...assessment!.lungRads!, category: '2' as const } } };
    expect(validateReport(tampered, template).errors).toEqual([{ path: 'assessment', code: 'StaleAssessment' }]);
  });
});

describe('validateReport: RECIST 1.1 selection rules (§3.3.1)', () => {
  const recist = draftReport('recist');
  const image = recist.measurements[0]!.image;
  const length = (id: string, mm: number): Measurement => ({ id, tool: 'Length', values: { length_mm: mm }, image, points: [] });
  const node = (id: string, short: number): Measurement => ({ id, tool: 'Bidirectional', values: { long_axis_mm: short + 5, short_axis_mm: short }, image, points: [] });
  const baseline = (targets: { organ: string; nodal: boolean; measurement: Measurement }[]): ReportDocument => ({
    ...recist,
    measurements: targets.map((t) => t.measurement),
    recist: {
      timepoint: 'baseline',
      targetLesions: targets.map((t, i) => ({ id: `T${i + 1}`, organ: t.organ, nodal: t.nodal, measurementId: t.measurement.id })),
      nonTargetLesions: [],
      newLesions: [],
      priorSumsMm: [],
    },
  });

  it('needs at least one target lesion: without one there is no sum and no response to sign', () => {
    expect(codes(baseline([]))).toEqual([{ path: 'recist.targetLesions', code: 'Required' }]);
  });

  it('allows at most five target lesions', () => {
    const organs = ['liver', 'lung', 'adrenal', 'kidney', 'spleen', 'pancreas'];
    expect(codes(baseline(organs.map((organ, i) => ({ organ, nodal: false, measurement: length(`m${i}`, 20) }))))).toEqual([
      { path: 'recist.targetLesions', code: 'TooManyTargetLesions' },
    ]);
  });

  it('allows at most two per organ, all lymph nodes counting as one organ', () => {
    expect(codes(baseline(['liver', 'liver', 'Liver'].map((organ, i) => ({ organ, nodal: false, measurement: length(`m${i}`, 20) }))))).toEqual([
      { path: 'recist.targetLesions[2]', code: 'TooManyTargetLesionsInOrgan' },
    ]);
    expect(codes(baseline(['mediastinal', 'axillary', 'iliac'].map((organ, i) => ({ organ, nodal: true, measurement: node(`n${i}`, 20) }))))).toEqual([
      { path: 'recist.targetLesions[2]', code: 'TooManyTargetLesionsInOrgan' },
    ]);
  });

  it('needs 10 mm longest diameter, or 15 mm short axis for a lymph node, at baseline', () => {
    expect(codes(baseline([{ organ: 'liver', nodal: false, measurement: length('m1', 9.9) }]))).toEqual([{ path: 'recist.targetLesions[0]', code: 'TargetLesionNotMeasurable' }]);
    expect(codes(baseline([{ organ: 'liver', nodal: false, measurement: length('m1', 10) }]))).toEqual([]);
    expect(codes(baseline([{ organ: 'node', nodal: true, measurement: node('n1', 14.9) }]))).toEqual([{ path: 'recist.targetLesions[0]', code: 'TargetLesionNotMeasurable' }]);
    expect(codes(baseline([{ organ: 'node', nodal: true, measurement: node('n1', 15) }]))).toEqual([]);
  });

  it('needs a short axis (Bidirectional) for a nodal target', () => {
    expect(codes(baseline([{ organ: 'node', nodal: true, measurement: length('m1', 30) }]))).toEqual([{ path: 'recist.targetLesions[0].measurementId', code: 'MeasurementUnsuitable' }]);
  });

  it('needs every target lesion’s baseline diameter at follow-up', () => {
    const targets = recist.recist!.targetLesions.map(({ baselineMm: _dropped, ...lesion }, i) => (i === 1 ? lesion : { ...lesion, baselineMm: 20 }));
    expect(codes({ ...recist, recist: { ...recist.recist!, targetLesions: targets } })).toEqual([{ path: 'recist.targetLesions[1].baselineMm', code: 'Required' }]);
  });
});
