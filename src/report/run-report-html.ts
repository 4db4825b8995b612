// A run's report as one self-contained HTML page (inline CSS and SVG, no scripts or fetches):
// per origin, the timeline of attempts, latency percentiles and the count of each final outcome.

import { escapeXml, renderTimelineSvg } from './timeline-svg.js';
import type { RunReport } from './run-recorder.js';
import { ms } from './run-summary.js';

export interface RunReportHtmlOptions {
  /** The page's heading, e.g. the command that ran. @default 'sluice run' */
  title?: string;
}

/** Renders `report` as a complete HTML document. */
export function renderRunReportHtml(report: RunReport, options: RunReportHtmlOptions = {}): string {
  const title = options.title ?? 'sluice run';
  const started = new Date(report.startedAt).toISOString();
  const sections = report.origins.map((origin) => {
    const svg = renderTimelineSvg([{ title: 'Attempts over time', timeline: origin.timeline, durationMs: report.durationMs }], { panelWidth: 760 });
    const outcomes = Object.entries(origin.outcomes)
      .map(([outcome, count]) => `<tr><td>${escapeXml(outcome)}</td><td class="n">${count}</td></tr>`)
      .join('');
    const { latency } = origin;
    return `<section>
<h2>${escapeXml(origin.origin)}</h2>
<figure>${svg}</figure>
<div class="tables">
<table><caption>Latency (${latency.count} requests)</caption>
<tr><th>p50</th><td class="n">${ms(latency.p50)}</td></tr>
<tr><th>p90</th><td class="n">${ms(latency.p90)}</td></tr>
<tr><th>p99</th><td class="n">${ms(latency.p99)}</td></tr>
<tr><th>max</th><td class="n">${ms(latency.max)}</td></tr>
<tr><th>mean</th><td class="n">${ms(latency.mean)}</td></tr>
</table>
<table><caption>Results</caption><tr><th>status or error</th><th>requests</th></tr>${outcomes || '<tr><td colspan="2">none</td></tr>'}</table>
<table><caption>Attempts</caption>
${(['sent', '2xx', '429', '503', 'other'] as const).map((series) => `<tr><th>${series}</th><td class="n">${origin.attempts[series]}</td></tr>`).join('\n')}
</table>
</div>
</section>`;
  });
  // Polyglot markup (valid HTML and well-formed XML), so a test can check it with an XML parser.
  return `<!DOCTYPE html>
<html lang="en" xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>${escapeXml(title)}</title>
<style>
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', Arial, sans-serif; margin: 24px; color: #1f2328; background: #fff; }
h1 { font-size: 20px; margin: 0 0 4px; }
.meta { color: #57606a; margin: 0 0 16px; }
section { border-top: 1px solid #d0d7de; padding-top: 12px; margin-top: 16px; }
h2 { font-size: 16px; margin: 0 0 8px; word-break: break-all; }
figure { margin: 0; }
.tables { display: flex; gap: 32px; flex-wrap: wrap; align-items: flex-start; }
table { border-collapse: collapse; min-width: 180px; }
caption { text-align: left; font-weight: 600; padding-bottom: 4px; white-space: nowrap; }
th, td { text-align: left; padding: 2px 12px 2px 0; border-bottom: 1px solid #eaeef2; font-weight: normal; }
th { color: #57606a; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
</style>
</head>
<body>
<h1>${escapeXml(title)}</h1>
<p class="meta">${report.requests} requests to ${report.origins.length} origin${report.origins.length === 1 ? '' : 's'} in ${(report.durationMs / 1000).toFixed(1)} s, started ${started}</p>
${sections.join('\n')}
</body>
</html>
`;
}
