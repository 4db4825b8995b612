// The CLI's first check. undici 8 needs Node 22.19 or later and fails while loading on older
// versions with a stack trace from inside undici; a user running `npx sluice` on an older Node
// should read what to do instead.

/** The lowest Node version sluice supports; the same as `engines.node` in package.json. */
export const minimumNodeVersion = '22.19.0';

/** A message for the user when `version` (as in `process.versions.node`) is too old, else undefined. */
export function unsupportedNodeMessage(version: string, minimum = minimumNodeVersion): string | undefined {
  const have = version.split('.').map(Number);
  const need = minimum.split('.').map(Number);
  for (let i = 0; i < need.length; i++) {
    const a = have[i] ?? 0;
    const b = need[i]!;
    if (a > b) return undefined;
    if (a < b) {
      return `sluice needs Node.js ${minimum} or later; this is Node.js ${version}. Install a current Node.js (or run it with \`npx -p node@22 sluice …\`).\n`;
    }
  }
  return undefined;
}
