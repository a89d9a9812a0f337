/*
 * The SLA engine's inputs (issue 12 §3), as plain data: what a calendar, a policy and a ticket's
 * event log are. Parsed from untrusted JSON by ./schema.ts; the engine trusts these shapes.
 */

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** A range of local wall-clock time, "HH:MM" to "HH:MM"; "24:00" ends the day. */
export type HourRange = readonly [start: string, end: string];

/** "2026-12-24" once, or { date: "12-25", yearly: true } every year. */
export type Holiday = string | { date: string; yearly?: boolean | undefined };

export interface WeeklyCalendar {
  timeZone: string;
  hours: Record<Weekday, readonly HourRange[]>;
  holidays: readonly Holiday[];
}

/** Round the clock, every day: business time is real time. */
export const ALWAYS = '24/7';
export type CalendarSpec = typeof ALWAYS | WeeklyCalendar;

export const SEVERITIES = ['critical', 'serious', 'normal'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const METRICS = ['firstResponse', 'nextUpdate', 'resolution'] as const;
export type Metric = (typeof METRICS)[number];

/** One severity's targets; null: no such target. `calendar` names one calendar or a union. */
export interface SeverityTargets {
  calendar: string | readonly string[];
  firstResponseMinutes: number | null;
  nextUpdateMinutes: number | null;
  resolutionMinutes: number | null;
}

export type SlaPolicy = Partial<Record<Severity, SeverityTargets>>;

export const EVENT_TYPES = [
  'opened',
  'responded',
  'updated',
  'pending',
  'resumed',
  'severity',
  'resolved',
  'reopened',
  'closed',
] as const;
export type TicketEventType = (typeof EVENT_TYPES)[number];

/** `at` in epoch milliseconds; `severity` on `opened` and `severity` events. */
export interface TicketEvent {
  at: number;
  type: TicketEventType;
  severity?: Severity | undefined;
}

export interface SlaBreach {
  metric: Metric;
  /** Epoch milliseconds. */
  dueAt: number;
}

export interface SlaAnswer {
  /** Epoch milliseconds of each running clock's deadline; null where no clock runs. */
  deadlines: Record<Metric, number | null>;
  breaches: SlaBreach[];
}
