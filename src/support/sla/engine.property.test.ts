import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { addBusinessTime, businessTimeBetween } from './businessTime.ts';
import { compileCalendar, unionOf } from './calendar.ts';
import { computeSla } from './engine.ts';
import type { CalendarSpec, SlaPolicy } from './model.ts';

/*
 * Properties of issue 12 §4 over random calendars, instants (2026–2027, DST changes included)
 * and targets. Run counts stay modest: every case builds its calendars afresh through Temporal.
 */

const RUNS = { numRuns: 200 };
const MINUTE = 60_000;

const office = (timeZone: string, from = '08:00', to = '17:00'): CalendarSpec => ({
  timeZone,
  hours: {
    mon: [[from, to]],
    tue: [
      ['08:00', '12:00'],
      ['13:00', '17:00'],
    ],
    wed: [[from, to]],
    thu: [[from, to]],
    fri: [[from, to]],
    sat: [['00:00', '03:30']],
    sun: [['22:00', '24:00']],
  },
  holidays: ['2026-12-24', { date: '12-25', yearly: true }, { date: '01-01', yearly: true }],
});

const calendars: Record<string, CalendarSpec> = {
  berlin: office('Europe/Berlin'),
  london: office('Europe/London', '08:00', '18:00'),
  pacific: office('America/Los_Angeles'),
  santiago: office('America/Santiago', '00:00', '09:00'),
  beirut: office('Asia/Beirut', '00:00', '02:30'),
  always: '24/7',
};
const names = Object.keys(calendars);

const calendarChoice = fc.oneof(
  fc.constantFrom(...names),
  fc.uniqueArray(fc.constantFrom(...names.filter((name) => name !== 'always')), {
    minLength: 2,
    maxLength: 3,
  }),
);
const instant = fc.integer({
  min: Date.parse('2026-01-01T00:00:00Z'),
  max: Date.parse('2027-12-31T00:00:00Z'),
});
const minutes = fc.integer({ min: 1, max: 6000 });

const businessCalendar = (choice: string | string[]) =>
  unionOf([choice].flat().map((name) => compileCalendar(calendars[name] as CalendarSpec)));

const policyFor = (calendar: string | string[], target: number): SlaPolicy => ({
  normal: {
    calendar,
    firstResponseMinutes: target,
    nextUpdateMinutes: target,
    resolutionMinutes: target * 3,
  },
});

describe('SLA engine properties', () => {
  it('the business time from opening to each deadline equals its target', () => {
    fc.assert(
      fc.property(calendarChoice, instant, minutes, (calendar, openedAt, target) => {
        const answer = computeSla({
          calendars,
          policy: policyFor(calendar, target),
          events: [{ at: openedAt, type: 'opened', severity: 'normal' }],
          now: openedAt,
        });
        const business = businessCalendar(calendar);
        const { firstResponse, resolution } = answer.deadlines;
        assert.ok(firstResponse !== null && resolution !== null);
        assert.equal(businessTimeBetween(business, openedAt, firstResponse), target * MINUTE);
        assert.equal(businessTimeBetween(business, openedAt, resolution), target * 3 * MINUTE);
      }),
      RUNS,
    );
  });

  it('adding durations one after another equals adding their sum', () => {
    fc.assert(
      fc.property(calendarChoice, instant, minutes, minutes, (calendar, from, first, second) => {
        const business = businessCalendar(calendar);
        const step = addBusinessTime(business, from, first * MINUTE);
        assert.ok(step !== null);
        assert.equal(
          addBusinessTime(business, step, second * MINUTE),
          addBusinessTime(business, from, (first + second) * MINUTE),
        );
      }),
      RUNS,
    );
  });

  it('a pause never brings a deadline earlier', () => {
    fc.assert(
      fc.property(
        calendarChoice,
        instant,
        minutes,
        fc.integer({ min: 0, max: 20_000 }),
        fc.integer({ min: 0, max: 20_000 }),
        (calendar, openedAt, target, pauseAfter, pauseFor) => {
          const policy = policyFor(calendar, target);
          const pendingAt = openedAt + pauseAfter * MINUTE;
          const resumedAt = pendingAt + pauseFor * MINUTE;
          const opened = { at: openedAt, type: 'opened' as const, severity: 'normal' as const };
          const unpaused = computeSla({ calendars, policy, events: [opened], now: resumedAt });
          const paused = computeSla({
            calendars,
            policy,
            events: [opened, { at: pendingAt, type: 'pending' }, { at: resumedAt, type: 'resumed' }],
            now: resumedAt,
          });
          for (const metric of ['firstResponse', 'resolution'] as const) {
            const before = unpaused.deadlines[metric];
            const after = paused.deadlines[metric];
            assert.ok(before !== null && after !== null);
            assert.ok(
              after >= before,
              `${metric}: ${new Date(after).toISOString()} < ${new Date(before).toISOString()}`,
            );
          }
        },
      ),
      RUNS,
    );
  });
});
