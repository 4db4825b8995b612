// Tests for the mocks barrel: every factory and helper is reachable from one import.

import { expect, test } from 'vitest';
import * as mocks from '../../mocks/index.js';

test('exports every mock factory and the two ways to serve them by name', () => {
  expect(Object.keys(mocks).sort()).toEqual(
    [
      'RATE_LIMIT_HEADER_DIALECTS',
      'RETRY_AFTER_STYLES',
      'brownout',
      'concurrencyLimited',
      'flaky',
      'formatGoDuration',
      'formatRfc3339',
      'ietfPolicy',
      'interceptNetwork',
      'loadShedding',
      'rateLimitHeaders',
      'retryAfterHeaders',
      'sequence',
      'slow',
      'startLoopbackServer',
      'tokenBucket',
    ].sort(),
  );
});
