import type { BusinessCalendar } from './calendar.ts';

/*
 * Business time on a calendar: how much of [from, to) falls in its windows, and the earliest
 * instant at which a given amount of it has passed since `from`. Durations in milliseconds.
 */

export function businessTimeBetween(calendar: BusinessCalendar, from: number, to: number): number {
  let elapsed = 0;
  for (const window of calendar.windowsFrom(from)) {
    if (window.start >= to) break;
    elapsed += Math.min(window.end, to) - window.start;
  }
  return elapsed;
}

/**
 * The earliest instant at which `duration` of business time has passed since `from`: a target
 * used up exactly at a window's close is due at the close, not at the next opening. Null when
 * the calendar has no more time.
 */
export function addBusinessTime(calendar: BusinessCalendar, from: number, duration: number): number | null {
  if (duration <= 0) return from;
  let remaining = duration;
  for (const window of calendar.windowsFrom(from)) {
    const length = window.end - window.start;
    if (length >= remaining) return window.start + remaining;
    remaining -= length;
  }
  return null;
}
