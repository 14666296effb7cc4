// undici's Agent, loaded on its own: the package's index also loads fetch, WebSocket, caches
// and mocks, which parfetch never uses (measured: 23 ms instead of 70 ms to load).

import { createRequire } from 'node:module';
import type { Agent as UndiciAgent } from 'undici';

const require = createRequire(import.meta.url);

export type Agent = UndiciAgent;

export function loadAgent(): typeof UndiciAgent {
  try {
    return require('undici/lib/dispatcher/agent.js') as typeof UndiciAgent;
  } catch {
    // A future undici may move the file: fall back to the full package.
    return (require('undici') as typeof import('undici')).Agent;
  }
}
