import type { Metric, TicketEvent } from './model.ts';

/*
 * A ticket's event log as SLA clocks (issue 12 §3), before any calendar: the real-time
 * intervals during which each clock ran, and whether and when it was met. First response runs
 * from `opened` to the first `responded`; each `responded` or `updated` starts a next-update
 * cycle that the next one meets; resolution runs from `opened` to `resolved`, and `reopened`
 * resumes it with the time already used. `pending` pauses every running clock until `resumed`.
 * Resolving (or closing) a ticket also meets its first response and next update: the client
 * was answered by the resolution itself.
 */

export interface Interval {
  start: number;
  /** Infinity: the clock is running at `now`. */
  end: number;
}

export interface ClockCycle {
  metric: Metric;
  /** Which cycle of its metric (next update has one per `responded`/`updated`); breaches are counted once per cycle. */
  index: number;
  intervals: Interval[];
  /** When the metric was met; null while it is not. */
  metAt: number | null;
  /** Whether the clock runs at `now` (not met, not paused). */
  running: boolean;
}

interface LiveCycle extends ClockCycle {
  runningSince: number | null;
  stopped: boolean;
}

/** `events` sorted by time, none after `now`. */
export function clocksOf(events: readonly TicketEvent[]): ClockCycle[] {
  const cycles: LiveCycle[] = [];
  const live = new Map<Metric, LiveCycle>();
  let opened = false;
  let resolved = false;
  let paused = false;

  const started: Record<Metric, number> = { firstResponse: 0, nextUpdate: 0, resolution: 0 };
  const start = (metric: Metric, at: number) => {
    const index = started[metric]++;
    const cycle: LiveCycle = {
      metric,
      index,
      intervals: [],
      metAt: null,
      running: false,
      runningSince: paused ? null : at,
      stopped: false,
    };
    cycles.push(cycle);
    live.set(metric, cycle);
  };
  const halt = (cycle: LiveCycle, at: number) => {
    if (cycle.runningSince !== null) cycle.intervals.push({ start: cycle.runningSince, end: at });
    cycle.runningSince = null;
  };
  const meet = (metric: Metric, at: number) => {
    const cycle = live.get(metric);
    if (!cycle) return;
    halt(cycle, at);
    cycle.metAt = at;
    cycle.stopped = true;
    live.delete(metric);
  };
  const stopAll = (at: number) => {
    for (const metric of [...live.keys()]) meet(metric, at);
  };

  for (const event of events) {
    if (event.type === 'opened') {
      if (opened) continue;
      opened = true;
      start('firstResponse', event.at);
      start('resolution', event.at);
      continue;
    }
    if (!opened) continue;
    switch (event.type) {
      case 'responded':
      case 'updated':
        if (resolved) break;
        if (event.type === 'responded') meet('firstResponse', event.at);
        meet('nextUpdate', event.at);
        start('nextUpdate', event.at);
        break;
      case 'pending':
        if (paused || resolved) break;
        paused = true;
        for (const cycle of live.values()) halt(cycle, event.at);
        break;
      case 'resumed':
        if (!paused) break;
        paused = false;
        for (const cycle of live.values()) cycle.runningSince = event.at;
        break;
      case 'resolved':
      case 'closed':
        if (resolved) break;
        resolved = true;
        paused = false;
        stopAll(event.at);
        break;
      case 'reopened': {
        if (!resolved) break;
        resolved = false;
        const resolution = cycles.find((cycle) => cycle.metric === 'resolution');
        if (!resolution) break;
        resolution.metAt = null;
        resolution.stopped = false;
        resolution.runningSince = event.at;
        live.set('resolution', resolution);
        break;
      }
      case 'severity':
        break;
    }
  }
  return cycles.map(({ runningSince, stopped: _stopped, ...cycle }) => ({
    ...cycle,
    intervals:
      runningSince === null
        ? cycle.intervals
        : [...cycle.intervals, { start: runningSince, end: Number.POSITIVE_INFINITY }],
    running: runningSince !== null,
  }));
}
