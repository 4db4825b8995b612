// Serves one of the mocks on a loopback port from a separate process, for driving the CLI by hand
// and from the tmux check: `node --import tsx test/helpers/serve-mock.ts token-bucket [rate] [burst]`.

import { sequence, startLoopbackServer, tokenBucket } from '../../mocks/index.js';

const [kind = 'ok', ...args] = process.argv.slice(2);
const handlers =
  kind === 'token-bucket'
    ? tokenBucket({ rate: Number(args[0] ?? 20), burst: Number(args[1] ?? 5), dialect: 'retry-after-only' }).handlers
    : sequence([{ status: 200, body: { ok: true } }]).handlers;
const server = await startLoopbackServer(handlers);
process.stdout.write(`${server.origin}\n`);
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
