import { describe, expect, it } from 'vitest';

import { biRadsCategories, biRadsCategory, breastCompositions } from './bi-rads.js';

describe('BI-RADS 5th edition', () => {
  it('has the assessment categories 0 to 6 with 4 subdivided into 4A, 4B and 4C', () => {
    expect(biRadsCategories.map((c) => c.code)).toEqual(['0', '1', '2', '3', '4', '4A', '4B', '4C', '5', '6']);
  });

  it('gives every category its standard management in both languages', () => {
    for (const category of biRadsCategories) {
      expect(category.detail?.['zh-CN']).toBeTruthy();
      expect(category.detail?.en).toBeTruthy();
    }
    expect(biRadsCategory('0').detail?.en).toMatch(/additional imaging/);
    expect(biRadsCategory('3').detail?.en).toMatch(/6-month/);
    expect(biRadsCategory('4B').detail?.en).toMatch(/Tissue diagnosis.*>10% to ≤50%/);
    expect(biRadsCategory('5').detail?.en).toMatch(/≥95%/);
    expect(biRadsCategory('6').detail?.en).toMatch(/Surgical excision/);
  });

  it('codes breast composition a–d with the SNOMED CT concepts of DICOM CID 6001', () => {
    expect(breastCompositions.map((c) => [c.code, c.coding?.code])).toEqual([
      ['a', '129716005'],
      ['b', '129717001'],
      ['c', '129718006'],
      ['d', '129719003'],
    ]);
  });
});
