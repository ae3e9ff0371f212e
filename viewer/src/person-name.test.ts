import { expect, test } from 'vitest';

import { displayName } from './person-name.js';

test('DICOM person names read as people write them', () => {
  expect(displayName('JOHANSSON^LUCIA^G^^')).toBe('JOHANSSON LUCIA G');
  expect(displayName('DOE^J1')).toBe('DOE J1');
  expect(displayName('Wang^XiaoMing=王^小明=おう^しょうめい')).toBe('王小明 (Wang XiaoMing)');
  expect(displayName('=王^小明')).toBe('王小明');
  expect(displayName('^^^^')).toBe('');
  expect(displayName(null)).toBe('');
  // `=` is the group delimiter: a hostile value is cut there, and stays text either way.
  expect(displayName('<img src=x onerror=alert(1)>')).toBe('x onerror (<img src)');
});
