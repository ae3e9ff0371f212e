import { describe, expect, test } from 'vitest';
import { ageBetween, parseDate, shiftDateTimeValue, shiftDateValue } from './dates.js';

describe('date shifting', () => {
  test('DA values, ranges and the ACR-NEMA form', () => {
    expect(shiftDateValue('20240301', -1)).toBe('20240229');
    expect(shiftDateValue('20240301-20240310', -365)).toBe('20230302-20230311');
    expect(shiftDateValue('1997.08.28', 10)).toBe('19970907');
    expect(shiftDateValue('', 5)).toBe('');
    expect(shiftDateValue('20240231', 1)).toBeUndefined();
    expect(shiftDateValue('UNKNOWN', 1)).toBeUndefined();
  });

  test('DT values keep precision, time and offset', () => {
    expect(shiftDateTimeValue('20240301101112.123+0800', -1)).toBe('20240229101112.123+0800');
    expect(shiftDateTimeValue('2024', -400)).toBe('2022');
    expect(shiftDateTimeValue('202403', -1)).toBe('202402');
    expect(shiftDateTimeValue('2024-03-01', 1)).toBeUndefined();
  });

  test("Patient's Age from two dates", () => {
    expect(ageBetween('19610704', '20240315')).toBe('062Y');
    expect(ageBetween('20240301', '20240315')).toBe('014D');
    expect(ageBetween('20230101', '20240315')).toBe('014M');
    expect(ageBetween('20240316', '20240315')).toBeUndefined();
    expect(parseDate('19000229')).toBeUndefined();
  });
});
