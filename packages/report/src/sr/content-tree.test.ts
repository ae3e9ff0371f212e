import { describe, expect, it } from 'vitest';

import { expectGolden } from '../testing/golden.js';
import { draftReport, pseudonymousContext, realContext, signedReport } from '../testing/fixtures.js';
import { reportTemplates } from '../templates/index.js';
import { toSrContentTree, type SrItem } from './content-tree.js';

/** Every item of the tree, depth first, with its parent. */
function* walk(item: SrItem, parent?: SrItem): Generator<{ item: SrItem; parent: SrItem | undefined }> {
  yield { item, parent };
  for (const child of item.children ?? []) yield* walk(child, item);
}

const DICOM_UID = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;

describe.each(reportTemplates.map((t) => t.id))('SR content tree of the %s template', (templateId) => {
  it('matches its golden file', async () => {
    expectGolden(`${templateId}.sr`, toSrContentTree(await signedReport(templateId), realContext(templateId === 'breast' ? 'MG' : 'CT')));
  });

  it('is a well-formed TID 1500 tree', async () => {
    const doc = await signedReport(templateId);
    const sr = toSrContentTree(doc, realContext());
    expect(sr.root.concept).toEqual({ value: '126000', scheme: 'DCM', meaning: 'Imaging Measurement Report' });
    expect(sr.root.relationship).toBeUndefined();
    const groups = [...walk(sr.root)].filter(({ item }) => item.valueType === 'CONTAINER' && item.concept.value === '125007');
    expect(groups).toHaveLength(doc.measurements.length);
    for (const { item, parent } of walk(sr.root)) {
      if (parent) expect(item.relationship).toBeDefined();
      if (item.valueType === 'NUM') expect(item.unit.scheme).toBe('UCUM');
      if (item.valueType === 'UIDREF') {
        expect(item.uid).toMatch(DICOM_UID);
        expect(item.uid.length).toBeLessThanOrEqual(64);
      }
      if (item.valueType === 'SCOORD') {
        expect(item.graphicData.length % 2).toBe(0);
        expect(item.children?.[0]).toMatchObject({ relationship: 'SELECTED FROM', valueType: 'IMAGE' });
      }
    }
  });
});

describe('SR content tree', () => {
  it('is re-identified by the real context: original UIDs, names and accession number', async () => {
    const doc = await signedReport('lung-nodule');
    const real = toSrContentTree(doc, realContext());
    expect(real.patient.name).toBe('张伟');
    expect(real.study.accessionNumber).toBe('XH20261120001');
    expect(JSON.stringify(real)).not.toContain('2.25.1000000000000000000000000000000001');
    expect(real.evidence.every((e) => e.sopInstanceUid.startsWith('1.2.840.113619.'))).toBe(true);
    const pseudo = toSrContentTree(doc, pseudonymousContext());
    expect(JSON.stringify(pseudo)).not.toContain('1.2.840.113619.');
  });

  it('writes a bilingual report as one text item per language, each with its language', async () => {
    const sr = toSrContentTree(await signedReport('lung-nodule'), realContext());
    const impressions = [...walk(sr.root)].filter(({ item }) => item.valueType === 'TEXT' && item.concept.value === '121073');
    expect(impressions.map(({ item }) => item.children?.[0])).toEqual([
      expect.objectContaining({ code: { value: 'zh-CN', scheme: 'RFC5646', meaning: 'Chinese (China)' } }),
      expect.objectContaining({ code: { value: 'en', scheme: 'RFC5646', meaning: 'English' } }),
    ]);
  });

  it('marks an unsigned report partial, unverified and preliminary', () => {
    const sr = toSrContentTree(draftReport('general'), pseudonymousContext());
    expect([sr.completionFlag, sr.verificationFlag, sr.preliminaryFlag]).toEqual(['PARTIAL', 'UNVERIFIED', 'PRELIMINARY']);
    expect(sr.verifyingObservers).toEqual([]);
  });

  it('lists the final signer and each addendum signer as verifying observers', async () => {
    const sr = toSrContentTree(await signedReport('general'), realContext());
    expect(sr.verifyingObservers.map((o) => o.dateTime)).toEqual(['2026-11-20T09:00:00.000Z', '2026-11-21T10:00:00.000Z']);
  });

  it.each(['PlanarFreehandROI', 'SplineROI'] as const)('codes a %s as a closed SCOORD POLYLINE region with area, mean, SD, minimum and maximum in UCUM units', (tool) => {
    const doc = draftReport('general');
    const image = doc.measurements[0]!.image;
    const outline: [number, number][] = [
      [100, 100],
      [140, 96],
      [150, 130],
      [110, 140],
    ];
    doc.measurements = [{ id: 'roi-1', tool, label: 'liver', values: { area_mm2: 1234.5, mean: 52.3, stdDev: 8.1, min: 20, max: 80, unit: 'HU' }, image, points: outline }];
    const sr = toSrContentTree(doc, pseudonymousContext());
    const group = [...walk(sr.root)].map(({ item }) => item).find((item) => item.valueType === 'CONTAINER' && item.concept.value === '125007')!;
    expect(group).toMatchObject({ templateId: '1410' });
    const region = group.children!.find((item) => item.valueType === 'SCOORD');
    expect(region).toMatchObject({ relationship: 'CONTAINS', graphicType: 'POLYLINE', concept: { value: '111030', scheme: 'DCM' } });
    expect(region?.valueType === 'SCOORD' && region.graphicData).toEqual([...outline.flat(), 100, 100]);
    const numbers = group.children!.flatMap((item) => (item.valueType === 'NUM' ? [[item.concept.meaning, item.value, item.unit.value]] : []));
    expect(numbers).toEqual([
      ['Area', 1234.5, 'mm2'],
      ['Mean', 52.3, "[hnsf'U]"],
      ['Standard Deviation', 8.1, "[hnsf'U]"],
      ['Minimum', 20, "[hnsf'U]"],
      ['Maximum', 80, "[hnsf'U]"],
    ]);
  });
});
