import { describe, expect, test } from 'vitest';
import { createMemoryPseudonymStore, patientKeyOf } from './pseudonym-store.js';
import { seededRandom } from './testing/random.js';
import { isValidUid } from './uid.js';

describe('the in-memory pseudonym store', () => {
  const patient = { id: 'P1', name: 'Doe^John', birthDate: '19700101', issuer: 'H' };

  test('answers a batch, consistently', async () => {
    const store = createMemoryPseudonymStore({ random: seededRandom(5) });
    const first = await store.resolve({ uids: ['1.2.3', '1.2.4'], patient });
    const second = await store.resolve({ uids: ['1.2.4', '1.2.5'], patient });
    expect(first.uids.get('1.2.4')).toBe(second.uids.get('1.2.4'));
    expect(first.uids.get('1.2.3')).not.toBe(first.uids.get('1.2.4'));
    for (const uid of [...first.uids.values(), ...second.uids.values()]) expect(isValidUid(uid)).toBe(true);
    expect(second.patient).toEqual(first.patient);
    expect(second.dateShiftDays).toBe(first.dateShiftDays);
    expect(first.dateShiftDays).toBeLessThan(0);
    expect(first.dateShiftDays).toBeGreaterThanOrEqual(-730);
    expect(store.size()).toEqual({ uids: 3, patients: 1 });
  });

  test('tells patients apart by issuer and ID, or by name and birth date without an ID', async () => {
    const store = createMemoryPseudonymStore({ random: seededRandom(6) });
    const a = await store.resolve({ uids: [], patient });
    const otherIssuer = await store.resolve({ uids: [], patient: { ...patient, issuer: 'K' } });
    const noId = await store.resolve({ uids: [], patient: { ...patient, id: '' } });
    const noIdAgain = await store.resolve({ uids: [], patient: { ...patient, id: '', issuer: 'Z' } });
    expect(otherIssuer.patient.id).not.toBe(a.patient.id);
    expect(noId.patient.id).toBe(noIdAgain.patient.id);
  });
});

describe('patient keys', () => {
  test('never merge patients by an empty key: with neither ID nor name each study is its own patient', () => {
    const nameless = { id: '', name: '', birthDate: '', issuer: '' };
    expect(patientKeyOf({ ...nameless, studyUid: '1.2.3' })).not.toBe(patientKeyOf({ ...nameless, studyUid: '1.2.4' }));
    expect(patientKeyOf({ ...nameless, name: '^^', studyUid: '1.2.3' })).not.toBe(patientKeyOf({ ...nameless, name: '^^', studyUid: '1.2.4' }));
    // An ID, or else a name, still joins a patient's studies.
    expect(patientKeyOf({ ...nameless, id: 'P1', studyUid: '1.2.3' })).toBe(patientKeyOf({ ...nameless, id: 'P1', studyUid: '1.2.4' }));
    expect(patientKeyOf({ ...nameless, name: 'Doe^J', studyUid: '1.2.3' })).toBe(patientKeyOf({ ...nameless, name: 'Doe^J', studyUid: '1.2.4' }));
  });
});
