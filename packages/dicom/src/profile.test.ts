import { describe, expect, test } from 'vitest';
import { confidentialityProfileRows, profileEdition } from './generated/ps3.15-tables.js';
import { basicProfile, compileProfile, methodCodesOf, remoteDiagnosisProfile, resolveConditional, type DeidentificationProfile } from './profile.js';
import { Tags } from './tags.js';

describe('the rule for conditional codes', () => {
  test('values keep their presence: X/Z empty, the D forms a dummy when there was a value', () => {
    expect(resolveConditional('X/Z', false)).toBe('Z');
    expect(resolveConditional('Z/D', false)).toBe('Z/D');
    expect(resolveConditional('X/D', false)).toBe('Z/D');
    expect(resolveConditional('X/Z/D', false)).toBe('Z/D');
  });

  test('sequences are kept and de-identified item by item', () => {
    for (const action of ['X/Z', 'X/D', 'X/Z/D', 'X/Z/U*', 'Z/D'] as const) expect(resolveConditional(action, true)).toBe('D');
    expect(resolveConditional('X', true)).toBe('X');
  });
});

describe('compiled rules', () => {
  const basic = compileProfile(basicProfile).rules;
  const remote = compileProfile(remoteDiagnosisProfile).rules;

  test('every row of Table E.1-1 (2026c) has a rule', () => {
    expect(profileEdition).toBe('2026c');
    expect(confidentialityProfileRows.length).toBe(652);
    for (const [tag] of confidentialityProfileRows) expect(basic.get(tag), tag.toString(16)).toBeDefined();
  });

  test('Basic Profile actions', () => {
    expect(basic.get(Tags.PatientName)).toBe('empty');
    expect(basic.get(Tags.PatientID)).toBe('emptyOrDummy');
    expect(basic.get(Tags.SOPInstanceUID)).toBe('replaceUid');
    expect(basic.get(0x00080080)).toBe('emptyOrDummy'); // Institution Name, X/Z/D
    expect(basic.get(0x00080082)).toBe('dummyCode'); // Institution Code Sequence
    expect(basic.get(0x00081110)).toBe('recurse'); // Referenced Study Sequence, X/Z
    expect(basic.get(0x00081140)).toBe('recurse'); // Referenced Image Sequence, X/Z/U*
    expect(basic.get(Tags.AcquisitionDate)).toBe('empty');
    expect(basic.get(Tags.StudyDescription)).toBe('remove');
    expect(basic.get(Tags.ContentSequence)).toBe('recurse');
    expect(basic.get(Tags.PatientAge)).toBe('remove');
  });

  test('options override the Basic Profile, the more protective option winning', () => {
    expect(remote.get(Tags.PatientAge)).toBe('keep');
    expect(remote.get(Tags.AcquisitionDate)).toBe('shiftDate');
    expect(remote.get(Tags.StudyTime)).toBe('keep');
    expect(remote.get(Tags.StudyDescription)).toBe('cleanText');
    expect(remote.get(Tags.ContentSequence)).toBe('cleanContent');
    expect(remote.get(0x00080201)).toBe('keep'); // Timezone Offset From UTC: C of Modified Dates keeps it
    const deviceAndDates: DeidentificationProfile = { ...remoteDiagnosisProfile, retainDeviceIdentity: true };
    expect(compileProfile(deviceAndDates).rules.get(0x00181203)).toBe('shiftDate'); // Calibration DateTime: K vs C
    expect(compileProfile(deviceAndDates).rules.get(0x00181000)).toBe('keep'); // Device Serial Number
    expect(compileProfile(deviceAndDates).rules.get(0x00080055)).toBe('dummy'); // Station AE Title: C on an AE
  });

  test('CID 7050 codes list the profile and each option', () => {
    expect(methodCodesOf(basicProfile).map((code) => code.codeValue)).toEqual(['113100']);
    expect(methodCodesOf(remoteDiagnosisProfile).map((code) => code.codeValue)).toEqual(['113100', '113111', '113108', '113107', '113105', '113104', '113103']);
  });
});
