import { addBusinessTime, businessTimeBetween } from './businessTime.ts';
import { type BusinessCalendar, compileCalendar, unionOf } from './calendar.ts';
import { type ClockCycle, clocksOf } from './clocks.ts';
import {
  type CalendarSpec,
  METRICS,
  type Metric,
  type Severity,
  type SeverityTargets,
  type SlaAnswer,
  type SlaBreach,
  type SlaPolicy,
  type TicketEvent,
} from './model.ts';

/*
 * The SLA engine (issue 12 §3): a pure function of (calendars, policy, event log, now). No
 * clock and no database inside, so every case is a table test.
 *
 * A deadline is the earliest instant at which the business time a clock has run, in its
 * severity's calendar, equals the target. Met at that very instant is met; still unmet once
 * `now` is past it is breached. A `severity` event re-targets every clock as if the ticket had
 * had that severity since it was opened: the log is judged under each severity for the time
 * that severity held, and a breach recorded under an earlier one stays — once per clock cycle,
 * however many severities also miss it.
 */

export interface SlaInput {
  calendars: Readonly<Record<string, CalendarSpec>>;
  policy: SlaPolicy;
  events: readonly TicketEvent[];
  now: number;
}

const MINUTE_MS = 60_000;

export function computeSla(input: SlaInput): SlaAnswer {
  const calendars = new Map<string, BusinessCalendar>();
  const calendarNamed = (name: string): BusinessCalendar => {
    let calendar = calendars.get(name);
    if (!calendar) {
      const spec = input.calendars[name];
      if (spec === undefined) throw new Error(`The policy names an unknown calendar ${name}`);
      calendar = compileCalendar(spec);
      calendars.set(name, calendar);
    }
    return calendar;
  };
  const events = input.events
    .map((event, order) => ({ event, order }))
    .filter(({ event }) => event.at <= input.now)
    .sort((a, b) => a.event.at - b.event.at || a.order - b.order)
    .map(({ event }) => event);

  const breaches = new Map<string, SlaBreach>();
  let deadlines: Record<Metric, number | null> = { firstResponse: null, nextUpdate: null, resolution: null };
  for (const regime of severityRegimes(events, input.now)) {
    const targets = input.policy[regime.severity];
    if (!targets) throw new Error(`The policy has no targets for ${regime.severity}`);
    const calendar = unionOf([targets.calendar].flat().map(calendarNamed));
    const judged = judge(clocksOf(regime.events), targets, calendar, regime.until);
    for (const breach of judged.breaches) {
      if (!breaches.has(breach.key)) breaches.set(breach.key, { metric: breach.metric, dueAt: breach.dueAt });
    }
    deadlines = judged.deadlines;
  }
  return {
    deadlines,
    breaches: [...breaches.values()].sort(
      (a, b) => a.dueAt - b.dueAt || METRICS.indexOf(a.metric) - METRICS.indexOf(b.metric),
    ),
  };
}

interface Regime {
  severity: Severity;
  /** The log as it stood while this severity held. */
  events: readonly TicketEvent[];
  /** When the next severity took over, or `now`. */
  until: number;
}

function severityRegimes(events: readonly TicketEvent[], now: number): Regime[] {
  const regimes: Regime[] = [];
  let severity: Severity | undefined;
  events.forEach((event, index) => {
    const changes = event.type === 'opened' || event.type === 'severity';
    if (!changes || !event.severity || (event.type === 'opened' && severity)) return;
    if (severity && event.severity !== severity) {
      regimes.push({ severity, events: events.slice(0, index), until: event.at });
    }
    severity = event.severity;
  });
  if (severity) regimes.push({ severity, events, until: now });
  return regimes;
}

interface Judged {
  deadlines: Record<Metric, number | null>;
  breaches: (SlaBreach & { key: string })[];
}

function judge(
  cycles: readonly ClockCycle[],
  targets: SeverityTargets,
  calendar: BusinessCalendar,
  now: number,
): Judged {
  const deadlines: Record<Metric, number | null> = {
    firstResponse: null,
    nextUpdate: null,
    resolution: null,
  };
  const breaches: Judged['breaches'] = [];
  for (const cycle of cycles) {
    const minutes = targetMinutes(targets, cycle.metric);
    if (minutes === null) continue;
    const dueAt = deadlineOf(cycle, minutes * MINUTE_MS, calendar);
    if (cycle.running) deadlines[cycle.metric] = dueAt;
    if (dueAt === null) continue;
    const missed = cycle.metAt === null ? now > dueAt : cycle.metAt > dueAt;
    if (missed) breaches.push({ key: `${cycle.metric}#${cycle.index}`, metric: cycle.metric, dueAt });
  }
  return { deadlines, breaches };
}

function targetMinutes(targets: SeverityTargets, metric: Metric): number | null {
  if (metric === 'firstResponse') return targets.firstResponseMinutes;
  if (metric === 'nextUpdate') return targets.nextUpdateMinutes;
  return targets.resolutionMinutes;
}

/** When the cycle's running time reaches the target; null if it stopped or paused short of it. */
function deadlineOf(cycle: ClockCycle, target: number, calendar: BusinessCalendar): number | null {
  let remaining = target;
  for (const interval of cycle.intervals) {
    if (interval.end === Number.POSITIVE_INFINITY)
      return addBusinessTime(calendar, interval.start, remaining);
    const elapsed = businessTimeBetween(calendar, interval.start, interval.end);
    if (elapsed >= remaining) return addBusinessTime(calendar, interval.start, remaining);
    remaining -= elapsed;
  }
  return null;
}
