import { Temporal } from 'temporal-polyfill';
import { z } from 'zod';
import type { SlaInput } from './engine.ts';
import { ALWAYS, EVENT_TYPES, METRICS, SEVERITIES, type SlaAnswer, WEEKDAYS } from './model.ts';

/*
 * The SLA preview's request and answer (issue 12 §3), the one place untrusted calendars and
 * policies become the engine's input: zones are checked against Temporal's tzdata, hour ranges
 * for order and overlap, and every calendar a policy names must be in `calendars`. Each problem
 * names its path, so a calendar editor can mark the field.
 */

const wallClock = z
  .string()
  .regex(/^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'a local time HH:MM from 00:00 to 24:00');
const hourRange = z.tuple([wallClock, wallClock]);
const dayHours = z.array(hourRange).max(48);

const isDate = (iso: string) => {
  try {
    Temporal.PlainDate.from(iso, { overflow: 'reject' });
    return true;
  } catch {
    return false;
  }
};
const oneOffDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD')
  .refine(isDate, 'not a day of the calendar');
// A leap year, so that 29 February may be a yearly holiday.
const yearlyDate = z
  .string()
  .regex(/^\d{2}-\d{2}$/, 'a day of the year MM-DD')
  .refine((monthDay) => isDate(`2024-${monthDay}`), 'not a day of the year');
const holiday = z.union([
  oneOffDate,
  z.strictObject({ date: yearlyDate, yearly: z.literal(true) }),
  z.strictObject({ date: oneOffDate, yearly: z.literal(false).optional() }),
]);

const isTimeZone = (zone: string) => {
  try {
    Temporal.Now.zonedDateTimeISO(zone);
    return true;
  } catch {
    return false;
  }
};

const weeklyCalendar = z.strictObject({
  timeZone: z.string().min(1).max(64).refine(isTimeZone, 'not an IANA time zone'),
  hours: z.strictObject(
    Object.fromEntries(WEEKDAYS.map((day) => [day, dayHours])) as Record<
      (typeof WEEKDAYS)[number],
      typeof dayHours
    >,
  ),
  holidays: z.array(holiday).max(1000).default([]),
});

const minutesOf = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3));

const calendarSpec = z.union([z.literal(ALWAYS), weeklyCalendar]).superRefine((calendar, context) => {
  if (calendar === ALWAYS) return;
  for (const day of WEEKDAYS) {
    const ranges = calendar.hours[day].map(([from, to], index) => ({
      from: minutesOf(from),
      to: minutesOf(to),
      index,
    }));
    for (const range of ranges) {
      if (range.to <= range.from) {
        context.addIssue({
          code: 'custom',
          path: ['hours', day, range.index],
          message: 'a range ends after it starts',
        });
      }
    }
    const ordered = [...ranges].sort((a, b) => a.from - b.from);
    for (let i = 1; i < ordered.length; i += 1) {
      const previous = ordered[i - 1];
      const range = ordered[i];
      if (previous && range && range.from < previous.to) {
        context.addIssue({
          code: 'custom',
          path: ['hours', day, range.index],
          message: 'overlaps another range of the day',
        });
      }
    }
  }
  if (WEEKDAYS.every((day) => calendar.hours[day].length === 0)) {
    context.addIssue({
      code: 'custom',
      path: ['hours'],
      message: 'a calendar needs business hours on some day',
    });
  }
});

const target = z.number().int().positive().max(1_000_000).nullable();
const calendarName = z.string().min(1).max(100);
const severityTargets = z.strictObject({
  calendar: z.union([calendarName, z.array(calendarName).min(1).max(20)]),
  firstResponseMinutes: target,
  nextUpdateMinutes: target,
  resolutionMinutes: target,
});
const severity = z.enum(SEVERITIES);
const instant = z.iso.datetime({ offset: true });

const ticketEvent = z
  .strictObject({ at: instant, type: z.enum(EVENT_TYPES), severity: severity.optional() })
  .superRefine((event, context) => {
    const needsSeverity = event.type === 'opened' || event.type === 'severity';
    if (needsSeverity && !event.severity) {
      context.addIssue({
        code: 'custom',
        path: ['severity'],
        message: `an ${event.type} event names its severity`,
      });
    }
    if (!needsSeverity && event.severity) {
      context.addIssue({
        code: 'custom',
        path: ['severity'],
        message: `a ${event.type} event has no severity`,
      });
    }
  });

export const slaPreviewRequestSchema = z
  .strictObject({
    calendars: z
      .record(calendarName, calendarSpec)
      .refine((all) => Object.keys(all).length <= 50, 'at most 50 calendars'),
    policy: z.strictObject(
      Object.fromEntries(SEVERITIES.map((name) => [name, severityTargets.optional()])) as Record<
        (typeof SEVERITIES)[number],
        z.ZodOptional<typeof severityTargets>
      >,
    ),
    events: z.array(ticketEvent).max(100_000),
    now: instant,
  })
  .superRefine((request, context) => {
    for (const name of SEVERITIES) {
      const calendar = request.policy[name]?.calendar;
      if (calendar === undefined) continue;
      const names = [calendar].flat();
      names.forEach((named, index) => {
        if (Object.hasOwn(request.calendars, named)) return;
        const path =
          typeof calendar === 'string' ? ['policy', name, 'calendar'] : ['policy', name, 'calendar', index];
        context.addIssue({ code: 'custom', path, message: `no calendar named ${named}` });
      });
    }
    request.events.forEach((event, index) => {
      if (event.severity && !request.policy[event.severity]) {
        context.addIssue({
          code: 'custom',
          path: ['events', index, 'severity'],
          message: `the policy has no targets for ${event.severity}`,
        });
      }
    });
  })
  .meta({ id: 'SlaPreviewRequest' });

export type SlaPreviewRequest = z.infer<typeof slaPreviewRequestSchema>;

const dueAt = z.iso.datetime().nullable();
export const slaPreviewAnswerSchema = z
  .strictObject({
    deadlines: z.strictObject({ firstResponse: dueAt, nextUpdate: dueAt, resolution: dueAt }),
    breaches: z.array(z.strictObject({ metric: z.enum(METRICS), dueAt: z.iso.datetime() })),
  })
  .meta({ id: 'SlaPreview' });

export type SlaPreviewAnswer = z.infer<typeof slaPreviewAnswerSchema>;

/** The parsed request as the engine's input: instants as epoch milliseconds. */
export function slaInputOf(request: SlaPreviewRequest): SlaInput {
  return {
    calendars: request.calendars,
    policy: request.policy,
    events: request.events.map((event) => ({
      at: Date.parse(event.at),
      type: event.type,
      severity: event.severity,
    })),
    now: Date.parse(request.now),
  };
}

const isoOf = (at: number | null) => (at === null ? null : new Date(at).toISOString());

export function slaPreviewAnswerOf(answer: SlaAnswer): SlaPreviewAnswer {
  return {
    deadlines: {
      firstResponse: isoOf(answer.deadlines.firstResponse),
      nextUpdate: isoOf(answer.deadlines.nextUpdate),
      resolution: isoOf(answer.deadlines.resolution),
    },
    breaches: answer.breaches.map((breach) => ({
      metric: breach.metric,
      dueAt: new Date(breach.dueAt).toISOString(),
    })),
  };
}
