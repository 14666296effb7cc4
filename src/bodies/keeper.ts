// A run's bodies beyond checks: saved to a folder, hashed, or held to a size. It opens a sink
// for each final response, commits or discards it once the entry is decided, and stops the run
// when the disk fails.

import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { REDIRECTS } from '../fetch/redirect.js';
import { codingOf, decodes } from '../checks/body.js';
import { SaveError } from '../errors.js';
import { BodySink, type Kept, type SinkOpener } from './sink.js';
import { savedName } from './names.js';

/** The options a keeper follows. */
export interface KeepOptions {
  save?: string | undefined;
  hash: boolean;
  decompress: boolean;
  maxSize?: number | undefined;
}

/** Makes the save folder (and its parents) and checks that files can be made in it. */
export async function prepareSaveDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK | constants.X_OK);
  } catch (error) {
    const failure = error as NodeJS.ErrnoException;
    // mkdir says EEXIST for a path that is a file.
    if (failure.code === 'EEXIST' && !(await stat(dir)).isDirectory()) {
      throw new SaveError(dir, 'ENOTDIR', 'not a directory');
    }
    throw saveError(dir, failure);
  }
}

/** A system error as a SaveError: `EACCES: permission denied, open '…'` says "permission denied". */
function saveError(dir: string, error: NodeJS.ErrnoException): SaveError {
  const code = error.code ?? 'EIO';
  const reason = /^[A-Z0-9]+: ([^,]+)/.exec(error.message)?.[1] ?? error.message;
  return new SaveError(dir, code, reason);
}

export class BodyKeeper {
  /** Set when a body could not be written: the run stops and throws it. */
  failure: SaveError | null = null;
  private readonly live = new Set<BodySink>();
  private readonly maxSize: number;

  /** `stopRun` ends every attempt of the run, once a disk failure is known. */
  constructor(
    private readonly options: KeepOptions,
    private readonly stopRun: () => void,
  ) {
    this.maxSize = options.maxSize ?? Number.POSITIVE_INFINITY;
  }

  /**
   * The opener for one entry's attempts. Its file is named after the entry's own URL (not
   * where redirects lead), so a name is known before fetching, as curl -O and wget name them.
   * A redirect about to be followed has no sink: only the final response's body is kept.
   */
  opener(index: number, url: URL, follow: boolean): SinkOpener {
    return (status, location, rawHeaders, resume, fail) => {
      if (follow && location !== undefined && REDIRECTS.has(status)) return null;
      let coding = 'identity';
      let length = Number.NaN;
      for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
        const name = rawHeaders[i]?.toString().toLowerCase();
        if (name === 'content-encoding' && this.options.decompress) coding = codingOf(rawHeaders[i + 1]?.toString());
        else if (name === 'content-length') length = Number(rawHeaders[i + 1]?.toString());
      }
      // A coding parfetch cannot undo (zstd, say) is kept as sent.
      if (!decodes(coding)) coding = 'identity';
      if (coding === 'identity' && length > this.maxSize) {
        fail('ETOOBIG');
        return null;
      }
      const { save } = this.options;
      const sink = new BodySink(
        {
          file: save === undefined ? null : { dir: save, name: savedName(index, url) },
          hash: save !== undefined || this.options.hash,
          coding,
          maxSize: this.maxSize,
        },
        { resume, fail, diskFailed: (error) => this.diskFailed(error) },
      );
      this.live.add(sink);
      return sink;
    };
  }

  /** Commits the body of an entry that ended without an error; discards any other. */
  async settle(sink: BodySink, keep: boolean): Promise<Kept> {
    try {
      return await (keep && this.failure === null ? sink.commit() : sink.discard());
    } finally {
      this.live.delete(sink);
    }
  }

  /** Discards every body still open (the run is over), waiting until their files are gone. */
  async close(): Promise<void> {
    await Promise.all([...this.live].map((sink) => sink.discard()));
    this.live.clear();
  }

  private diskFailed(error: NodeJS.ErrnoException): void {
    if (this.failure !== null) return;
    this.failure = saveError(this.options.save ?? '', error);
    this.stopRun();
  }
}
