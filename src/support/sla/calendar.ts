import { Temporal } from 'temporal-polyfill';
import { ALWAYS, type CalendarSpec, type Holiday, WEEKDAYS, type WeeklyCalendar } from './model.ts';

/*
 * A calendar as business-time windows on the time line: half-open [start, end) intervals in
 * epoch milliseconds, in ascending order and not overlapping. Business hours are local
 * wall-clock times in the calendar's IANA zone; every local-to-instant step goes through
 * Temporal, so the offsets, DST rules and zones whose midnight is skipped come from tzdata,
 * never from arithmetic written here.
 */

export interface Window {
  start: number;
  end: number;
}

export interface BusinessCalendar {
  /** The windows that end after `from`, the first one clipped to start no earlier than `from`. */
  windowsFrom(from: number): Iterable<Window>;
}

const DAY_MS = 86_400_000;
/** A calendar with no hours for this many days in a row has none at all: stop looking. */
const EMPTY_DAYS_LIMIT = 3 * 366;

export const roundTheClock: BusinessCalendar = {
  *windowsFrom(from) {
    yield { start: from, end: Number.POSITIVE_INFINITY };
  },
};

export function compileCalendar(spec: CalendarSpec): BusinessCalendar {
  return spec === ALWAYS ? roundTheClock : indexed(weeklyCalendar(spec));
}

/**
 * The same calendar with its windows kept in a sorted array as they are first produced, so
 * that the thousands of clock cycles of a long ticket find theirs by binary search instead of
 * walking the days (and a union merging its calendars) again each time.
 */
function indexed(source: BusinessCalendar): BusinessCalendar {
  interface Run {
    begin: number;
    windows: Window[];
    stream: Iterator<Window>;
    exhausted: boolean;
  }
  let run: Run | null = null;
  const pull = (from: Run): boolean => {
    if (from.exhausted) return false;
    const next = from.stream.next();
    if (next.done) {
      from.exhausted = true;
      return false;
    }
    from.windows.push(next.value);
    return true;
  };
  const firstEndingAfter = (windows: readonly Window[], from: number): number => {
    let low = 0;
    let high = windows.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((windows[middle] as Window).end <= from) low = middle + 1;
      else high = middle;
    }
    return low;
  };
  return {
    *windowsFrom(from) {
      if (!run || from < run.begin) {
        // Start (again) a little earlier than asked: the next question is usually close by. A
        // new run leaves the iterations still reading the old one undisturbed.
        const begin = from - 7 * DAY_MS;
        run = { begin, windows: [], stream: source.windowsFrom(begin)[Symbol.iterator](), exhausted: false };
      }
      const mine = run;
      let index = firstEndingAfter(mine.windows, from);
      for (;;) {
        while (index >= mine.windows.length) {
          if (!pull(mine)) return;
        }
        const window = mine.windows[index] as Window;
        index += 1;
        if (window.end <= from) continue;
        yield window.start >= from ? window : { start: from, end: window.end };
      }
    },
  };
}

function weeklyCalendar(spec: WeeklyCalendar): BusinessCalendar {
  const holidays = holidayMatcher(spec.holidays);
  // Memoised per local day (epoch day number): a year-long ticket asks for the same days again
  // and again, and each window edge costs a Temporal zone lookup.
  const days = new Map<number, Window[]>();
  const windowsOfDay = (day: number): Window[] => {
    let windows = days.get(day);
    if (!windows) {
      windows = localDayWindows(spec, day, holidays);
      days.set(day, windows);
    }
    return windows;
  };
  return {
    *windowsFrom(from) {
      // A local day's windows lie within a day and the zone's offset (at most ±14 hours) of
      // its UTC day, so starting one UTC day early never misses one.
      let day = Math.floor(from / DAY_MS) - 1;
      let emptyDays = 0;
      while (emptyDays < EMPTY_DAYS_LIMIT) {
        const windows = windowsOfDay(day);
        emptyDays = windows.length === 0 ? emptyDays + 1 : 0;
        for (const window of windows) {
          if (window.end <= from) continue;
          yield { start: Math.max(window.start, from), end: window.end };
        }
        day += 1;
      }
    },
  };
}

function localDayWindows(
  spec: WeeklyCalendar,
  day: number,
  isHoliday: (date: Temporal.PlainDate) => boolean,
) {
  const utc = new Date(day * DAY_MS);
  const date = new Temporal.PlainDate(utc.getUTCFullYear(), utc.getUTCMonth() + 1, utc.getUTCDate());
  if (isHoliday(date)) return [];
  const weekday = WEEKDAYS[date.dayOfWeek - 1];
  const ranges = weekday ? spec.hours[weekday] : [];
  const windows: Window[] = [];
  for (const [from, to] of ranges) {
    const start = localInstant(spec.timeZone, date, from);
    const end = localInstant(spec.timeZone, date, to);
    // A range wholly inside a DST gap has both edges at the gap's end: no time at all.
    if (end > start) windows.push({ start, end });
  }
  return windows;
}

/**
 * The instant a local wall-clock time on a date names. In a DST gap, the first instant that
 * exists after it (issue 12 §3) — Temporal's 'later' would shift by the gap's length instead
 * (02:30 → 03:30), so the gap's end is read from the zone's next transition. In a repeated
 * hour, the earlier of the two (Temporal's 'compatible').
 */
export function localInstant(timeZone: string, date: Temporal.PlainDate, time: string): number {
  const [hour, minute] = time.split(':').map(Number) as [number, number];
  const wallClock =
    hour === 24
      ? date.add({ days: 1 }).toPlainDateTime()
      : date.toPlainDateTime(new Temporal.PlainTime(hour, minute));
  const earlier = wallClock.toZonedDateTime(timeZone, { disambiguation: 'earlier' });
  if (earlier.toPlainDateTime().equals(wallClock)) return earlier.epochMilliseconds;
  const gapEnd = earlier.getTimeZoneTransition('next');
  if (!gapEnd) throw new Error(`No transition after a DST gap in ${timeZone}`);
  return gapEnd.epochMilliseconds;
}

function holidayMatcher(holidays: readonly Holiday[]): (date: Temporal.PlainDate) => boolean {
  const once = new Set<string>();
  const yearly = new Set<string>();
  for (const holiday of holidays) {
    const { date, yearly: everyYear } =
      typeof holiday === 'string' ? { date: holiday, yearly: false } : holiday;
    (everyYear ? yearly : once).add(date);
  }
  return (date) => {
    const iso = date.toString();
    return once.has(iso) || yearly.has(iso.slice(5));
  };
}

/** "CET or Pacific hours": business time whenever any of the calendars has it. */
export function unionOf(calendars: readonly BusinessCalendar[]): BusinessCalendar {
  if (calendars.length === 1 && calendars[0]) return calendars[0];
  if (calendars.includes(roundTheClock)) return roundTheClock;
  return indexed({
    *windowsFrom(from) {
      const streams = calendars.map((calendar) => calendar.windowsFrom(from)[Symbol.iterator]());
      const heads = streams.map((stream) => stream.next());
      let current: Window | undefined;
      for (;;) {
        // The earliest-starting head next; overlapping or touching windows merge.
        let pick = -1;
        for (let i = 0; i < heads.length; i += 1) {
          const head = heads[i];
          if (!head || head.done) continue;
          const best = heads[pick];
          if (pick < 0 || (best && !best.done && head.value.start < best.value.start)) pick = i;
        }
        if (pick < 0) break;
        const head = heads[pick] as IteratorYieldResult<Window>;
        heads[pick] = (streams[pick] as Iterator<Window>).next();
        if (current && head.value.start <= current.end) {
          current = { start: current.start, end: Math.max(current.end, head.value.end) };
          continue;
        }
        if (current) yield current;
        current = { ...head.value };
      }
      if (current) yield current;
    },
  });
}
