// Writes to stdout with backpressure: a slow reader of `sluice run`'s output slows the requests
// (through the bulk runner's buffer) rather than piling results up in memory.

import type { Writable } from 'node:stream';

/** Resolves once `text` is accepted; rejects if the stream fails or closes first (EPIPE). */
export function writeWithBackpressure(stream: Writable, text: string | Uint8Array): Promise<void> {
  if (stream.destroyed || stream.writableEnded) return Promise.reject(outputClosed());
  if (stream.write(text)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (error?: unknown) => {
      stream.off('drain', onDrain);
      stream.off('error', onError);
      stream.off('close', onClose);
      if (error === undefined) resolve();
      else reject(error);
    };
    const onDrain = () => done();
    const onError = (error: unknown) => done(error);
    const onClose = () => done(outputClosed());
    stream.on('drain', onDrain);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}

function outputClosed(): NodeJS.ErrnoException {
  return Object.assign(new Error('output closed'), { code: 'EPIPE' });
}
