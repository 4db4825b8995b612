// Number and duration formatting shared by the progress line and the summary: short, aligned
// figures a person reads at a glance (`1,204`, `87.3/s`, `1m06s`).

export function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function perSecond(rate: number): string {
  if (!Number.isFinite(rate)) return '-/s';
  return rate >= 100 ? `${Math.round(rate)}/s` : `${rate.toFixed(1)}/s`;
}

export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  const seconds = Math.max(0, ms) / 1000;
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  if (seconds < 60) return `${Math.round(seconds)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(Math.floor(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}
