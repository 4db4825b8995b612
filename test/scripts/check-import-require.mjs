// Loads the built package both ways (import and require, main entry, `sluice/undici`, `sluice/redis`) through
// its own exports map, and checks that the two entries share one engine (one class identity).

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const loaded = {
  'import sluice': await import('sluice'),
  'import sluice/undici': await import('sluice/undici'),
  'require sluice': require('sluice'),
  'require sluice/undici': require('sluice/undici'),
  'import sluice/redis': await import('sluice/redis'),
  'require sluice/redis': require('sluice/redis'),
};
for (const name of ['import sluice', 'require sluice']) {
  const api = loaded[name];
  for (const member of ['fetch', 'createClient', 'parseRetryAfter', 'isRateLimitedError']) {
    assert.equal(typeof api[member], 'function', `${name}: ${member} is missing`);
  }
  assert.ok(api.isSluiceError(new api.QueueFullError(1)), `${name}: guards do not recognise its own errors`);
}
for (const name of ['import sluice/undici', 'require sluice/undici']) {
  for (const member of ['sluice', 'install', 'uninstall']) {
    assert.equal(typeof loaded[name][member], 'function', `${name}: ${member} is missing`);
  }
}
for (const name of ['import sluice/redis', 'require sluice/redis']) {
  assert.equal(typeof loaded[name].redisStore, 'function', `${name}: redisStore is missing`);
}
// Errors from one format are recognised by the other's guards (cross-realm brand).
assert.ok(loaded['require sluice'].isQueueFullError(new loaded['import sluice'].QueueFullError(1)));
console.log(`import and require both load: ${Object.keys(loaded).join(', ')}`);
