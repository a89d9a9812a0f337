import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeSla } from './engine.ts';
import type { CalendarSpec, Metric, SlaPolicy, TicketEvent, WeeklyCalendar } from './model.ts';

/*
 * The hard cases of issue 12 §4, each with its expected instant worked out by hand (the
 * comment beside it says how, in local time). 2026: EU clocks change on 29 March and 25 October,
 * US clocks on 8 March and 1 November; Santiago skips its midnight on 6 September, Beirut on
 * 29 March.
 */

const weekdays = (
  from: string,
  to: string,
  days = ['mon', 'tue', 'wed', 'thu', 'fri'],
): WeeklyCalendar['hours'] => ({
  mon: [],
  tue: [],
  wed: [],
  thu: [],
  fri: [],
  sat: [],
  sun: [],
  ...Object.fromEntries(days.map((day) => [day, [[from, to]]])),
});

const calendars: Record<string, CalendarSpec> = {
  cet: {
    timeZone: 'Europe/Berlin',
    hours: weekdays('08:00', '17:00'),
    holidays: ['2026-12-24', { date: '12-25', yearly: true }, { date: '12-26', yearly: true }],
  },
  pacific: { timeZone: 'America/Los_Angeles', hours: weekdays('08:00', '17:00'), holidays: [] },
  uk: {
    timeZone: 'Europe/London',
    hours: weekdays('08:00', '18:00', ['mon', 'tue', 'wed', 'thu', 'fri', 'sat']),
    holidays: [],
  },
  always: '24/7',
  berlinSundayGap: { timeZone: 'Europe/Berlin', hours: weekdays('02:30', '05:00', ['sun']), holidays: [] },
  berlinSundayNight: { timeZone: 'Europe/Berlin', hours: weekdays('00:00', '06:00', ['sun']), holidays: [] },
  santiagoWeekend: {
    timeZone: 'America/Santiago',
    hours: { ...weekdays('20:00', '24:00', ['sat']), sun: [['00:00', '12:00']] },
    holidays: [],
  },
  beirutSunday: { timeZone: 'Asia/Beirut', hours: weekdays('00:00', '06:00', ['sun']), holidays: [] },
};

const serious = (calendar: string | string[], firstResponseMinutes = 60) => ({
  serious: { calendar, firstResponseMinutes, nextUpdateMinutes: 60, resolutionMinutes: 600 },
});

const standard: SlaPolicy = {
  critical: { calendar: 'always', firstResponseMinutes: 15, nextUpdateMinutes: 60, resolutionMinutes: 600 },
  serious: { calendar: 'cet', firstResponseMinutes: 60, nextUpdateMinutes: 60, resolutionMinutes: 600 },
  normal: { calendar: 'cet', firstResponseMinutes: 540, nextUpdateMinutes: null, resolutionMinutes: 2400 },
};

type Log = [at: string, type: TicketEvent['type'], severity?: TicketEvent['severity']][];

interface Case {
  name: string;
  policy?: SlaPolicy;
  log: Log;
  now: string;
  deadlines: Partial<Record<Metric, string | null>>;
  breaches?: [Metric, string][];
}

const ms = (iso: string) => Date.parse(iso);
const iso = (at: number | null) => (at === null ? null : new Date(at).toISOString());

function check(c: Case) {
  const answer = computeSla({
    calendars,
    policy: c.policy ?? standard,
    events: c.log.map(([at, type, severity]) => ({ at: ms(at), type, severity })),
    now: ms(c.now),
  });
  for (const [metric, expected] of Object.entries(c.deadlines)) {
    const wanted = expected === null ? null : new Date(ms(expected)).toISOString();
    assert.equal(iso(answer.deadlines[metric as Metric]), wanted, `${metric} deadline`);
  }
  assert.deepEqual(
    answer.breaches.map((b) => [b.metric, iso(b.dueAt)]),
    (c.breaches ?? []).map(([metric, at]) => [metric, new Date(ms(at)).toISOString()]),
    'breaches',
  );
}

function table(title: string, cases: Case[]) {
  describe(title, () => {
    for (const c of cases) it(c.name, () => check(c));
  });
}

table('business hours', [
  {
    name: 'a ticket opened before hours is due an hour after opening (Mon 06:30 CET → 09:00 CET), resolution on Tue 09:00',
    policy: serious('cet'),
    log: [['2026-02-02T05:30:00Z', 'opened', 'serious']],
    now: '2026-02-02T05:30:00Z',
    deadlines: {
      firstResponse: '2026-02-02T08:00:00Z',
      nextUpdate: null,
      resolution: '2026-02-03T08:00:00Z',
    },
  },
  {
    name: 'opened exactly at opening (Mon 08:00 CET) is due at 09:00',
    policy: serious('cet'),
    log: [['2026-02-02T07:00:00Z', 'opened', 'serious']],
    now: '2026-02-02T07:00:00Z',
    deadlines: { firstResponse: '2026-02-02T08:00:00Z' },
  },
  {
    name: 'opened exactly at closing (Mon 17:00 CET) is due at 09:00 next morning',
    policy: serious('cet'),
    log: [['2026-02-02T16:00:00Z', 'opened', 'serious']],
    now: '2026-02-02T16:00:00Z',
    deadlines: { firstResponse: '2026-02-03T08:00:00Z' },
  },
  {
    name: 'a target used up exactly at closing is due at the close, not at the next opening (Mon 16:00 → 17:00 CET)',
    policy: serious('cet'),
    log: [['2026-02-02T15:00:00Z', 'opened', 'serious']],
    now: '2026-02-02T15:00:00Z',
    deadlines: { firstResponse: '2026-02-02T16:00:00Z' },
  },
  {
    name: 'half an hour before closing carries the rest to the next morning (Mon 16:30 → Tue 08:30 CET)',
    policy: serious('cet'),
    log: [['2026-02-02T15:30:00Z', 'opened', 'serious']],
    now: '2026-02-02T15:30:00Z',
    deadlines: { firstResponse: '2026-02-03T07:30:00Z' },
  },
  {
    name: 'the day before the holidays skips 24 (one-off) and 25–26 December (yearly) and the weekend: Wed 23 16:30 → Mon 28 08:30 CET',
    policy: serious('cet'),
    log: [['2026-12-23T15:30:00Z', 'opened', 'serious']],
    now: '2026-12-23T15:30:00Z',
    deadlines: { firstResponse: '2026-12-28T07:30:00Z' },
  },
  {
    name: 'opened on a holiday (Thu 24 December 10:00 CET) is due Mon 28 at 09:00',
    policy: serious('cet'),
    log: [['2026-12-24T09:00:00Z', 'opened', 'serious']],
    now: '2026-12-24T09:00:00Z',
    deadlines: { firstResponse: '2026-12-28T08:00:00Z' },
  },
]);

table('daylight saving time', [
  {
    name: 'Berlin spring-forward: Fri 27 March 16:30 CET → Mon 30 March 08:30 CEST',
    policy: serious('cet'),
    log: [['2026-03-27T15:30:00Z', 'opened', 'serious']],
    now: '2026-03-27T15:30:00Z',
    deadlines: { firstResponse: '2026-03-30T06:30:00Z' },
  },
  {
    name: 'Berlin fall-back: Fri 23 October 16:30 CEST → Mon 26 October 08:30 CET',
    policy: serious('cet'),
    log: [['2026-10-23T14:30:00Z', 'opened', 'serious']],
    now: '2026-10-23T14:30:00Z',
    deadlines: { firstResponse: '2026-10-26T07:30:00Z' },
  },
  {
    name: 'Berlin: hours from 02:30 on the spring-forward Sunday start at 03:00 CEST, the first instant after the gap',
    policy: serious('berlinSundayGap'),
    log: [['2026-03-28T12:00:00Z', 'opened', 'serious']],
    now: '2026-03-28T12:00:00Z',
    deadlines: { firstResponse: '2026-03-29T02:00:00Z' },
  },
  {
    name: 'Berlin: the same hours a week earlier start at 02:30 CET',
    policy: serious('berlinSundayGap'),
    log: [['2026-03-21T12:00:00Z', 'opened', 'serious']],
    now: '2026-03-21T12:00:00Z',
    deadlines: { firstResponse: '2026-03-22T02:30:00Z' },
  },
  {
    name: 'Berlin: 00:00–06:00 on the fall-back Sunday holds seven real hours (00:00 CEST → 06:00 CET)',
    policy: serious('berlinSundayNight', 420),
    log: [['2026-10-24T12:00:00Z', 'opened', 'serious']],
    now: '2026-10-24T12:00:00Z',
    deadlines: { firstResponse: '2026-10-25T05:00:00Z' },
  },
  {
    name: 'London spring-forward: Sat 28 March 17:30 GMT → Mon 30 March 08:30 BST',
    policy: serious('uk'),
    log: [['2026-03-28T17:30:00Z', 'opened', 'serious']],
    now: '2026-03-28T17:30:00Z',
    deadlines: { firstResponse: '2026-03-30T07:30:00Z' },
  },
  {
    name: 'London fall-back: Sat 24 October 17:30 BST → Mon 26 October 08:30 GMT',
    policy: serious('uk'),
    log: [['2026-10-24T16:30:00Z', 'opened', 'serious']],
    now: '2026-10-24T16:30:00Z',
    deadlines: { firstResponse: '2026-10-26T08:30:00Z' },
  },
  {
    name: 'Los Angeles spring-forward: Fri 6 March 16:30 PST → Mon 9 March 08:30 PDT',
    policy: serious('pacific'),
    log: [['2026-03-07T00:30:00Z', 'opened', 'serious']],
    now: '2026-03-07T00:30:00Z',
    deadlines: { firstResponse: '2026-03-09T15:30:00Z' },
  },
  {
    name: 'Los Angeles fall-back: Fri 30 October 16:30 PDT → Mon 2 November 08:30 PST',
    policy: serious('pacific'),
    log: [['2026-10-30T23:30:00Z', 'opened', 'serious']],
    now: '2026-10-30T23:30:00Z',
    deadlines: { firstResponse: '2026-11-02T16:30:00Z' },
  },
  {
    name: 'CET or Pacific, winter: Pacific closes at 01:00Z, Berlin opens at 07:00Z (Mon 16:30 PST → Tue 08:30 CET)',
    policy: serious(['cet', 'pacific']),
    log: [['2026-02-03T00:30:00Z', 'opened', 'serious']],
    now: '2026-02-03T00:30:00Z',
    deadlines: { firstResponse: '2026-02-03T07:30:00Z' },
  },
  {
    name: 'CET or Pacific in March when only the US has moved: Pacific closes at 00:00Z (Tue 16:30 PDT → Wed 08:30 CET)',
    policy: serious(['cet', 'pacific']),
    log: [['2026-03-10T23:30:00Z', 'opened', 'serious']],
    now: '2026-03-10T23:30:00Z',
    deadlines: { firstResponse: '2026-03-11T07:30:00Z' },
  },
  {
    name: 'CET or Pacific in the October week when only Europe has moved back: Berlin opens at 07:00Z (Tue 07:30 CET → 09:00 CET)',
    policy: serious(['cet', 'pacific']),
    log: [['2026-10-27T06:30:00Z', 'opened', 'serious']],
    now: '2026-10-27T06:30:00Z',
    deadlines: { firstResponse: '2026-10-27T08:00:00Z' },
  },
  {
    name: 'Santiago skips midnight on 6 September: Saturday’s hours to 24:00 end, and Sunday’s from 00:00 start, at 01:00 -03 (04:00Z)',
    policy: serious('santiagoWeekend'),
    log: [['2026-09-06T03:30:00Z', 'opened', 'serious']],
    now: '2026-09-06T03:30:00Z',
    deadlines: { firstResponse: '2026-09-06T04:30:00Z' },
  },
  {
    name: 'Santiago: five hours from Saturday 20:00 -04 are four to the skipped midnight and one from 01:00 -03 (05:00Z)',
    policy: serious('santiagoWeekend', 300),
    log: [['2026-09-05T12:00:00Z', 'opened', 'serious']],
    now: '2026-09-05T12:00:00Z',
    deadlines: { firstResponse: '2026-09-06T05:00:00Z' },
  },
  {
    name: 'Beirut skips midnight on 29 March: 00:00–06:00 runs 01:00 +03 (22:00Z) to 06:00 +03 (03:00Z), five hours',
    policy: serious('beirutSunday', 300),
    log: [['2026-03-28T12:00:00Z', 'opened', 'serious']],
    now: '2026-03-28T12:00:00Z',
    deadlines: { firstResponse: '2026-03-29T03:00:00Z' },
  },
]);

table('round the clock', [
  {
    name: 'a critical ticket opened ten minutes before New Year is due at 00:05 and resolved by 09:50',
    log: [['2026-12-31T23:50:00Z', 'opened', 'critical']],
    now: '2026-12-31T23:55:00Z',
    deadlines: {
      firstResponse: '2027-01-01T00:05:00Z',
      nextUpdate: null,
      resolution: '2027-01-01T09:50:00Z',
    },
  },
  {
    name: 'met at the very instant of the deadline is met',
    log: [
      ['2026-06-01T06:00:00Z', 'opened', 'critical'],
      ['2026-06-01T06:15:00Z', 'responded'],
    ],
    now: '2026-06-01T07:00:00Z',
    deadlines: { firstResponse: null, nextUpdate: '2026-06-01T07:15:00Z' },
  },
  {
    name: 'responded 59 seconds late is breached, due at the deadline',
    log: [
      ['2026-06-01T06:00:00Z', 'opened', 'critical'],
      ['2026-06-01T06:15:59Z', 'responded'],
    ],
    now: '2026-06-01T07:00:00Z',
    deadlines: { firstResponse: null },
    breaches: [['firstResponse', '2026-06-01T06:15:00Z']],
  },
  {
    name: 'unmet with now exactly at the deadline is not yet breached',
    log: [['2026-06-01T06:00:00Z', 'opened', 'critical']],
    now: '2026-06-01T06:15:00Z',
    deadlines: { firstResponse: '2026-06-01T06:15:00Z' },
  },
  {
    name: 'unmet a second after the deadline is breached',
    log: [['2026-06-01T06:00:00Z', 'opened', 'critical']],
    now: '2026-06-01T06:15:01Z',
    deadlines: { firstResponse: '2026-06-01T06:15:00Z' },
    breaches: [['firstResponse', '2026-06-01T06:15:00Z']],
  },
  {
    name: 'each update restarts the hourly clock; a late one is a breach of that hour',
    log: [
      ['2026-06-01T06:00:00Z', 'opened', 'critical'],
      ['2026-06-01T06:10:00Z', 'responded'],
      ['2026-06-01T07:10:00Z', 'updated'],
      ['2026-06-01T08:40:00Z', 'updated'],
    ],
    now: '2026-06-01T09:00:00Z',
    deadlines: { nextUpdate: '2026-06-01T09:40:00Z' },
    breaches: [['nextUpdate', '2026-06-01T08:10:00Z']],
  },
]);

table('pending on the client', [
  {
    name: 'a pause across midnight adds the paused time (22:10 → 00:20)',
    log: [
      ['2026-06-01T22:00:00Z', 'opened', 'critical'],
      ['2026-06-01T22:10:00Z', 'pending'],
      ['2026-06-02T00:20:00Z', 'resumed'],
    ],
    now: '2026-06-02T00:20:00Z',
    deadlines: { firstResponse: '2026-06-02T00:25:00Z', resolution: '2026-06-02T10:10:00Z' },
  },
  {
    name: 'while pending no clock runs',
    log: [
      ['2026-06-01T22:00:00Z', 'opened', 'critical'],
      ['2026-06-01T22:10:00Z', 'pending'],
    ],
    now: '2026-06-03T00:00:00Z',
    deadlines: { firstResponse: null, nextUpdate: null, resolution: null },
  },
  {
    name: 'a pause across days in business hours: Mon 10:20 → Wed 15:00 CEST leaves 40 minutes and 9 h 40',
    log: [
      ['2026-06-01T08:00:00Z', 'opened', 'serious'],
      ['2026-06-01T08:20:00Z', 'pending'],
      ['2026-06-03T13:00:00Z', 'resumed'],
    ],
    now: '2026-06-03T13:00:00Z',
    deadlines: { firstResponse: '2026-06-03T13:40:00Z', resolution: '2026-06-04T13:40:00Z' },
  },
  {
    name: 'resumed outside hours (Mon 19:00 CEST) runs again from the next opening: Tue 08:30',
    log: [
      ['2026-06-01T14:00:00Z', 'opened', 'serious'],
      ['2026-06-01T14:30:00Z', 'pending'],
      ['2026-06-01T17:00:00Z', 'resumed'],
    ],
    now: '2026-06-01T17:00:00Z',
    deadlines: { firstResponse: '2026-06-02T06:30:00Z' },
  },
]);

table('severity changes and reopening', [
  {
    name: 'raised to critical after a serious breach: the breach stays once, the deadline is as if critical since opening',
    log: [
      ['2026-06-01T06:00:00Z', 'opened', 'serious'],
      ['2026-06-01T08:00:00Z', 'severity', 'critical'],
    ],
    now: '2026-06-01T08:30:00Z',
    deadlines: { firstResponse: '2026-06-01T06:15:00Z', resolution: '2026-06-01T16:00:00Z' },
    breaches: [['firstResponse', '2026-06-01T07:00:00Z']],
  },
  {
    name: 'lowered to normal after a serious breach: the breach stays, the deadline moves to Mon 17:00 CEST',
    log: [
      ['2026-06-01T06:00:00Z', 'opened', 'serious'],
      ['2026-06-01T08:00:00Z', 'severity', 'normal'],
    ],
    now: '2026-06-01T09:00:00Z',
    deadlines: { firstResponse: '2026-06-01T15:00:00Z', resolution: '2026-06-05T10:00:00Z' },
    breaches: [['firstResponse', '2026-06-01T07:00:00Z']],
  },
  {
    name: 'raised from normal to serious before any breach: missed under the new target, breached once',
    log: [
      ['2026-06-01T06:00:00Z', 'opened', 'normal'],
      ['2026-06-01T06:30:00Z', 'severity', 'serious'],
    ],
    now: '2026-06-01T08:00:00Z',
    deadlines: { firstResponse: '2026-06-01T07:00:00Z' },
    breaches: [['firstResponse', '2026-06-01T07:00:00Z']],
  },
  {
    name: 'reopened resumes resolution with the time already used: 4 h Monday, 6 h from Tue 10:00 → 16:00 CEST',
    log: [
      ['2026-06-01T06:00:00Z', 'opened', 'serious'],
      ['2026-06-01T06:30:00Z', 'responded'],
      ['2026-06-01T10:00:00Z', 'resolved'],
      ['2026-06-02T08:00:00Z', 'reopened'],
    ],
    now: '2026-06-02T09:00:00Z',
    deadlines: { firstResponse: null, nextUpdate: null, resolution: '2026-06-02T14:00:00Z' },
    // No update in the hour after the response (07:30Z) before resolving at 10:00Z.
    breaches: [['nextUpdate', '2026-06-01T07:30:00Z']],
  },
  {
    name: 'reopened past the resolution target is breached once, however often it is resolved and reopened',
    log: [
      ['2026-06-01T06:00:00Z', 'opened', 'critical'],
      ['2026-06-01T06:05:00Z', 'responded'],
      ['2026-06-01T07:00:00Z', 'resolved'],
      ['2026-06-02T06:00:00Z', 'reopened'],
      ['2026-06-02T06:05:00Z', 'responded'],
      ['2026-06-02T07:00:00Z', 'updated'],
      ['2026-06-02T08:00:00Z', 'updated'],
      ['2026-06-02T09:00:00Z', 'updated'],
      ['2026-06-02T10:00:00Z', 'updated'],
      ['2026-06-02T15:30:00Z', 'resolved'],
      ['2026-06-03T06:00:00Z', 'reopened'],
    ],
    now: '2026-06-03T07:00:00Z',
    // One hour used on 1 June, nine more from 06:00Z on 2 June: due 15:00Z.
    deadlines: { resolution: '2026-06-02T15:00:00Z', nextUpdate: null },
    breaches: [
      ['nextUpdate', '2026-06-02T11:00:00Z'],
      ['resolution', '2026-06-02T15:00:00Z'],
    ],
  },
]);
