import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { startLoopbackServer } from '../../mocks/loopback.js';
import { tokenBucket } from '../../mocks/token-bucket.js';
import { demoSvg, runDemo } from './overload-run.js';

/** Every piece of text in an SVG document, in document order. */
function texts(svg: string): string[] {
  const out: string[] = [];
  const walk = (node: unknown): void => {
    if (typeof node === 'string' || typeof node === 'number') out.push(String(node));
    else if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') for (const [key, value] of Object.entries(node)) if (!key.startsWith('@_')) walk(value);
  };
  walk(new XMLParser({ ignoreAttributes: false, preserveOrder: true }).parse(svg));
  return out;
}

describe('npm run demo', () => {
  it('writes a well-formed SVG carrying the numbers of both runs', async () => {
    const results = await runDemo({
      n: 40,
      naiveBackoffMs: 20,
      startServer: async () => {
        const bucket = tokenBucket({ rate: 400, burst: 5, dialect: 'retry-after-only', retryAfter: 'ms' });
        const server = await startLoopbackServer(bucket.handlers);
        return {
          origin: server.origin,
          async stop() {
            await server.close();
            return { received: bucket.counters.received, rejected: bucket.counters.rejected };
          },
        };
      },
    });
    const svg = demoSvg(results, '40 requests at once');
    expect(XMLValidator.validate(svg)).toBe(true);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="\d+" height="\d+" viewBox="0 0 \d+ \d+"/);
    const lines = texts(svg);
    for (const result of results) {
      const { attempts } = result.report.origins[0]!;
      // What the timeline counted is what the server saw, and what the callers got.
      expect(attempts.sent).toBe(result.received);
      expect(attempts['429']).toBe(result.rejected);
      expect(attempts['2xx']).toBe(result.ok);
      expect(lines).toContain(result.name);
      const totals = attempts['429'] > 0 ? `sent ${attempts.sent} · 2xx ${attempts['2xx']} · 429 ${attempts['429']}` : `sent ${attempts.sent} · 2xx ${attempts['2xx']}`;
      // The legend and the totals line show every series either panel drew.
      expect(lines.some((line) => line.startsWith(totals))).toBe(true);
      expect(lines).toContain(`server: ${result.received} received, ${result.rejected} × 429`);
      expect(lines).toContain(`${result.seconds.toFixed(1)} s · ${result.ok} ok · ${result.failed} failed`);
    }
  });
});
