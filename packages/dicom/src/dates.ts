const dayMs = 86_400_000;

interface CalendarDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/** Parses YYYYMMDD, or the retired ACR-NEMA YYYY.MM.DD (PS3.5 6.2, DA), checking the calendar. */
export function parseDate(text: string): CalendarDate | undefined {
  const match = /^(\d{4})\.?(\d{2})\.?(\d{2})$/.exec(text);
  if (!match) return undefined;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  const time = Date.UTC(year, month - 1, day);
  const check = new Date(time);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return undefined;
  return { year, month, day };
}

const pad = (value: number, width: number) => String(value).padStart(width, '0');

function shiftCalendarDate(date: CalendarDate, days: number): CalendarDate | undefined {
  const shifted = new Date(Date.UTC(date.year, date.month - 1, date.day) + days * dayMs);
  const year = shifted.getUTCFullYear();
  if (year < 1 || year > 9999) return undefined;
  return { year, month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate() };
}

function formatDate(date: CalendarDate): string {
  return `${pad(date.year, 4)}${pad(date.month, 2)}${pad(date.day, 2)}`;
}

/**
 * Shifts one DA value, or a DA range "A-B" (PS3.5 6.2), by whole days. Returns undefined when
 * the value is not a valid date: the caller then removes it rather than keep an unshifted date.
 */
export function shiftDateValue(value: string, days: number): string | undefined {
  if (value === '') return '';
  if (value.includes('-')) {
    const parts = value.split('-');
    if (parts.length !== 2) return undefined;
    const shifted = parts.map((part) => (part === '' ? '' : shiftDateValue(part, days)));
    return shifted.some((part) => part === undefined) ? undefined : shifted.join('-');
  }
  const date = parseDate(value);
  const shifted = date === undefined ? undefined : shiftCalendarDate(date, days);
  return shifted === undefined ? undefined : formatDate(shifted);
}

/**
 * Shifts the date part of a DT value "YYYY[MM[DD[HH[MM[SS[.F]]]]]][&ZZXX]" by whole days, keeping
 * its precision (a year-only value stays a year), the time of day and the UTC offset.
 */
export function shiftDateTimeValue(value: string, days: number): string | undefined {
  if (value === '') return '';
  const match = /^(\d{4})(\d{2})?(\d{2})?(\d{2}(?:\d{2}(?:\d{2}(?:\.\d{1,6})?)?)?)?([+-]\d{4})?$/.exec(value);
  if (!match) return undefined;
  const [, year, month, day, time, offset] = match;
  const date = parseDate(`${year}${month ?? '01'}${day ?? '01'}`);
  const shifted = date === undefined ? undefined : shiftCalendarDate(date, days);
  if (shifted === undefined) return undefined;
  let text = pad(shifted.year, 4);
  if (month !== undefined) text += pad(shifted.month, 2);
  if (day !== undefined) text += pad(shifted.day, 2);
  return text + (time ?? '') + (offset ?? '');
}

/**
 * Patient's Age (AS, PS3.5 6.2) between a birth date and a study date: days under one month,
 * months under two years, then years. Undefined when either date is unusable.
 */
export function ageBetween(birthDate: string, onDate: string): string | undefined {
  const birth = parseDate(birthDate);
  const on = parseDate(onDate);
  if (birth === undefined || on === undefined) return undefined;
  const days = Math.round((Date.UTC(on.year, on.month - 1, on.day) - Date.UTC(birth.year, birth.month - 1, birth.day)) / dayMs);
  if (days < 0) return undefined;
  let months = (on.year - birth.year) * 12 + (on.month - birth.month);
  if (on.day < birth.day) months--;
  if (months < 1) return `${pad(Math.min(days, 999), 3)}D`;
  if (months < 24) return `${pad(months, 3)}M`;
  return `${pad(Math.min(Math.floor(months / 12), 999), 3)}Y`;
}
