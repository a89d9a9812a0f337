import type { Machine } from './machine.ts';

/** One line of the results table; every cell is already formatted for reading. */
export interface Row {
  measure: string;
  value: string;
  peer: string;
  ratio: string;
  /** The target for this row and whether this run met it, e.g. "≥ 50 %: PASS". */
  target?: string;
}

const HEADER: Required<Row> = {
  measure: 'measure',
  value: 'value',
  peer: 'peer/ceiling',
  ratio: 'ratio',
  target: 'target',
};
const COLUMNS: (keyof Row)[] = ['measure', 'value', 'peer', 'ratio', 'target'];

export function renderMarkdownTable(rows: readonly Row[], machine: Machine): string {
  const cell = (row: Row, column: keyof Row) => (row[column] ?? '').replaceAll('|', '\\|');
  const widths = COLUMNS.map((column) =>
    Math.max(...[HEADER, ...rows].map((row) => cell(row, column).length)),
  );
  const line = (row: Row) =>
    `| ${COLUMNS.map((column, i) => cell(row, column).padEnd(widths[i]!)).join(' | ')} |`;
  const rule = `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`;
  return [
    `Machine: ${machine.cpuModel} × ${machine.cores} cores, ${machine.memoryGiB} GiB, ` +
      `Node ${machine.node}, ${machine.platform}; load average at start ${machine.loadAverage}`,
    '',
    line(HEADER),
    rule,
    ...rows.map(line),
  ].join('\n');
}

export const formatMs = (ms: number): string => {
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
};

export const formatRate = (perSecond: number, unit: string): string =>
  `${perSecond >= 100 ? perSecond.toFixed(0) : perSecond.toFixed(perSecond >= 10 ? 1 : 2)} ${unit}/s`;

export const formatKB = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;

/** KiB below 10 MiB, MiB above. */
export const formatBytes = (bytes: number): string =>
  bytes < 10 * 2 ** 20 ? formatKB(bytes) : `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** A target and whether this run met it: reported, never asserted. */
export const formatTarget = (target: string, met: boolean): string => `${target}: ${met ? 'PASS' : 'FAIL'}`;

export const formatPercent = (fraction: number): string =>
  `${(fraction * 100).toFixed(fraction >= 0.1 ? 0 : 1)} %`;

export const formatTimes = (factor: number): string =>
  `${factor >= 10 ? factor.toFixed(0) : factor.toFixed(1)}×`;
