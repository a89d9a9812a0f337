import { open } from 'node:fs/promises';

/*
 * A PDF's bytes followed by room for the incremental updates that will be appended to them.
 *
 * Every revision Signet adds (each signature, the /DSS, the document time-stamp) is an append:
 * the bytes before the old end never change. Written as "old bytes + update" into a fresh buffer
 * each time, a B-LTA seal with two signers would copy the whole file five times and, at its peak,
 * hold two copies of it. Written into spare capacity behind the bytes, the file is copied at
 * most once — when a caller's plain Uint8Array has to be taken in — and not at all when the
 * caller reads the file straight into a PdfBuffer (`readPdfFile`).
 */

/** Spare room after a PDF that holds a B-LTA seal with a few per-signer signatures without growing. */
export const DEFAULT_HEADROOM_BYTES = 256 * 1024;

export class PdfBuffer {
  #storage: Uint8Array;
  #length: number;

  private constructor(storage: Uint8Array, length: number) {
    this.#storage = storage;
    this.#length = length;
  }

  /** A copy of `bytes` with room for `headroom` more; the caller's array is never written to. */
  static copyOf(bytes: Uint8Array, headroom = DEFAULT_HEADROOM_BYTES): PdfBuffer {
    const storage = allocate(bytes.length + headroom);
    storage.set(bytes);
    return new PdfBuffer(storage, bytes.length);
  }

  /** The current PDF: a view, valid until the next append (which may move the bytes). */
  get bytes(): Uint8Array {
    return this.#storage.subarray(0, this.#length);
  }

  get length(): number {
    return this.#length;
  }

  /** Free room before the next append has to move the file. */
  get headroom(): number {
    return this.#storage.length - this.#length;
  }

  /**
   * Appends the chunks and returns the whole file after them (a view). Grows — one copy of the
   * file — only when the chunks do not fit in the headroom, and then leaves as much room again.
   */
  append(chunks: readonly Uint8Array[]): Uint8Array {
    const added = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    if (added > this.headroom) {
      const grown = allocate(this.#length + added + Math.max(added, DEFAULT_HEADROOM_BYTES));
      grown.set(this.bytes);
      this.#storage = grown;
    }
    let position = this.#length;
    for (const chunk of chunks) {
      this.#storage.set(chunk, position);
      position += chunk.length;
    }
    this.#length = position;
    return this.bytes;
  }

  /** @internal For `readPdfFile`: takes over storage whose first `length` bytes are the PDF. */
  static adopt(storage: Uint8Array, length: number): PdfBuffer {
    return new PdfBuffer(storage, length);
  }
}

/** Reads a PDF from disk straight into a PdfBuffer: one allocation, the file never copied. */
export async function readPdfFile(path: string, headroom = DEFAULT_HEADROOM_BYTES): Promise<PdfBuffer> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const storage = allocate(size + headroom);
    let read = 0;
    while (read < size) {
      const { bytesRead } = await handle.read(storage, read, size - read, read);
      if (bytesRead === 0) break; // the file shrank while being read: take what is there
      read += bytesRead;
    }
    return PdfBuffer.adopt(storage, read);
  } finally {
    await handle.close();
  }
}

/**
 * Uninitialised and unpooled: the headroom is always written before it becomes part of the
 * file, and a pooled slab would be shared with unrelated small Buffers.
 */
function allocate(bytes: number): Uint8Array {
  return Buffer.allocUnsafeSlow(bytes);
}
