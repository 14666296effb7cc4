// A result record for report tests: an ok 200 for https://x/, with the fields a test cares about.

import type { Result } from '../../src/result.js';

export function result(fields: Partial<Result> = {}): Result {
  return {
    index: 0,
    source: 'args',
    line: 1,
    url: 'https://x/',
    status: 200,
    ok: true,
    error: null,
    ms: 30,
    attempts: 1,
    redirects: 0,
    finalUrl: 'https://x/',
    bytes: 0,
    http: '1.1',
    expected: null,
    failed: [],
    cert: null,
    ...fields,
  };
}
