// The one thing every header parser needs from a response: case-insensitive lookup. Both the
// fetch `Headers` class and the interceptor's raw-header adapter satisfy it.

/** Case-insensitive header lookup; `null` when absent. Repeated headers are joined by ", ". */
export interface HeaderReader {
  get(name: string): string | null;
}
