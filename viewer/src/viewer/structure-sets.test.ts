import { describe, expect, it } from 'vitest';

import { contoursInPlane, readStructureSet } from './structure-sets.js';

const square = (z: number) => [0, 0, z, 10, 0, z, 10, 10, z, 0, 10, z];
const rtstruct = {
  '00080016': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.481.3'] },
  '00080018': { vr: 'UI', Value: ['1.2.3'] },
  '30060020': { vr: 'SQ', Value: [{ '30060022': { vr: 'IS', Value: [1] }, '30060024': { vr: 'UI', Value: ['9.9'] }, '30060026': { vr: 'LO', Value: ['GTV'] } }, { '30060022': { vr: 'IS', Value: [2] }, '30060024': { vr: 'UI', Value: ['9.9'] }, '30060026': { vr: 'LO', Value: ['Empty'] } }] },
  '30060039': {
    vr: 'SQ',
    Value: [
      { '3006002A': { vr: 'IS', Value: [255, 0, 0] }, '30060084': { vr: 'IS', Value: [1] }, '30060040': { vr: 'SQ', Value: [{ '30060042': { vr: 'CS', Value: ['CLOSED_PLANAR'] }, '30060050': { vr: 'DS', Value: square(5) } }, { '30060042': { vr: 'CS', Value: ['CLOSED_PLANAR'] }, '30060050': { vr: 'DS', Value: square(7.5) } }] } },
      { '30060084': { vr: 'IS', Value: [2] } },
    ],
  },
};

describe('RT structure sets', () => {
  it('reads each ROI with its name, colour, frame of reference and contours, leaving out ROIs without contours', () => {
    const set = readStructureSet(rtstruct, '1', '2', 'RT');
    expect(set.rois).toHaveLength(1);
    expect(set.rois[0]).toMatchObject({ key: '1.2.3:1', name: 'GTV', color: [255, 0, 0], frameOfReferenceUid: '9.9' });
    expect(set.rois[0]!.contours.map((c) => c.points[2])).toEqual([5, 7.5]);
  });

  it('finds the contours in an image’s plane, within its tolerance and frame of reference', () => {
    const [roi] = readStructureSet(rtstruct, '1', '2', 'RT').rois;
    const plane = (z: number, frameOfReferenceUid = '9.9') => ({ origin: [0, 0, z] as [number, number, number], normal: [0, 0, 1] as [number, number, number], tolerance: 0.6, frameOfReferenceUid });
    expect(contoursInPlane(roi!, plane(5))).toHaveLength(1);
    expect(contoursInPlane(roi!, plane(5.5))).toHaveLength(1);
    expect(contoursInPlane(roi!, plane(6.25))).toHaveLength(0);
    expect(contoursInPlane(roi!, plane(5, '8.8'))).toHaveLength(0);
  });
});
