// A file read in chunks into one buffer used again for each, so reading a large file allocates
// nothing per chunk: buffers a stream hands out live outside the heap and go only when the
// garbage collector gets to them, which a merge that makes little garbage rarely asks it to.

import { open } from 'node:fs/promises';

/** Bytes read at a time. */
const CHUNK = 64 * 1024;

/**
 * The file's bytes, a chunk at a time; each chunk is the same buffer refilled, so it must be done
 * with before the next is asked for. The file is closed at the end or when the loop is left.
 */
export async function* fileChunks(path: string): AsyncGenerator<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, null);
      if (bytesRead === 0) return;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}
