// `merge --accept`: a record judged again against another accept list, as a run with that list
// would have judged it.

import { parseAcceptList } from '../parsers.js';
import { isAccepted, type AcceptList, type Result } from '../result.js';

/**
 * The record as a run with `accept` would have written it. A record whose line named its own
 * status list (`expected` holds one) was held to that list, not to `--accept`: it keeps its `ok`.
 * Any other is ok when it has no error, no failed check, and its status is in `accept`.
 */
export function rejudge(record: Result, accept: AcceptList): Result {
  if (ownStatusList(record.expected)) return record;
  const ok =
    record.error === null && record.failed.length === 0 && record.status !== null && isAccepted(record.status, accept);
  return ok === record.ok ? record : { ...record, ok };
}

/** Whether a line's expectation (`301`, `200,204 json:$.ok==true`) names a status list. */
function ownStatusList(expected: string | null): boolean {
  if (expected === null) return false;
  return expected.split(/\s+/).some((token) => {
    if (!/^\d/.test(token)) return false;
    try {
      parseAcceptList(token);
      return true;
    } catch {
      return false;
    }
  });
}
