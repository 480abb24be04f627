// Report helpers shared by the benchmarks: statistics over repetitions, plain-text tables, the
// machine and load-average lines of the header and footer.

import { availableParallelism, loadavg } from 'node:os';

/** Milliseconds to seconds. */
export const seconds = (ms) => ms / 1000;

/** A figure with three decimals (seconds in the tables). */
export const fmt = (s) => s.toFixed(3);

/** The median of a non-empty list of numbers (the mean of the two middle ones for an even count). */
export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Median, min, max and first (repetition 1) of a non-empty list of numbers, in their unit. */
export const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: median(values), min: sorted[0], max: sorted.at(-1), first: values[0] };
};

/** The value columns of a table of `stats` rows (after the label column). */
export const STATS_COLUMNS = ['median', 'min', 'max', 'first'];

/** A table row: the label, then median, min, max and first of `st`, each through `format`. */
export const statsRow = (label, st, format) => [
  label,
  format(st.median),
  format(st.min),
  format(st.max),
  format(st.first),
];

/** A row of `stats` over milliseconds, shown in seconds with three decimals. */
export const secondsRow = (label, st) => statsRow(label, st, (ms) => fmt(seconds(ms)));

/** A row of `stats` over megabytes, shown as whole megabytes. */
export const mbRow = (label, st) => statsRow(label, st, (mb) => mb.toFixed(0));

/** A row of counts: the median rounded, min, max and first as they are. */
export const countRow = (label, xs) => [
  label,
  String(Math.round(median(xs))),
  String(Math.min(...xs)),
  String(Math.max(...xs)),
  String(xs[0]),
];

/** PASS or MISS, for the targets table. */
export const verdict = (ok) => (ok ? 'PASS' : 'MISS');

/**
 * A plain-text table: a header line, a line of dashes, one line per row; the first column padded to
 * the right, the others to the left, two spaces between columns.
 */
export const table = (headers, rows) => {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) =>
    cells
      .map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i])))
      .join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
};

/** The 1, 5 and 15 minute load averages, two decimals each. */
export const loadText = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** The header line naming the CPU count and the load average at the start. */
export const machineLine = () =>
  `  machine      ${availableParallelism()} CPU(s), load average ${loadText()} at start`;

/** The footer line with the load average at the end. */
export const loadFooterLine = () =>
  `Load average at the end: ${loadText()} (a busy machine inflates every figure; compare the ratios).`;
