// How much of a discarded response body (a retried 429/503) any adapter reads to keep its
// connection for reuse; past either bound the connection is destroyed instead.

/** 64 KiB or 1 s: enough for any error page, far short of a hostile endless body. */
export const discardLimits = { maxBytes: 64 * 1024, maxMs: 1000 } as const;
