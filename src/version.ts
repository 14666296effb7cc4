// The package's version, kept equal to package.json's by `npm version` (scripts/sync-version.mjs)
// and checked by a test, so nothing reads package.json at run time.

export const VERSION = '0.1.0';
