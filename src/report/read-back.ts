// An earlier output of a run (jsonl, csv or text) read back for --resume: each whole record with
// where it starts and ends in the file, the URL it shows, and what the summary needs of it. A
// torn last record (the writer killed mid-write) is not a record: the file is cut before it.

import { UsageError } from '../errors.js';
import { linesOf, type Line } from '../merge/lines.js';
import { parseRecord } from '../merge/records.js';
import { ASKED_FIELDS, RESULT_FIELDS, type ErrorCode, type ResultField } from '../result.js';
import { csvField } from './csv.js';
import { printable } from './escape.js';
import type { Outcome } from './summary.js';

/** The formats a run writes a record at a time, so a killed run leaves whole records behind. */
export const RESUMABLE = ['jsonl', 'csv', 'text'] as const;
export type Resumable = (typeof RESUMABLE)[number];

/** One whole record of an earlier output. */
export interface DoneRecord {
  /** The line it starts on, 1-based. */
  line: number;
  /** Byte offsets of its first byte and just past its line end. */
  start: number;
  end: number;
  /** Its index, for the formats that write it (jsonl, csv); null for text. */
  index: number | null;
  /** The URL as it reads in the record, for messages. */
  shown: string;
  /** What the record says of the entry, when it shows `url` (an entry's URL masked as records show it); else null. */
  match(url: string): Outcome | null;
}

/** What an earlier output holds: its records, in arrays, and for csv where its header ends. */
export interface ReadBack {
  /** Bytes of the csv header when the file has it whole (kept, not written again); 0 otherwise. */
  headerEnd: number;
  /** Fields every record now has that a kept csv header lacks (written by an older version). */
  lacking: readonly ResultField[];
  records: AsyncGenerator<DoneRecord[]>;
}

/** Reads the records of an earlier output, as `format` writes them; `name` is the file in messages. */
export async function readBack(
  stream: AsyncIterable<Buffer | string>,
  format: Resumable,
  name: string,
): Promise<ReadBack> {
  const wrong = (line: number, what: string): UsageError =>
    new UsageError(`cannot resume "${name}": line ${line} is not ${what} (was it written with another -f?)`);
  const lines = linesOf(stream);
  if (format === 'csv') return readCsv(lines, wrong);
  const parse = format === 'jsonl' ? jsonlRecord : textRecord;
  async function* records(): AsyncGenerator<DoneRecord[]> {
    for await (const batch of lines) {
      const done: DoneRecord[] = [];
      for (const line of batch) {
        // A line without its newline was cut short: it is fetched again.
        if (!line.terminated) break;
        if (format === 'jsonl' && line.text.trim() === '') continue;
        const record = parse(line);
        if (record === null) throw wrong(line.number, `a parfetch ${format} record`);
        done.push(record);
      }
      if (done.length > 0) yield done;
    }
  }
  return { headerEnd: 0, lacking: [], records: records() };
}

function jsonlRecord(line: Line): DoneRecord | null {
  const parsed = parseRecord(line.text);
  if (!('record' in parsed)) return null;
  const { record } = parsed;
  return {
    line: line.number,
    start: line.start,
    end: line.end,
    index: record.index,
    shown: record.url,
    match: (url) => (record.url === url ? record : null),
  };
}

// eslint-disable-next-line no-control-regex
const PAINT = /\u001b\[[0-9;]*m/g;
/** `<status|ERR> <url> <time>[ <why>]`; the URL is the shortest text followed by a time. */
const TEXT_LINE = /^(\d{3}|ERR) (.+?) (\d+ms|\d+\.\d\ds)(?: (.*))?$/;
const TEXT_TAIL = /^(\d+ms|\d+\.\d\ds)(?: (.*))?$/;

/** A text line: `200 https://a.example/ 35ms`, `ERR https://b.example/ 2ms ECONNREFUSED`. */
function textRecord(line: Line): DoneRecord | null {
  const text = line.text.replace(PAINT, '');
  const parts = TEXT_LINE.exec(text);
  if (!parts) return null;
  const status = parts[1] === 'ERR' ? null : Number(parts[1]);
  const rest = text.slice((parts[1] as string).length + 1);
  return {
    line: line.number,
    start: line.start,
    end: line.end,
    index: null,
    shown: parts[2] as string,
    match(url) {
      // Matched from the URL on, so a URL with spaces (the head of an over-long line) still reads.
      const shown = printable(url);
      const tail = rest.startsWith(`${shown} `) ? TEXT_TAIL.exec(rest.slice(shown.length + 1)) : null;
      if (!tail) return null;
      const time = tail[1] as string;
      const why = tail[2];
      const error =
        why !== undefined && /^E[A-Z_]+$/.test(why.split(' ')[0] ?? '') ? (why.split(' ')[0] as ErrorCode) : null;
      return {
        status,
        ok: why === undefined,
        error,
        // As printed: to the millisecond under a second, to 10 ms above.
        ms: time.endsWith('ms') ? Number(time.slice(0, -2)) : Number(time.slice(0, -1)) * 1000,
        attempts: error === 'EINVALIDURL' || error === 'EBADEXPECT' ? 0 : 1,
      };
    },
  };
}

/** Fields every record has now that older versions did not write: a csv header may lack them. */
const OLDER_LACK: ReadonlySet<ResultField> = new Set<ResultField>(['http']);

/**
 * The columns of a parfetch csv header: every field each run has (but those older versions did
 * not write), in their order, and perhaps some of those a run adds on request (`--save`,
 * `--hash`); null for anything else.
 */
function csvColumns(header: string): readonly ResultField[] | null {
  const names = header.split(',');
  const known = RESULT_FIELDS.filter((field) => names.includes(field));
  const complete = RESULT_FIELDS.every(
    (field) => ASKED_FIELDS.has(field) || OLDER_LACK.has(field) || known.includes(field),
  );
  return complete && known.length === names.length && known.every((field, i) => names[i] === field) ? known : null;
}

/** csv: the header, then rows; a quoted cell may hold line breaks, so a row may span lines. */
async function readCsv(
  lines: AsyncGenerator<Line[]>,
  wrong: (line: number, what: string) => UsageError,
): Promise<ReadBack> {
  const iterator = lines[Symbol.asyncIterator]();
  const first = await iterator.next();
  const header = first.done ? undefined : first.value[0];
  if (header === undefined || !header.terminated) {
    // Empty, or a header cut short: written again.
    return { headerEnd: 0, lacking: [], records: (async function* () {})() };
  }
  const found = csvColumns(header.text.replace(/\r$/, ''));
  if (found === null) throw wrong(1, "parfetch's csv header");
  const columns = found;
  const rest = (first.value as Line[]).slice(1);
  async function* records(): AsyncGenerator<DoneRecord[]> {
    let row: Line[] = [];
    let quotes = 0;
    const flush = (done: DoneRecord[]): void => {
      const record = csvRecord(row, columns);
      if (record === null) throw wrong((row[0] as Line).number, 'a parfetch csv row');
      done.push(record);
      row = [];
      quotes = 0;
    };
    const take = (batch: Line[]): DoneRecord[] => {
      const done: DoneRecord[] = [];
      for (const line of batch) {
        if (!line.terminated) break;
        row.push(line);
        quotes += line.text.split('"').length - 1;
        if (quotes % 2 === 0) flush(done);
      }
      return done;
    };
    const head = take(rest);
    if (head.length > 0) yield head;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      const done = take(next.value);
      if (done.length > 0) yield done;
    }
  }
  const lacking = RESULT_FIELDS.filter((field) => OLDER_LACK.has(field) && !columns.includes(field));
  return { headerEnd: header.end, lacking, records: records() };
}

function csvRecord(row: readonly Line[], columns: readonly ResultField[]): DoneRecord | null {
  const first = row[0] as Line;
  const last = row[row.length - 1] as Line;
  const text = row.map((line) => line.text).join('\n');
  if (!text.endsWith('\r')) return null;
  const cells = splitCells(text.slice(0, -1));
  if (cells.length !== columns.length) return null;
  const cell = (name: ResultField): string => cells[columns.indexOf(name)] as string;
  const index = /^\d+$/.test(cell('index')) ? Number(cell('index')) : Number.NaN;
  const status = cell('status') === '' ? null : Number(cell('status'));
  const ok = cell('ok');
  const ms = Number(cell('ms'));
  const attempts = Number(cell('attempts'));
  if (!Number.isSafeInteger(index) || (status !== null && !Number.isInteger(status))) return null;
  if ((ok !== 'true' && ok !== 'false') || !Number.isFinite(ms) || !Number.isInteger(attempts)) return null;
  const error = unquote(cell('error'));
  const outcome: Outcome = {
    status,
    ok: ok === 'true',
    error: error === '' ? null : (error as ErrorCode),
    ms,
    attempts,
  };
  return {
    line: first.number,
    start: first.start,
    end: last.end,
    index,
    shown: unquote(cell('url')).replace(/^'/, ''),
    // Compared as written: the writer's own quoting of the entry's URL.
    match: (url) => (cell('url') === csvField(url) ? outcome : null),
  };
}

/** A row's cells as written (quotes kept). */
function splitCells(text: string): string[] {
  const cells: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) {
      cells.push(text.slice(start, i));
      start = i + 1;
    }
  }
  cells.push(text.slice(start));
  return cells;
}

function unquote(cell: string): string {
  return cell.startsWith('"') ? cell.slice(1, -1).replaceAll('""', '"') : cell;
}
