// The live view of a run: one row per origin — in flight, window, rate, queued, paused for,
// 429s — as text lines for a terminal to redraw a few times a second.

import type { GateStats } from '../gate/gate.js';

/** Longest origin shown whole; longer keys are cut so the numbers stay on screen. */
const MAX_KEY = 48;

const headers = ['origin', 'in flight', 'window', 'rate', 'queued', 'paused', '429s'] as const;

/**
 * The rows for `stats` (e.g. `client.stats()`) at `now`, columns aligned, cut to `width` columns;
 * the busiest origins first, at most `maxRows` of them (a last line counts the rest).
 */
export function formatLiveTable(stats: readonly GateStats[], now: number, width = 120, maxRows = 10): string[] {
  const sorted = [...stats].sort((a, b) => b.inFlight + b.queued - (a.inFlight + a.queued) || a.key.localeCompare(b.key));
  const shown = sorted.slice(0, maxRows);
  const rows = shown.map((s) => [
    s.key.length > MAX_KEY ? `${s.key.slice(0, MAX_KEY - 1)}…` : s.key,
    String(s.inFlight),
    String(s.limit),
    Number.isFinite(s.rate) ? `${s.rate < 10 ? s.rate.toFixed(1) : Math.round(s.rate)}/s` : '–',
    String(s.queued),
    s.pausedUntil === undefined || s.pausedUntil <= now ? '–' : `${((s.pausedUntil - now) / 1000).toFixed(1)} s`,
    String(s.responses[429]),
  ]);
  const table = [headers.map(String), ...rows];
  const widths = headers.map((_, column) => Math.max(...table.map((row) => row[column]!.length)));
  const lines = table.map((row) =>
    row
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ')
      .slice(0, width),
  );
  if (sorted.length > shown.length) lines.push(`… and ${sorted.length - shown.length} more origins`.slice(0, width));
  return lines;
}
