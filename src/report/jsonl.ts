// jsonl: one JSON object per record, fields in the documented order.

import type { Reporter } from './reporter.js';

export function jsonlReporter(): Reporter {
  return { record: (result) => `${JSON.stringify(result)}\n` };
}
