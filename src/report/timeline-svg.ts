// Draws timelines as one self-contained SVG: panels side by side on shared scales (attempts sent
// as a grey area, 2xx / 429 / 503 / other as step lines per bin), with each panel's totals below.

import { timelineSeries, type TimelineCounts, type TimelineData, type TimelineSeries } from './timeline.js';

export interface TimelinePanel {
  title: string;
  timeline: TimelineData;
  /** Lines of text under the panel's own totals (wall time, failures, …). */
  notes?: readonly string[];
  /** ms the run lasted, when longer than its last bin (the x axis covers it). */
  durationMs?: number;
}

export interface TimelineSvgOptions {
  /** Heading above the panels. */
  title?: string;
  /** Width of one panel in px. @default 520 */
  panelWidth?: number;
  /** Height of one panel's plot in px. @default 220 */
  plotHeight?: number;
}

const style: Record<TimelineSeries, { color: string; label: string }> = {
  sent: { color: '#8a96a3', label: 'sent' },
  '2xx': { color: '#2e7d32', label: '2xx' },
  '429': { color: '#d32f2f', label: '429' },
  '503': { color: '#ef6c00', label: '503' },
  other: { color: '#6a1b9a', label: 'other / error' },
};

const margin = { left: 54, right: 14, top: 62, bottom: 40 };
const NOTE_LINE = 16;
const GAP = 24;
/** Least distance in px between two count labels over cut bins. */
const LABEL_GAP = 32;
const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', Arial, sans-serif";

/** Renders `panels` side by side, sharing the time and count axes so they compare at a glance. */
export function renderTimelineSvg(panels: readonly TimelinePanel[], options: TimelineSvgOptions = {}): string {
  if (panels.length === 0) throw new RangeError('Expected at least one timeline panel, got none');
  const panelWidth = options.panelWidth ?? 520;
  const plotHeight = options.plotHeight ?? 220;
  const binMs = Math.max(...panels.map((p) => p.timeline.binMs));
  const rebinned = panels.map((panel) => rebin(panel.timeline, binMs));
  const spanMs = Math.max(binMs, ...panels.map((p, i) => Math.max(p.durationMs ?? 0, rebinned[i]!.length * binMs)));
  const drawn = timelineSeries.filter((series) => rebinned.some((bins) => bins.some((bin) => bin[series] > 0)));
  const yTicks = niceTicks(countAxisMax(rebinned, drawn), 5);
  const yMax = yTicks.at(-1)!;
  const xTicks = niceTicks(spanMs / 1000, 6);
  const xMax = Math.max(spanMs / 1000, xTicks.at(-1)!);
  const noteLines = Math.max(...panels.map((p) => 1 + (p.notes?.length ?? 0)));
  const headingHeight = options.title === undefined ? 0 : 30;
  const panelHeight = margin.top + plotHeight + margin.bottom + noteLines * NOTE_LINE + 8;
  const width = panels.length * panelWidth + (panels.length - 1) * GAP + 16;
  const height = headingHeight + panelHeight + 8;
  const plotWidth = panelWidth - margin.left - margin.right;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" font-size="12" role="img">`,
    `<title>${escapeXml(options.title ?? panels.map((p) => p.title).join(' vs '))}</title>`,
    `<desc>${escapeXml(panels.map((p, i) => `${p.title}: ${totalsLine(totalsOf(rebinned[i]!), drawn)}`).join('; '))}</desc>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  );
  if (options.title !== undefined) out.push(`<text x="8" y="22" font-size="16" font-weight="600" fill="#1f2328">${escapeXml(options.title)}</text>`);
  panels.forEach((panel, i) => {
    const x0 = 8 + i * (panelWidth + GAP);
    const y0 = headingHeight;
    const bins = rebinned[i]!;
    const px = (seconds: number) => round(x0 + margin.left + (seconds / xMax) * plotWidth);
    // Bins above the axis are drawn to its top and labelled with their count (see countAxisMax).
    const py = (count: number) => round(y0 + margin.top + plotHeight - (Math.min(count, yMax) / yMax) * plotHeight);
    const base = py(0);
    out.push(`<g class="panel" data-title="${escapeXml(panel.title)}">`);
    out.push(`<text x="${x0 + margin.left}" y="${y0 + 20}" font-size="14" font-weight="600" fill="#1f2328">${escapeXml(panel.title)}</text>`);
    out.push(legend(drawn, x0 + margin.left, y0 + 40));
    // Grid and axes.
    for (const tick of yTicks) {
      out.push(`<line x1="${px(0)}" x2="${px(xMax)}" y1="${py(tick)}" y2="${py(tick)}" stroke="#e6e9ed"/>`);
      out.push(`<text x="${px(0) - 6}" y="${py(tick) + 4}" text-anchor="end" fill="#57606a">${tick}</text>`);
    }
    for (const tick of xTicks.filter((t) => t <= xMax)) {
      out.push(`<line x1="${px(tick)}" x2="${px(tick)}" y1="${base}" y2="${base + 4}" stroke="#57606a"/>`);
      out.push(`<text x="${px(tick)}" y="${base + 17}" text-anchor="middle" fill="#57606a">${formatTick(tick)}</text>`);
    }
    out.push(`<line x1="${px(0)}" x2="${px(xMax)}" y1="${base}" y2="${base}" stroke="#57606a"/>`);
    out.push(`<line x1="${px(0)}" x2="${px(0)}" y1="${py(yMax)}" y2="${base}" stroke="#57606a"/>`);
    out.push(`<text x="${px(xMax)}" y="${base + 32}" text-anchor="end" fill="#57606a">seconds</text>`);
    out.push(
      `<text transform="translate(${x0 + 14} ${py(yMax / 2)}) rotate(-90)" text-anchor="middle" fill="#57606a">per ${binMs} ms</text>`,
    );
    // Series: sent as an area behind, the outcomes as step lines over it.
    for (const series of drawn) {
      const steps = stepPath(bins, series, binMs, px, py);
      if (series === 'sent') out.push(`<path d="M${px(0)} ${base}${steps}V${base}Z" fill="${style.sent.color}" fill-opacity="0.3" stroke="${style.sent.color}" stroke-width="1"/>`);
      else out.push(`<path d="M${px(0)} ${base}${steps}" fill="none" stroke="${style[series].color}" stroke-width="1.6" stroke-linejoin="round"/>`);
    }
    out.push(...clippedLabels(bins, drawn, yMax, binMs, px, py));
    // The numbers of the run, under the plot.
    const lines = [totalsLine(totalsOf(bins), drawn), ...(panel.notes ?? [])];
    lines.forEach((line, n) => {
      out.push(`<text x="${x0 + margin.left}" y="${base + margin.bottom + 4 + n * NOTE_LINE}" fill="#1f2328" class="note">${escapeXml(line)}</text>`);
    });
    out.push('</g>');
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/**
 * Where the count axis ends: the largest count, unless a few bins tower over the rest (a naive
 * client's opening burst is 40 × its steady rate) — then the axis fits the rest and those bins
 * are cut at its top with their counts written over them, so the steady parts stay readable.
 */
export function countAxisMax(panels: readonly (readonly TimelineCounts[])[], drawn: readonly TimelineSeries[]): number {
  const counts = panels.flatMap((bins) => bins.flatMap((bin) => drawn.map((series) => bin[series]))).filter((c) => c > 0).sort((a, b) => a - b);
  if (counts.length === 0) return 1;
  const peak = counts.at(-1)!;
  const typical = counts[Math.floor(0.98 * (counts.length - 1))]!;
  return peak > 2 * typical ? Math.max(1, Math.ceil(1.25 * typical)) : peak;
}

/** Count labels over bins cut at the axis's top: the highest few per panel, not overlapping. */
function clippedLabels(
  bins: readonly TimelineCounts[],
  drawn: readonly TimelineSeries[],
  yMax: number,
  binMs: number,
  px: (seconds: number) => number,
  py: (count: number) => number,
): string[] {
  const clipped: { i: number; count: number }[] = [];
  const candidates = bins
    .map((bin, i) => ({ i, count: Math.max(...drawn.map((series) => bin[series])) }))
    .filter(({ count }) => count > yMax)
    .sort((a, b) => b.count - a.count);
  // Kept clear of the count axis's own labels on the left.
  const x = (i: number) => Math.max(px(((i + 0.5) * binMs) / 1000), px(0) + 16);
  for (const candidate of candidates) {
    if (clipped.length === 3) break;
    if (clipped.every((other) => Math.abs(x(other.i) - x(candidate.i)) >= LABEL_GAP)) clipped.push(candidate);
  }
  return clipped.map(
    ({ i, count }) => `<text x="${px(((i + 0.5) * binMs) / 1000)}" y="${py(yMax) - 4}" text-anchor="middle" font-size="10" fill="#57606a">▲${count}</text>`,
  );
}

/** Sums bins into bins `binMs` wide (a multiple of the timeline's own width). */
export function rebin(timeline: TimelineData, binMs: number): TimelineCounts[] {
  const factor = Math.max(1, Math.round(binMs / timeline.binMs));
  const out: TimelineCounts[] = [];
  timeline.bins.forEach((bin, i) => {
    const target = (out[Math.floor(i / factor)] ??= { sent: 0, '2xx': 0, '429': 0, '503': 0, other: 0 });
    for (const series of timelineSeries) target[series] += bin[series];
  });
  return out;
}

function totalsOf(bins: readonly TimelineCounts[]): TimelineCounts {
  const totals: TimelineCounts = { sent: 0, '2xx': 0, '429': 0, '503': 0, other: 0 };
  for (const bin of bins) for (const series of timelineSeries) totals[series] += bin[series];
  return totals;
}

function totalsLine(totals: TimelineCounts, drawn: readonly TimelineSeries[]): string {
  const shown = drawn.length > 0 ? drawn : (['sent'] as const);
  return shown.map((series) => `${style[series].label} ${totals[series]}`).join(' · ');
}

function legend(drawn: readonly TimelineSeries[], x: number, y: number): string {
  let offset = 0;
  const items = drawn.map((series) => {
    const { color, label } = style[series];
    const swatch =
      series === 'sent'
        ? `<rect x="${x + offset}" y="${y - 9}" width="14" height="10" fill="${color}" fill-opacity="0.3" stroke="${color}"/>`
        : `<line x1="${x + offset}" x2="${x + offset + 14}" y1="${y - 4}" y2="${y - 4}" stroke="${color}" stroke-width="2.4"/>`;
    const item = `${swatch}<text x="${x + offset + 19}" y="${y}" fill="#1f2328">${escapeXml(label)}</text>`;
    offset += 30 + label.length * 7;
    return item;
  });
  return `<g class="legend">${items.join('')}</g>`;
}

function stepPath(
  bins: readonly TimelineCounts[],
  series: TimelineSeries,
  binMs: number,
  px: (seconds: number) => number,
  py: (count: number) => number,
): string {
  let d = '';
  bins.forEach((bin, i) => {
    d += `V${py(bin[series])}H${px(((i + 1) * binMs) / 1000)}`;
  });
  return d;
}

/** 0 and round steps (1, 2 or 5 × 10ⁿ) up to at least `max`, about `count` of them. */
export function niceTicks(max: number, count: number): number[] {
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const ticks: number[] = [];
  for (let tick = 0; tick < max + step; tick += step) {
    ticks.push(Number(tick.toPrecision(12)));
    if (tick >= max) break;
  }
  return ticks;
}

function formatTick(seconds: number): string {
  return Number.isInteger(seconds) ? String(seconds) : seconds.toFixed(1);
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}
