import { Temporal } from 'temporal-polyfill';
import { computeSla } from '../src/support/sla/engine.ts';
import type { CalendarSpec, SlaPolicy, TicketEvent, WeeklyCalendar } from '../src/support/sla/model.ts';
import { describeMachine } from './machine.ts';
import { type RunPlan, type Sample, timeRuns } from './stats.ts';
import { formatTimes, type Row, renderMarkdownTable } from './table.ts';

/*
 * The SLA engine's deadline computation per ticket (issue 12, "Benchmarks"): one call of the
 * pure engine on a year-long event log — a serious ticket on "CET or Pacific hours" updated
 * every hour of every working day, pending on the client each Friday afternoon until Monday,
 * raised and lowered twice — with its calendars built afresh, as every request does.
 *
 * Beside it, the ceiling measured in the same run: the Temporal conversions a year of those
 * two calendars needs (each business day's opening and closing, local → instant), the zone
 * work no engine built on Temporal can skip. Part of `npm run bench` (section "sla"), or alone:
 *   node --import tsx bench/slaEngine.ts
 */

export interface SlaEngineBench {
  events: number;
  engine: Sample;
  conversions: number;
  ceiling: Sample;
}

const office = (timeZone: string): WeeklyCalendar => {
  const day = [['08:00', '17:00']] as const;
  return {
    timeZone,
    hours: { mon: day, tue: day, wed: day, thu: day, fri: day, sat: [], sun: [] },
    holidays: [{ date: '12-25', yearly: true }, { date: '01-01', yearly: true }, '2026-12-24'],
  };
};

const calendars: Record<string, CalendarSpec> = {
  cet: office('Europe/Berlin'),
  pacific: office('America/Los_Angeles'),
  always: '24/7',
};
const policy: SlaPolicy = {
  critical: { calendar: 'always', firstResponseMinutes: 15, nextUpdateMinutes: 60, resolutionMinutes: 600 },
  serious: {
    calendar: ['cet', 'pacific'],
    firstResponseMinutes: 60,
    nextUpdateMinutes: 60,
    resolutionMinutes: 600,
  },
  normal: { calendar: 'cet', firstResponseMinutes: 540, nextUpdateMinutes: null, resolutionMinutes: 2400 },
};

/** A year of a long-running ticket, in order. */
export function yearLongLog(): TicketEvent[] {
  const events: TicketEvent[] = [];
  const at = (iso: string) => Date.parse(iso);
  events.push({ at: at('2026-01-05T07:00:00Z'), type: 'opened', severity: 'serious' });
  events.push({ at: at('2026-01-05T07:40:00Z'), type: 'responded' });
  let day = Temporal.PlainDate.from('2026-01-05');
  const last = Temporal.PlainDate.from('2026-12-31');
  while (Temporal.PlainDate.compare(day, last) < 0) {
    if (day.dayOfWeek <= 5) {
      for (let hour = 8; hour < 17; hour += 1) {
        const instant = day.toZonedDateTime({ timeZone: 'Europe/Berlin', plainTime: { hour, minute: 50 } });
        events.push({ at: instant.epochMilliseconds, type: 'updated' });
      }
    }
    if (day.dayOfWeek === 5) {
      const friday = day.toZonedDateTime({ timeZone: 'Europe/Berlin', plainTime: { hour: 16, minute: 55 } });
      events.push({ at: friday.epochMilliseconds, type: 'pending' });
      const monday = day
        .add({ days: 3 })
        .toZonedDateTime({ timeZone: 'Europe/Berlin', plainTime: { hour: 8 } });
      events.push({ at: monday.epochMilliseconds, type: 'resumed' });
    }
    day = day.add({ days: 1 });
  }
  events.push({ at: at('2026-03-02T10:00:00Z'), type: 'severity', severity: 'critical' });
  events.push({ at: at('2026-03-09T10:00:00Z'), type: 'severity', severity: 'serious' });
  events.push({ at: at('2026-07-06T10:00:00Z'), type: 'severity', severity: 'normal' });
  events.push({ at: at('2026-07-13T10:00:00Z'), type: 'severity', severity: 'serious' });
  return events.sort((a, b) => a.at - b.at);
}

/** Each business day's opening and closing in both calendars, local → instant through Temporal. */
function yearOfConversions(): number {
  let conversions = 0;
  let day = Temporal.PlainDate.from('2026-01-05');
  const last = Temporal.PlainDate.from('2026-12-31');
  while (Temporal.PlainDate.compare(day, last) < 0) {
    if (day.dayOfWeek <= 5) {
      for (const timeZone of ['Europe/Berlin', 'America/Los_Angeles']) {
        for (const hour of [8, 17]) {
          day.toPlainDateTime({ hour }).toZonedDateTime(timeZone).epochMilliseconds;
          conversions += 1;
        }
      }
    }
    day = day.add({ days: 1 });
  }
  return conversions;
}

export async function measureSlaEngine(plan: RunPlan): Promise<SlaEngineBench> {
  const events = yearLongLog();
  const now = Date.parse('2026-12-31T12:00:00Z');
  const engine = await timeRuns(async () => computeSla({ calendars, policy, events, now }), plan);
  const conversions = yearOfConversions();
  const ceiling = await timeRuns(async () => yearOfConversions(), plan);
  return { events: events.length, engine, conversions, ceiling };
}

const formatMicros = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;

export function slaEngineRows(bench: SlaEngineBench | undefined): Row[] {
  if (!bench) return [];
  return [
    {
      measure: `SLA deadlines per ticket, year-long log (${bench.events} events): median / p99`,
      value: `${formatMicros(bench.engine.median)} / ${formatMicros(bench.engine.p99)}`,
      peer: `${bench.conversions} Temporal local→instant conversions ${formatMicros(bench.ceiling.median)}`,
      ratio: formatTimes(bench.engine.median / bench.ceiling.median),
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const bench = await measureSlaEngine({ warmup: 5, runs: 30 });
  process.stdout.write(`${renderMarkdownTable(slaEngineRows(bench), describeMachine())}\n`);
}
