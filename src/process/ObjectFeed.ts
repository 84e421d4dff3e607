/**
 * Keys of raw objects announced while process runs (a capture writing them alongside, as `telemetry run` does):
 * process takes them in groups, everything announced since it last looked, after the objects it listed.
 *
 * @example
 * const feed = new ObjectFeed();
 * const processing = processPending(deps, { ...options, incoming: feed });
 * await captureInputs(input, store, { ...capture, onObject: (key) => feed.push(key) }).finally(() => feed.end());
 */
export class ObjectFeed implements AsyncIterable<readonly string[]> {
  #keys: string[] = [];
  #ended = false;
  #error: unknown;
  #wake: (() => void) | undefined;

  push(key: string): void {
    if (this.#ended) throw new Error(`object feed already ended (announced ${key})`);
    this.#keys.push(key);
    this.#wake?.();
  }

  /** No more keys: the reader ends once it has taken those announced. */
  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  /** The writer failed: the reader throws `error` once it has taken those announced. */
  fail(error: unknown): void {
    this.#error ??= error ?? new Error('object feed failed');
    this.end();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<readonly string[]> {
    for (;;) {
      if (this.#keys.length > 0) {
        const group = this.#keys;
        this.#keys = [];
        yield group;
      } else if (this.#ended) {
        if (this.#error !== undefined) throw this.#error;
        return;
      } else {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        this.#wake = undefined;
      }
    }
  }
}
