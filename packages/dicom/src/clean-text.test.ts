import { describe, expect, test } from 'vitest';
import { IdentifyingTokens } from './clean-text.js';

describe('IdentifyingTokens', () => {
  const tokens = new IdentifyingTokens();
  tokens.add('Wang^Xiaodong=王^小东', true);
  tokens.add('MRN-0038841', false);
  tokens.addDate('19610704');

  test('keeps ordinary descriptions', () => {
    for (const text of ['CT CHEST W/O CONTRAST', 'AXIAL 1.25mm LUNG', '头颅平扫', 'Wanganui protocol', 'T1 3D 512x512']) expect(tokens.isClean(text), text).toBe(true);
  });

  test('finds names, IDs, dates and addresses', () => {
    for (const text of ['CT for WANG XIAODONG', 'xiaodong follow-up', '王小东 复查', '小东', 'ref MRN-0038841', 'DOB 1961-07-04', 'born 04.07.1961', 'call 13800138000', 'mail wx@example.com', 'scan 2024/3/15']) {
      expect(tokens.isClean(text), text).toBe(false);
    }
  });
});
