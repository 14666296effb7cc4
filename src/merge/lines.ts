// A byte stream -> its lines, in arrays (one per chunk read), each with its number and byte
// offsets, so a reader can say where a record is and cut a file back to its last whole line.

/** One physical line, without its `\n`. */
export interface Line {
  text: string;
  /** 1-based line number. */
  number: number;
  /** Byte offset of the line's first byte. */
  start: number;
  /** Byte offset just past its `\n` (or past its last byte, for an unterminated last line). */
  end: number;
  /** False only for a last line with no `\n`: a write cut short (a process killed mid-write). */
  terminated: boolean;
}

/**
 * Splits a byte stream into lines, an array per chunk read: one `await` per chunk, not per line,
 * and nothing held but the line a chunk ends in.
 */
export async function* linesOf(stream: AsyncIterable<Buffer | string>): AsyncGenerator<Line[]> {
  let number = 0;
  let offset = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const raw of stream) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    const lines: Line[] = [];
    let from = 0;
    let nl = chunk.indexOf(10);
    while (nl !== -1) {
      let bytes = chunk.subarray(from, nl);
      if (pendingBytes > 0) {
        pending.push(bytes);
        bytes = Buffer.concat(pending);
        pending = [];
        pendingBytes = 0;
      }
      number += 1;
      lines.push({
        text: bytes.toString('utf8'),
        number,
        start: offset,
        end: offset + bytes.length + 1,
        terminated: true,
      });
      offset += bytes.length + 1;
      from = nl + 1;
      nl = chunk.indexOf(10, from);
    }
    if (from < chunk.length) {
      // Copied: the stream may reuse its buffer.
      pending.push(Buffer.from(chunk.subarray(from)));
      pendingBytes += chunk.length - from;
    }
    if (lines.length > 0) yield lines;
  }
  if (pendingBytes > 0) {
    const bytes = Buffer.concat(pending);
    yield [
      {
        text: bytes.toString('utf8'),
        number: number + 1,
        start: offset,
        end: offset + bytes.length,
        terminated: false,
      },
    ];
  }
}
