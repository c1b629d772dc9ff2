/**
 * A one-line progress display for long operations: on a terminal, the line is rewritten in place
 * (at most every `intervalMs`); anywhere else, or when disabled (`--quiet`), nothing is written,
 * so logs and pipes stay clean.
 */
export interface StatusLine {
  update(text: string): void;
  /** Erases the line; later updates are ignored. */
  done(): void;
}

export interface StatusStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

export function createStatusLine(
  stream: StatusStream,
  options: { enabled: boolean; intervalMs?: number; now?: () => number },
): StatusLine {
  if (!options.enabled || stream.isTTY !== true) return { update() {}, done() {} };
  const now = options.now ?? Date.now;
  const interval = options.intervalMs ?? 100;
  let last = Number.NEGATIVE_INFINITY;
  let shown = false;
  let finished = false;
  return {
    update(text) {
      if (finished || now() - last < interval) return;
      last = now();
      const width = Math.max(20, (stream.columns ?? 80) - 1);
      const line = text.length > width ? `${text.slice(0, width - 1)}…` : text;
      stream.write(`\r\x1b[2K${line}`);
      shown = true;
    },
    done() {
      if (finished) return;
      finished = true;
      if (shown) stream.write('\r\x1b[2K');
    },
  };
}
