// How `client.map` sends an item: as a plain undici dispatch through the client's engine when
// fetch adds nothing (the common case, and the fast one), else through `client.fetch`.

import type { Dispatcher } from 'undici';
import type { ItemSender, RunControl } from './bulk-run.js';
import { Collector, CollectSink, type ResponseHead, type SinkFactory } from './body-sink.js';
import { decodeBody } from './body-mode.js';
import { dispatchItem, type DispatchContext } from './dispatch-item.js';
import { fetchLikeSpec } from './fetch-like-spec.js';
import type { MapClient } from './map-requests.js';
import type { NormalizedMapOptions } from './map-options.js';
import type { MapResult } from './map-result.js';
import { mapResultOf } from './response-of.js';
import { sendItem } from './send-item.js';

export interface MapSenderParts {
  client: MapClient;
  options: NormalizedMapOptions;
  /** The client's dispatcher, for counting attempts on the fetch path. */
  dispatcher: Dispatcher | undefined;
  /** The client's engine over its dispatcher; absent (`mapRequests` on any client): fetch only. */
  bulkDispatcher: Dispatcher | undefined;
}

export function mapSender<T>(control: RunControl, parts: MapSenderParts): ItemSender<T, MapResult<T, unknown>> {
  const { client, options, dispatcher, bulkDispatcher } = parts;
  const { body: mode, maxBodyBytes } = options;
  const fetchContext = { client, options, dispatcher, stopped: control.stopped, onClientClosed: control.onClientClosed };
  // Only a body read whole can skip fetch: `false` and readers hand the consumer a streaming Response.
  const direct: DispatchContext<T, unknown> | undefined =
    bulkDispatcher && (mode === 'text' || mode === 'json' || mode === 'bytes')
      ? {
          dispatcher: bulkDispatcher,
          sink: collectAs(mode, maxBodyBytes),
          stopped: control.stopped,
          onClientClosed: control.onClientClosed,
        }
      : undefined;

  return {
    send(item, index, prepared) {
      const spec = direct && fetchLikeSpec(prepared);
      if (spec) return dispatchItem(direct!, item, index, spec, control.stop).then(mapResultOf);
      return sendItem(fetchContext, item, index, prepared, control.stop);
    },
    failed(item, index, error, cancelled) {
      return { input: item, index, ok: false, error, ms: 0, ...(cancelled ? { cancelled: true as const } : {}) };
    },
  };
}

/** A sink collecting the body and decoding it as `mode` says when it ends. */
function collectAs<T>(mode: 'text' | 'json' | 'bytes', maxBytes: number): SinkFactory<T, unknown> {
  if (mode === 'bytes') return (head) => new CollectSink(head, maxBytes);
  return (head) => new DecodedSink(head, maxBytes, mode);
}

/** The body as `response.text()` or `response.json()` gives it. */
class DecodedSink extends Collector<unknown> {
  constructor(
    head: ResponseHead,
    maxBytes: number,
    readonly mode: 'text' | 'json',
  ) {
    super(head, maxBytes);
  }

  end(): unknown {
    return decodeBody(this.bytes(), this.mode);
  }
}
