import { describe, expect, it } from 'vitest';

import type { Measurement } from '../measurement.js';
import { assessLungRads, classifyNodule, type LungNodule } from './lung-rads.js';

const solid = (meanDiameterMm: number, extra: object = {}) => classifyNodule({ type: 'solid', meanDiameterMm, ...extra });
const partSolid = (meanDiameterMm: number, solidComponentMm?: number) =>
  classifyNodule({ type: 'part-solid', meanDiameterMm, ...(solidComponentMm === undefined ? {} : { solidComponentMm }) });
const groundGlass = (meanDiameterMm: number) => classifyNodule({ type: 'ground-glass', meanDiameterMm });

describe('Lung-RADS v2022 baseline category of one nodule', () => {
  it('grades solid nodules at 6, 8 and 15 mm', () => {
    expect([5.9, 6, 7.9, 8, 14.9, 15, 40].map((size) => solid(size))).toEqual(['2', '3', '3', '4A', '4A', '4B', '4B']);
  });

  it('grades part-solid nodules below 6 mm total as 2 whatever the solid component', () => {
    expect(partSolid(5.9, 5)).toBe('2');
  });

  it('grades part-solid nodules of 6 mm or more by the solid component at 6 and 8 mm', () => {
    expect([5.9, 6, 7.9, 8].map((solidPart) => partSolid(12, solidPart))).toEqual(['3', '4A', '4A', '4B']);
    expect(partSolid(6, 2)).toBe('3');
  });

  it('grades ground-glass nodules below 30 mm as 2 and from 30 mm as 3 at baseline', () => {
    expect([29.9, 30, 45].map(groundGlass)).toEqual(['2', '3', '3']);
  });

  it('grades benign calcification or fat as 1 whatever the size', () => {
    expect(solid(22, { benignFeature: 'calcification' })).toBe('1');
    expect(solid(9, { benignFeature: 'fat' })).toBe('1');
  });

  it('grades a solid juxtapleural nodule below 10 mm as 2', () => {
    expect(solid(9.9, { juxtapleural: true })).toBe('2');
    expect(solid(10, { juxtapleural: true })).toBe('4A');
  });

  it('grades airway nodules by level: subsegmental 2, segmental or more proximal 4A', () => {
    expect(solid(12, { airway: 'subsegmental' })).toBe('2');
    expect(solid(4, { airway: 'segmental-or-proximal' })).toBe('4A');
  });

  it('raises category 3, 4A and 4B nodules with suspicious features to 4X, and nothing else', () => {
    expect(solid(7, { suspiciousFeatures: true })).toBe('4X');
    expect(solid(10, { suspiciousFeatures: true })).toBe('4X');
    expect(solid(20, { suspiciousFeatures: true })).toBe('4X');
    expect(solid(5, { suspiciousFeatures: true })).toBe('2');
  });
});

describe('Lung-RADS v2022 assessment of an examination', () => {
  const image = { studyInstanceUid: '1.2', seriesInstanceUid: '1.2.3', sopInstanceUid: '1.2.3.4', sopClassUid: '1.2.840.10008.5.1.4.1.1.2' };
  const bidirectional = (id: string, long: number, short: number): Measurement => ({ id, tool: 'Bidirectional', values: { long_axis_mm: long, short_axis_mm: short }, image, points: [] });
  const nodule = (id: string, type: LungNodule['type'], measurementId: string, extra: Partial<LungNodule> = {}): LungNodule => ({ id, type, lobe: 'RUL', measurementId, ...extra });

  it('takes the most suspicious nodule', () => {
    const result = assessLungRads({
      nodules: [nodule('a', 'solid', 'm1'), nodule('b', 'ground-glass', 'm2'), nodule('c', 'part-solid', 'm3', { solidComponentMeasurementId: 'm4' })],
      measurements: [bidirectional('m1', 5, 4), bidirectional('m2', 35, 28), bidirectional('m3', 14, 12), bidirectional('m4', 7, 6)],
      sModifier: true,
    });
    expect(result.nodules.map((n) => n.category)).toEqual(['2', '3', '4A']);
    expect(result).toMatchObject({ version: 'v2022', category: '4A', sModifier: true });
  });

  it('uses the mean of long and short axis rounded to one decimal, so 6.0 × 5.9 mm is 6.0 mm and category 3', () => {
    const result = assessLungRads({ nodules: [nodule('a', 'solid', 'm1')], measurements: [bidirectional('m1', 6.0, 5.9)], sModifier: false });
    expect(result.nodules[0]).toMatchObject({ meanDiameterMm: 6, category: '3' });
  });

  it('is 1 without nodules and 0 when the examination is incomplete', () => {
    expect(assessLungRads({ nodules: [], measurements: [], sModifier: false }).category).toBe('1');
    expect(assessLungRads({ nodules: [], measurements: [], incomplete: 'infectious-inflammatory', sModifier: false })).toMatchObject({ category: '0', incomplete: 'infectious-inflammatory' });
  });

  it('leaves a nodule whose measurement is missing uncategorised instead of guessing', () => {
    const result = assessLungRads({ nodules: [nodule('a', 'solid', 'gone')], measurements: [], sModifier: false });
    expect(result.nodules[0]?.category).toBeNull();
    expect(result.category).toBe('1');
  });
});
