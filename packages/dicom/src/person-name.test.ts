import { expect, test } from 'vitest';

import { displayName, personNameGroups } from './person-name.js';

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

test('a person name in groups and components, for structured records', () => {
  expect(personNameGroups('Zhang^XiaoDong=张^小东=')).toEqual([
    { family: 'Zhang', given: ['XiaoDong'], prefix: [], suffix: [], text: 'Zhang XiaoDong' },
    { family: '张', given: ['小东'], prefix: [], suffix: [], text: '张小东' },
  ]);
  expect(personNameGroups('DOE^JOHN^Q^DR^JR')).toEqual([{ family: 'DOE', given: ['JOHN', 'Q'], prefix: ['DR'], suffix: ['JR'], text: 'DOE JOHN Q DR JR' }]);
  expect(personNameGroups('张伟')).toEqual([{ family: '张伟', given: [], prefix: [], suffix: [], text: '张伟' }]);
  expect(personNameGroups('')).toEqual([]);
});
