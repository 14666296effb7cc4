// The registry of output formats: each is one file behind the Reporter interface, loaded on use.

import type { Reporter, ReporterContext } from './reporter.js';

export const FORMATS = ['text', 'jsonl', 'csv', 'junit', 'github', 'markdown'] as const;
export type Format = (typeof FORMATS)[number];

export async function createReporter(format: Format, context: ReporterContext): Promise<Reporter> {
  switch (format) {
    case 'text':
      return (await import('./text.js')).textReporter(context);
    case 'jsonl':
      return (await import('./jsonl.js')).jsonlReporter();
    case 'csv':
      return (await import('./csv.js')).csvReporter(context.fields);
    case 'junit':
      return (await import('./junit.js')).junitReporter(context);
    case 'github':
      return (await import('./github.js')).githubReporter(context);
    case 'markdown':
      return (await import('./markdown.js')).markdownReporter();
  }
}
