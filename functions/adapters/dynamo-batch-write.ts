import {
  BatchWriteCommand,
  type BatchWriteCommandOutput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { type BackoffPolicy, backoffDelay, type Sleep } from '../core/backoff';

/** Attempts of a batch whose items DynamoDB left unprocessed (throttling) before giving up. */
export const UNPROCESSED_ATTEMPTS = 8;
/** Before writing again the items BatchWriteItem left unprocessed: 100 ms doubling to 2 s. */
export const UNPROCESSED_WRITE_BACKOFF: BackoffPolicy = { baseMs: 100, capMs: 2000 };

export interface BatchWriteRetry {
  sleep: Sleep;
  backoff?: BackoffPolicy;
  /** The error for a call that failed (the caller names what was being written). */
  failure(error: unknown): Promise<Error>;
  /** The error for items still unprocessed after every attempt. */
  exhausted(left: number, attempts: number): Error;
}

/**
 * One BatchWriteItem call (at most 25 requests), writing again what DynamoDB left unprocessed,
 * with backoff, until nothing is left or the attempts run out.
 */
export async function batchWriteWithRetry(
  db: DynamoDBDocumentClient,
  tableName: string,
  requests: readonly Record<string, unknown>[],
  retry: BatchWriteRetry,
): Promise<void> {
  let pending = [...requests];
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt >= UNPROCESSED_ATTEMPTS) throw retry.exhausted(pending.length, UNPROCESSED_ATTEMPTS);
    if (attempt > 0) await retry.sleep(backoffDelay(attempt, retry.backoff ?? UNPROCESSED_WRITE_BACKOFF));
    let output: BatchWriteCommandOutput;
    try {
      output = await db.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
    } catch (error) {
      throw await retry.failure(error);
    }
    pending = (output.UnprocessedItems?.[tableName] ?? []) as typeof pending;
  }
}
