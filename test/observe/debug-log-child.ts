// Child of debug-log.test.ts: one request through a fresh client, so NODE_DEBUG is read as a
// process that sets it at start reads it.
import { createClient } from '../../src/index.js';

const client = createClient({ rate: false });
const response = await client.fetch(`${process.argv[2]}/x`);
await response.body?.cancel();
await client.close();
