// k streams of records, each in index order -> one stream in index order: a k-way merge that holds
// one array of records per stream (a chunk's worth), so memory does not grow with the records.
// Indexes missing from 0 to the highest seen, and indexes seen twice, are reported as found.

import { UsageError } from '../errors.js';
import type { Result } from '../result.js';
import type { Numbered } from './jsonl-file.js';

/** The records of one file, in index order, one at a time, and the name messages give it. */
export interface RecordSource {
  name: string;
  /** The next record, or null after the last; a promise only when it must be read first. */
  next(): Numbered | null | Promise<Numbered | null>;
}

/** Where a record was read. */
export interface Where {
  name: string;
  line: number;
}

/** Indexes `from` to `to` (inclusive) are in no stream; or an index came again, and was dropped. */
export type Problem =
  { kind: 'missing'; from: number; to: number } | { kind: 'duplicate'; index: number; kept: Where; dropped: Where };

/** Records are passed on in arrays of about this many. */
const BATCH = 256;

/** A stream and the record it is at: the one record it holds. */
interface Cursor {
  /** The stream's place on the command line: of two records with one index, the first named is kept. */
  order: number;
  source: RecordSource;
  current: Numbered;
}

/**
 * Merges streams that are each in index order into one, in index order. Of records with the same
 * index the first (by stream order, then line) is kept and each other is reported as a
 * duplicate; the indexes between 0 and the highest seen that no stream has are reported as
 * missing, a run of them at once. A stream whose index goes down is a `UsageError` naming its line.
 */
export async function* mergeByIndex(
  sources: readonly RecordSource[],
  report: (problem: Problem) => void,
): AsyncGenerator<Result[]> {
  const heap: Cursor[] = [];
  for (const [order, source] of sources.entries()) {
    const first = await source.next();
    if (first !== null) push(heap, { order, source, current: first });
  }
  let next = 0;
  let kept: { index: number; where: Where } | null = null;
  let out: Result[] = [];
  while (heap.length > 0) {
    const cursor = heap[0] as Cursor;
    const { record, line } = cursor.current;
    const where = { name: cursor.source.name, line };
    if (kept !== null && record.index === kept.index) {
      report({ kind: 'duplicate', index: record.index, kept: kept.where, dropped: where });
    } else {
      if (record.index > next) report({ kind: 'missing', from: next, to: record.index - 1 });
      out.push(record);
      next = record.index + 1;
      kept = { index: record.index, where };
      if (out.length >= BATCH) {
        yield out;
        out = [];
      }
    }
    let following = cursor.source.next();
    if (following instanceof Promise) following = await following;
    if (following === null) {
      const last = heap.pop() as Cursor;
      if (heap.length === 0) break;
      heap[0] = last;
    } else {
      if (following.record.index < record.index) {
        throw new UsageError(
          `${where.name}:${following.line}: index ${following.record.index} comes after index ${record.index} (line ${line}): the file is not in index order`,
        );
      }
      cursor.current = following;
    }
    siftDown(heap, 0);
  }
  if (out.length > 0) yield out;
}

function before(a: Cursor, b: Cursor): boolean {
  const ia = a.current.record.index;
  const ib = b.current.record.index;
  return ia < ib || (ia === ib && a.order < b.order);
}
function push(heap: Cursor[], cursor: Cursor): void {
  heap.push(cursor);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(heap[i] as Cursor, heap[parent] as Cursor)) break;
    [heap[i], heap[parent]] = [heap[parent] as Cursor, heap[i] as Cursor];
    i = parent;
  }
}

function siftDown(heap: Cursor[], start: number): void {
  let i = start;
  for (;;) {
    const left = 2 * i + 1;
    const right = left + 1;
    let least = i;
    if (left < heap.length && before(heap[left] as Cursor, heap[least] as Cursor)) least = left;
    if (right < heap.length && before(heap[right] as Cursor, heap[least] as Cursor)) least = right;
    if (least === i) return;
    [heap[i], heap[least]] = [heap[least] as Cursor, heap[i] as Cursor];
    i = least;
  }
}
