/**
 * The collector could not start at all (no credentials, no account identity). In a module of its
 * own, without the SDK, so that the CLI maps it to an exit code before any AWS call is made.
 */
export class CollectionError extends Error {
  override readonly name = 'CollectionError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
