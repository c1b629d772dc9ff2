import type { MalformedItem } from '../use-cases/findings-ports';

/**
 * The errors of the findings table's adapters, in a module of their own: the CLI maps them to exit
 * codes without loading the DynamoDB SDK.
 */

/** A DynamoDB request failed in a way a retry does not fix, or the account state is unusable. */
export class FindingsStoreError extends Error {
  override readonly name: string = 'FindingsStoreError';
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

/** Several stored items of one record could not be read: each is named, none hides the others. */
export class MalformedItemsError extends FindingsStoreError {
  override readonly name: string = 'MalformedItemsError';
  constructor(
    readonly items: readonly MalformedItem[],
    options?: { cause?: unknown },
  ) {
    super(
      `${items.length} stored item${items.length === 1 ? ' is' : 's are'} malformed: ${items
        .map((item) => `${item.key.PK} / ${item.key.SK}: ${item.issues.join('; ')}`)
        .join(' | ')}`,
      options,
    );
  }
}

/** The findings table could not be created; the message names the table and why. */
export class FindingsTableAdminError extends Error {
  override readonly name = 'FindingsTableAdminError';
}
