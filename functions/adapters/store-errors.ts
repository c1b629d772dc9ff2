import type { MalformedItem } from '../use-cases/findings-ports';

/**
 * The errors of the findings table's adapters, in a module of their own: the CLI maps them to exit
 * codes without loading the DynamoDB SDK.
 */

/** A DynamoDB request failed in a way a retry does not fix, or the account state is unusable. */
export class FindingsStoreError extends Error {
  override readonly name = 'FindingsStoreError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A stored item could not be read as what its key says it is. */
export class MalformedItemError extends Error {
  override readonly name = 'MalformedItemError';
  constructor(
    readonly item: MalformedItem,
    options?: { cause?: unknown },
  ) {
    super(`stored item ${item.key.PK} / ${item.key.SK} is malformed: ${item.issues.join('; ')}`, options);
  }
}

/** The findings table could not be created; the message names the table and why. */
export class FindingsTableAdminError extends Error {
  override readonly name = 'FindingsTableAdminError';
}
