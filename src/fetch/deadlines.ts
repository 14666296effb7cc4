// One timer for all attempts in flight. Every attempt has the same time limit, so deadlines
// arrive in start order: a linked list in that order, checked from its head, replaces a
// timer and an AbortController per request.

import { performance } from 'node:perf_hooks';
import type { ErrorCode } from '../result.js';
import { setLongTimeout, type LongTimer } from './timer.js';

export interface Expirable {
  readonly deadline: number;
  prev: Expirable | null;
  next: Expirable | null;
  expire(code: ErrorCode): void;
}

export class Deadlines {
  private head: Expirable | null = null;
  private tail: Expirable | null = null;
  private timer: LongTimer | null = null;
  /** Deadlines are checked at most this often; an attempt may run this much past its limit. */
  private readonly slack: number;

  constructor(limit: number) {
    this.slack = Math.min(25, Math.max(1, limit / 20));
  }

  add(node: Expirable): void {
    node.prev = this.tail;
    node.next = null;
    if (this.tail) this.tail.next = node;
    else this.head = node;
    this.tail = node;
    if (!this.timer) this.arm(node.deadline - performance.now());
  }

  remove(node: Expirable): void {
    if (node.prev) node.prev.next = node.next;
    else if (this.head === node) this.head = node.next;
    if (node.next) node.next.prev = node.prev;
    else if (this.tail === node) this.tail = node.prev;
    node.prev = node.next = null;
  }

  /** Ends every attempt in the list. */
  expireAll(code: ErrorCode): void {
    while (this.head) this.head.expire(code);
  }

  clear(): void {
    this.timer?.clear();
    this.timer = null;
  }

  private arm(delay: number): void {
    this.timer = setLongTimeout(this.check, Math.max(delay, this.slack), false);
  }

  private readonly check = (): void => {
    this.timer = null;
    const now = performance.now();
    while (this.head && this.head.deadline <= now + 1) this.head.expire('ETIMEDOUT');
    if (this.head) this.arm(this.head.deadline - now);
  };
}
