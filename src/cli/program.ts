// The command-line schema: every flag, its help text and its parser (commander). Defaults come
// from the library's DEFAULTS, so the help shows what a run uses.

import { Command, InvalidArgumentError, Option } from 'commander';
import { UsageError } from '../errors.js';
import { DEFAULTS, type Rate } from '../options.js';
import {
  formatAcceptList,
  formatDuration,
  formatSize,
  parseAcceptList,
  parseDuration,
  parseRate,
  parseSize,
  parseSlo,
  type Slo,
} from '../parsers.js';
import { VERSION } from '../version.js';
import type { AcceptList } from '../result.js';
import { FORMATS, type Format } from '../report/formats.js';

/** `--accept` as ranges, and as the user wrote it for messages. */
export interface AcceptFlag {
  ranges: AcceptList;
  text: string;
}

/** The flags as commander hands them over. */
export interface Flags {
  concurrency: number;
  timeout: number;
  method: string;
  header?: string[];
  userAgent: string;
  follow: boolean;
  maxRedirects: number;
  insecure?: boolean;
  http2?: boolean;
  accept: AcceptFlag;
  check?: string[];
  maxBody: number;
  save?: string;
  hash?: boolean;
  decompress?: boolean;
  maxSize?: number;
  body?: boolean;
  format: Format;
  onlyFailed?: boolean;
  output?: string;
  progress?: boolean;
  color?: boolean;
  quiet?: boolean;
  connectTimeout?: number;
  retries: number;
  retryDelay: number;
  retryMaxWait: number;
  retryAll?: boolean;
  perHost?: number;
  rate?: Rate;
  deadline?: number;
  proxy?: string;
  cacert?: string;
  shard?: string;
  allowEmpty?: boolean;
  slo?: Slo[];
  resume?: boolean;
}

/** The flags of `parfetch merge` as commander hands them over. */
export interface MergeFlags {
  format: Format;
  output?: string;
  /** Given only when the records are to be judged again. */
  accept?: AcceptFlag;
  slo?: Slo[];
  allowGaps?: boolean;
  allowEmpty?: boolean;
  onlyFailed?: boolean;
  color?: boolean;
  quiet?: boolean;
}

const EXAMPLES = `
Examples:
  parfetch urls.txt                          fetch every URL in a file, one per line
  parfetch https://a.example https://b.example
  grep -o 'https://[^ ]*' notes.md | parfetch -c 100 -f jsonl | jq 'select(.ok|not)'
  parfetch -c 20 --no-follow --accept 200-299,301 health.txt || echo "service unhealthy"
  parfetch -f jsonl -o out.jsonl --resume urls.txt   go on where a killed run stopped
  parfetch merge -f junit -o report.xml shard-*.jsonl   one report from --shard runs

Input: URLs given as arguments, files of URLs (one per line; blank lines and # comments
skipped), or "-" for stdin; with no source, stdin is read when it is not a terminal.
"parfetch merge" merges jsonl outputs (see parfetch merge --help); a list in a file named
merge is given as ./merge.
Exit status: 0 all ok, 1 some entry not ok or an --slo objective missed, 2 usage or input
error (also an input with no URLs, unless --allow-empty), 74 results could not be written,
129/130/143 stopped by SIGHUP/SIGINT/SIGTERM (what finished is still reported), 141 stdout
closed by its reader.
`;

/** Wraps a parser so commander reports its message as a usage error for the option. */
function arg<T>(parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  };
}

function wholeNumber(min: number): (text: string) => number {
  return (text) => {
    const n = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`"${text}" is not a whole number from ${min} up`);
    return n;
  };
}

/** The program, without side effects: the caller decides how it writes and exits. */
export function buildProgram(): Command {
  return new Command('parfetch')
    .description('Fetch many URLs in parallel; print one result per input line, in input order.')
    .usage('[options] [source...]')
    .argument('[source...]', 'URLs (http:// or https://), files of URLs, or - for stdin')
    .option('-c, --concurrency <n>', 'requests in flight at once', arg(wholeNumber(1)), DEFAULTS.concurrency)
    .addOption(
      new Option('-t, --timeout <duration>', 'time limit per request: connect, headers and body (10 = 10s; 500ms, 1m)')
        .argParser(arg(parseDuration))
        .default(DEFAULTS.timeout, formatDuration(DEFAULTS.timeout)),
    )
    .option('-X, --method <method>', 'HTTP method', DEFAULTS.method)
    .addOption(
      new Option('-H, --header <header>', 'extra request header "Name: value" (repeatable)').argParser(
        (v: string, all: string[] | undefined) => [...(all ?? []), v],
      ),
    )
    .option('-A, --user-agent <ua>', 'User-Agent header', DEFAULTS.userAgent)
    .option('--no-follow', 'do not follow redirects: report the 3xx itself')
    .option(
      '--max-redirects <n>',
      'redirects followed before ETOOMANYREDIRECTS',
      arg(wholeNumber(0)),
      DEFAULTS.maxRedirects,
    )
    .option('--connect-timeout <duration>', 'time limit for connecting (default: the --timeout)', arg(parseDuration))
    .option(
      '--retries <n>',
      'retries after a network error, timeout, 408, 429, 500, 502, 503 or 504',
      arg(wholeNumber(0)),
      DEFAULTS.retries,
    )
    .addOption(
      new Option('--retry-delay <duration>', 'base of the exponential backoff with full jitter')
        .argParser(arg(parseDuration))
        .default(DEFAULTS.retryDelay, formatDuration(DEFAULTS.retryDelay)),
    )
    .addOption(
      new Option('--retry-max-wait <duration>', 'longest Retry-After honoured; a longer one ends the retries')
        .argParser(arg(parseDuration))
        .default(DEFAULTS.retryMaxWait, formatDuration(DEFAULTS.retryMaxWait)),
    )
    .option('--retry-all', 'retry non-idempotent methods (POST, PATCH) too')
    .option('--per-host <n>', 'requests in flight per origin (default: no limit beyond -c)', arg(wholeNumber(1)))
    .option('--rate <n[/s|/m]>', 'at most n requests started in any sliding second (or minute)', arg(parseRate))
    .option(
      '--deadline <duration>',
      'bound for the whole run: entries not done by then fail with EDEADLINE',
      arg(parseDuration),
    )
    .option('-k, --insecure', 'do not verify TLS certificates')
    .option('--cacert <file>', 'also trust the CA certificates (PEM) in this file')
    .option('--http2', 'offer HTTP/2 to https:// servers, HTTP/1.1 when they do not pick it (http:// stays HTTP/1.1)')
    .option('--http1.1', 'HTTP/1.1 only (the default; the last of --http2 and --http1.1 wins)')
    .option('--proxy <url>', 'send requests through this proxy (default: HTTP_PROXY, HTTPS_PROXY, NO_PROXY)')
    .option('--shard <K/N>', 'fetch only entries whose index mod N is K (K defaults to JOB_COMPLETION_INDEX)')
    .addOption(
      new Option('--accept <list>', 'status codes counted as ok, e.g. 200-299,301')
        .argParser(arg((text): AcceptFlag => ({ ranges: parseAcceptList(text), text: text.trim() })))
        .default(
          { ranges: DEFAULTS.accept, text: formatAcceptList(DEFAULTS.accept) },
          formatAcceptList(DEFAULTS.accept),
        ),
    )
    .addOption(
      new Option(
        '--check <check>',
        "a check for every entry (repeatable), written as on a line after the URL: time<300ms, body*=TEXT, body~REGEX, json:PATH==VALUE, header:NAME=VALUE, cert>14d; a line's check of the same kind replaces it",
      ).argParser((v: string, all: string[] | undefined) => [...(all ?? []), v]),
    )
    .addOption(
      new Option(
        '--max-body <size>',
        'most decoded body bytes read for --body and for body and json checks (512KiB, 1MiB, 1MB)',
      )
        .argParser(arg(parseSize))
        .default(DEFAULTS.maxBody, formatSize(DEFAULTS.maxBody).replace(' ', '')),
    )
    .option(
      '--save <dir>',
      'save each final body (after redirects) in dir as 000042-index.html (entry index, URL path tail); records gain path and sha256',
    )
    .option('--hash', 'records gain the sha256 of each final body, streamed, not saved')
    .option('--decompress', 'undo gzip, deflate and br for --save, --hash and --max-size (default: bytes as sent)')
    .option(
      '--max-size <size>',
      'fail an entry whose body passes this size with ETOOBIG (bytes as sent, or decoded with --decompress)',
      arg(parseSize),
    )
    .option('--body', 'records gain body: the decoded text (base64 when not UTF-8) up to --max-body; -f jsonl only')
    .addOption(
      new Option(
        '--slo <objective>',
        'objective for the run, exit 1 if missed: p95<300ms (also p50, p90, p99, max; over ok entries) or ok>=99.5% (repeatable)',
      ).argParser((text: string, all: Slo[] | undefined) => [...(all ?? []), arg(parseSlo)(text)]),
    )
    .addOption(new Option('-f, --format <format>', 'output format').choices(FORMATS).default('text'))
    .option('--only-failed', 'print only entries that are not ok (any format; order kept)')
    .option('--allow-empty', 'exit 0 when the input holds no URLs (by default that is an error, exit 2)')
    .option('-o, --output <file>', 'write results to a file (overwritten) instead of stdout')
    .option(
      '--resume',
      'with -o FILE (jsonl, csv or text): keep the records FILE holds, fetch only the entries after them, append',
    )
    .option('--progress', 'show a progress bar on stderr (default: when stderr is a terminal and CI is unset)')
    .option('--no-progress', 'never show a progress bar')
    .option('--no-color', 'no colours (also NO_COLOR=1; FORCE_COLOR=1 forces them)')
    .option('-q, --quiet', 'no summary on stderr')
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show this help')
    .addHelpText('after', EXAMPLES)
    .showSuggestionAfterError(true)
    .on('option:http1.1', function (this: Command) {
      this.setOptionValue('http2', false);
    });
}

const MERGE_NOTES = `
Each file must be in index order, as a run writes it (a --shard run's records keep their
index in the whole input); they are merged by index holding a few records of each file at a
time. A torn last line (a run killed mid-write) is left out with a warning. --accept judges
again the records whose line named no status list of its own.

Indexes missing between 0 and the highest one seen, and indexes seen twice (the record of
the file named first is kept), are listed on stderr (ten at most, then the counts). They
fail the merge, exit 1 like an entry not ok (entries went unchecked), unless --allow-gaps.
Exit status: 0 all ok, 1 some record not ok, an --slo objective missed, or an index missing
or repeated, 2 usage or input error (a line that is not a record, a file out of index
order), 74 the report could not be written, 129/130/143 stopped by SIGHUP/SIGINT/SIGTERM.
`;

/** `parfetch merge`: jsonl outputs of shards or resumed runs -> one report, as of one run. */
export function buildMergeProgram(): Command {
  return new Command('parfetch merge')
    .description('Merge jsonl outputs of parfetch (--shard runs, resumed runs) into one report in input order.')
    .usage('[options] [file...]')
    .argument('[file...]', 'jsonl files written by parfetch -f jsonl, or - for stdin')
    .addOption(new Option('-f, --format <format>', 'output format').choices(FORMATS).default('text'))
    .option('-o, --output <file>', 'write the report to a file (overwritten) instead of stdout')
    .addOption(
      new Option(
        '--accept <list>',
        'judge again: status codes counted as ok, e.g. 200-299,301 (default: each record keeps its ok)',
      ).argParser(arg((text): AcceptFlag => ({ ranges: parseAcceptList(text), text: text.trim() }))),
    )
    .addOption(
      new Option('--slo <objective>', 'objective over the merged records, exit 1 if missed (repeatable)').argParser(
        (text: string, all: Slo[] | undefined) => [...(all ?? []), arg(parseSlo)(text)],
      ),
    )
    .option('--allow-gaps', 'exit 0 despite missing or repeated indexes (still listed on stderr)')
    .option('--allow-empty', 'exit 0 when the files hold no records (by default that is an error, exit 2)')
    .option('--only-failed', 'print only records that are not ok (any format; order kept)')
    .option('--no-color', 'no colours (also NO_COLOR=1; FORCE_COLOR=1 forces them)')
    .option('-q, --quiet', 'no summary on stderr')
    .helpOption('-h, --help', 'show this help')
    .addHelpText('after', MERGE_NOTES)
    .showSuggestionAfterError(true);
}
