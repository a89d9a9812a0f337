import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Temporal } from 'temporal-polyfill';
import { addBusinessTime, businessTimeBetween } from './businessTime.ts';
import { compileCalendar, localInstant, unionOf, type Window } from './calendar.ts';
import type { WeeklyCalendar } from './model.ts';

/* Business-time windows and the arithmetic on them, below the engine. */

const date = (iso: string) => Temporal.PlainDate.from(iso);
const at = (iso: string) => Date.parse(iso);
const day = [['08:00', '17:00']] as const;
const office = (timeZone: string, holidays: WeeklyCalendar['holidays'] = []): WeeklyCalendar => ({
  timeZone,
  hours: { mon: day, tue: day, wed: day, thu: day, fri: day, sat: [], sun: [] },
  holidays,
});
const firstWindows = (windows: Iterable<Window>, count: number) => {
  const found: string[] = [];
  for (const window of windows) {
    found.push(`${new Date(window.start).toISOString()} ${new Date(window.end).toISOString()}`);
    if (found.length === count) break;
  }
  return found;
};

describe('local wall-clock times as instants', () => {
  it('takes a time in the spring-forward gap to the first instant after it (Berlin 02:30 → 03:00 CEST)', () => {
    assert.equal(localInstant('Europe/Berlin', date('2026-03-29'), '02:30'), at('2026-03-29T01:00:00Z'));
  });
  it('takes a repeated time of the fall-back hour at its first occurrence (Berlin 02:30 CEST)', () => {
    assert.equal(localInstant('Europe/Berlin', date('2026-10-25'), '02:30'), at('2026-10-25T00:30:00Z'));
  });
  it('reads 24:00 as the next midnight, or the first instant after it where midnight is skipped', () => {
    assert.equal(localInstant('Europe/Berlin', date('2026-06-01'), '24:00'), at('2026-06-01T22:00:00Z'));
    assert.equal(localInstant('America/Santiago', date('2026-09-05'), '24:00'), at('2026-09-06T04:00:00Z'));
  });
});

describe('calendar windows', () => {
  it('skips weekends, one-off holidays and yearly ones in any year', () => {
    const calendar = compileCalendar(
      office('Europe/Berlin', ['2026-12-31', { date: '01-01', yearly: true }]),
    );
    assert.deepEqual(firstWindows(calendar.windowsFrom(at('2026-12-30T12:00:00Z')), 2), [
      '2026-12-30T12:00:00.000Z 2026-12-30T16:00:00.000Z',
      '2027-01-04T07:00:00.000Z 2027-01-04T16:00:00.000Z',
    ]);
  });
  it('merges a union of calendars into one run where their hours touch or overlap', () => {
    const union = unionOf([
      compileCalendar(office('Europe/Berlin')),
      compileCalendar(office('America/Los_Angeles')),
    ]);
    assert.deepEqual(firstWindows(union.windowsFrom(at('2026-02-02T00:00:00Z')), 2), [
      '2026-02-02T07:00:00.000Z 2026-02-03T01:00:00.000Z',
      '2026-02-03T07:00:00.000Z 2026-02-04T01:00:00.000Z',
    ]);
  });
  it('answers earlier questions after later ones the same (the window index starts again)', () => {
    const calendar = compileCalendar(office('Europe/London'));
    const later = addBusinessTime(calendar, at('2026-08-03T09:00:00Z'), 3_600_000);
    const earlier = addBusinessTime(calendar, at('2026-02-02T09:00:00Z'), 3_600_000);
    assert.equal(later, at('2026-08-03T10:00:00Z'));
    assert.equal(earlier, at('2026-02-02T10:00:00Z'));
    assert.equal(
      businessTimeBetween(calendar, at('2026-02-02T00:00:00Z'), at('2026-02-09T00:00:00Z')),
      45 * 3_600_000,
    );
  });
});
