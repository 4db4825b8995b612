// Loading sluice on a Node older than it supports fails here, first, with a message naming the
// Node it needs — not later inside undici with `Cannot read properties of undefined`.

/** The lowest Node version sluice supports (undici 8's floor); the same as `engines.node` in package.json. */
export const minimumNodeVersion = '22.19.0';

/** Whether `version` (as in `process.versions.node`) is at least `minimum`. */
export function isSupportedNode(version: string, minimum = minimumNodeVersion): boolean {
  const have = version.split('.').map(Number);
  const need = minimum.split('.').map(Number);
  for (let i = 0; i < need.length; i++) {
    const a = have[i] ?? 0;
    const b = need[i]!;
    if (a !== b) return a > b;
  }
  return true;
}

/** The error an unsupported Node gets when it loads sluice. */
export function unsupportedNodeError(version: string): Error {
  const error = new Error(
    `sluice needs Node.js ${minimumNodeVersion} or later (its HTTP client, undici 8, does not load on older versions); this is Node.js ${version}. Upgrade Node.js, or keep using an older HTTP client on this one.`,
  );
  return Object.assign(error, { code: 'SLUICE_UNSUPPORTED_NODE' });
}

/** Throws `unsupportedNodeError` on a Node sluice does not support. */
export function assertSupportedNode(): void {
  if (typeof process !== 'undefined' && !isSupportedNode(process.versions.node)) throw unsupportedNodeError(process.versions.node);
}

// Runs when the module is loaded. The package's entries import this module before anything
// that loads undici, and the build keeps it in a file of its own, evaluated first (see tsup.config.ts).
assertSupportedNode();
