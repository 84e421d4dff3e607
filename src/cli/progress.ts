/** A one-line progress display on a TTY (stderr); silent otherwise, so logs and pipes stay clean. */
export function progressLine(stream: NodeJS.WritableStream & { isTTY?: boolean }): {
  update(text: string): void;
  done(): void;
} {
  let last = 0;
  let shown = false;
  return {
    update(text) {
      if (!stream.isTTY) return;
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      shown = true;
      stream.write(`\r\x1b[K${text}`);
    },
    done() {
      if (shown) stream.write('\r\x1b[K');
    },
  };
}
