import { SignetError } from '../../errors.ts';

/*
 * What one piece of PDF work (an upload's inspection, a verification, a seal's composition)
 * may cost. A PDF is a program for its reader: 21 kB of Flate can inflate to 20 MB, and
 * 20 MB of `0 0 0 …` is ten million objects to build. Every limit here is charged while the
 * work happens — inflation stops at the first byte over, parsing at the first object over —
 * so the worst input costs what the limits allow and no more, whatever it claims about itself.
 */

export interface PdfLimits {
  /** Largest decoded size of any one stream Signet decodes (object streams, xref streams, DSS entries). */
  maxStreamBytes: number;
  /** Total bytes inflated by one piece of work, across all its streams and all its passes over the file. */
  maxInflatedBytes: number;
  /** PDF objects built by one piece of work (every number, name, string, array and dictionary counts). */
  maxObjects: number;
  /** Revisions (incremental updates) a file may have. */
  maxRevisions: number;
}

const MiB = 1024 * 1024;

/** qpdf's limit; deeper nesting is an attack on the stack, not a document. */
export const MAX_NESTING_DEPTH = 500;

/**
 * Generous for documents people sign (a 1,000-page contract is ~100,000 objects; a large object
 * stream ~1 MiB), small enough that the worst input finishes in a few seconds on one core.
 */
export const DEFAULT_PDF_LIMITS: PdfLimits = {
  maxStreamBytes: 32 * MiB,
  maxInflatedBytes: 128 * MiB,
  maxObjects: 2_000_000,
  maxRevisions: 64,
};

export type PdfLimitKind = 'stream' | 'inflated' | 'objects' | 'revisions' | 'time' | 'memory';

/** An input over a limit: a clear 422 that says which limit, never a stall or a crash. */
export class PdfTooComplexError extends SignetError {
  readonly limit: PdfLimitKind;
  constructor(limit: PdfLimitKind, detail: string) {
    super('PDF_TOO_COMPLEX', `the PDF is too complex to process: ${detail}`);
    this.limit = limit;
  }
}

const megabytes = (bytes: number) => `${Math.round((bytes / MiB) * 10) / 10} MB`;

/** Counts what one piece of work has spent against its limits; throws the moment one is passed. */
export class PdfBudget {
  readonly limits: PdfLimits;
  #inflated = 0;
  #objects = 0;
  #overflow: PdfTooComplexError | undefined;
  /** Decoded streams by the file they lie in and their place in it (see `decodedOnce`). */
  readonly #decoded = new WeakMap<ArrayBufferLike, Map<string, Uint8Array>>();

  constructor(limits: Partial<PdfLimits> = {}) {
    this.limits = { ...DEFAULT_PDF_LIMITS, ...limits };
  }

  get inflatedBytes(): number {
    return this.#inflated;
  }

  get objects(): number {
    return this.#objects;
  }

  /**
   * Throws the first limit passed, if any. It is kept because a lenient parser may catch the
   * error and carry on; whoever ran the work checks afterwards.
   */
  assertWithinLimits(): void {
    if (this.#overflow) throw this.#overflow;
  }

  #exceeded(error: PdfTooComplexError): PdfTooComplexError {
    this.#overflow ??= error;
    return this.#overflow;
  }

  /** The most the next stream may inflate to: its own cap or what is left of the total, whichever is less. */
  streamAllowance(): number {
    return Math.max(0, Math.min(this.limits.maxStreamBytes, this.limits.maxInflatedBytes - this.#inflated));
  }

  /** Throws the error for whichever cap `streamAllowance` ran into. */
  streamOverflow(): PdfTooComplexError {
    if (this.limits.maxInflatedBytes - this.#inflated < this.limits.maxStreamBytes) {
      return this.#exceeded(
        new PdfTooComplexError(
          'inflated',
          `its compressed streams inflate to more than ${megabytes(this.limits.maxInflatedBytes)} in all`,
        ),
      );
    }
    return this.#exceeded(
      new PdfTooComplexError(
        'stream',
        `a compressed stream inflates to more than ${megabytes(this.limits.maxStreamBytes)}`,
      ),
    );
  }

  chargeInflated(bytes: number): void {
    this.#inflated += bytes;
    if (this.#inflated > this.limits.maxInflatedBytes) throw this.streamOverflow();
  }

  chargeObjects(count: number): void {
    this.#objects += count;
    if (this.#objects > this.limits.maxObjects) {
      throw this.#exceeded(
        new PdfTooComplexError(
          'objects',
          `it holds more than ${this.limits.maxObjects.toLocaleString('en')} objects`,
        ),
      );
    }
  }

  checkRevisions(count: number): void {
    if (count > this.limits.maxRevisions) {
      throw this.#exceeded(
        new PdfTooComplexError(
          'revisions',
          `it has ${count} revisions; at most ${this.limits.maxRevisions} are accepted`,
        ),
      );
    }
  }

  /**
   * The decoding of the stream whose raw bytes are `contents`, made once per budget: a stream is
   * identified by the file it lies in and its place there, so every pass over the file (pdf-lib
   * once per revision, the lazy reader beside it) reuses the first decoding and is not charged
   * again.
   */
  decodedOnce(contents: Uint8Array, decode: () => Uint8Array): Uint8Array {
    let inThisFile = this.#decoded.get(contents.buffer);
    if (!inThisFile) {
      inThisFile = new Map();
      this.#decoded.set(contents.buffer, inThisFile);
    }
    const place = `${contents.byteOffset}:${contents.byteLength}`;
    let decoded = inThisFile.get(place);
    if (!decoded) {
      decoded = decode();
      inThisFile.set(place, decoded);
    }
    return decoded;
  }

  /** Records a limit the work passed where no counter sees it (the nesting depth). */
  exceed(limit: PdfLimitKind, detail: string): PdfTooComplexError {
    return this.#exceeded(new PdfTooComplexError(limit, detail));
  }
}
