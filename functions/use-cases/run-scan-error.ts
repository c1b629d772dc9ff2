/** The scan cannot be stored (no account id) or kept losing to concurrent writers. */
export class RunScanError extends Error {
  override readonly name = 'RunScanError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
