import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { type Sleep, sleep as timerSleep } from '../core/backoff';
import { describeError } from '../core/describe-error';
import { ITEM_TYPE_ATTRIBUTE } from '../core/findings-table';
import type {
  LastAccessedCache,
  LastAccessedSaveResult,
  ServiceLastAccessedByPrincipal,
} from '../use-cases/last-accessed-ports';
import { batchWriteWithRetry } from './dynamo-batch-write';
import { missingTableMessage } from './dynamo-findings-store';

/**
 * Service-last-accessed results in the findings table, one item per principal:
 *
 *   PK LAST-ACCESSED#<account>  SK PRINCIPAL#<principal ARN>
 *
 * A partition of their own, outside the account's findings partition, so loading the findings
 * never reads them and loading them never reads findings. They carry no index keys: writing one
 * costs its own write units and nothing in the indexes.
 *
 * The output is stored gzip-compressed (a job's JSON repeats the same field names for every
 * service and shrinks several times over), with a digest of its JSON: a save writes a principal
 * only when the digest differs from the one loaded, so a daily scan that reuses most results
 * writes only the slice it refreshed. Every written item expires `LAST_ACCESSED_TTL_DAYS` after
 * it was written; a principal still in the account is refreshed long before (the scan refreshes
 * the stalest first), a deleted one is never written again and DynamoDB removes it.
 */

export const LAST_ACCESSED_ITEM_TYPE = 'service-last-accessed';
export const LAST_ACCESSED_TTL_DAYS = 90;
const PARTITION_PREFIX = 'LAST-ACCESSED#';
const SORT_PREFIX = 'PRINCIPAL#';
/** BatchWriteItem takes at most 25 requests. */
const BATCH_WRITE_SIZE = 25;
/** DynamoDB refuses items over 400 KB; a compressed output beyond this is not cached. */
const MAX_DETAILS_BYTES = 350_000;
const DAY_S = 86_400;

export function lastAccessedPartition(accountId: string): string {
  return `${PARTITION_PREFIX}${accountId}`;
}

export function lastAccessedKey(accountId: string, principalArn: string): { PK: string; SK: string } {
  return { PK: lastAccessedPartition(accountId), SK: `${SORT_PREFIX}${principalArn}` };
}

/** A cached item that could not be used, or a result too large to cache. */
export interface LastAccessedCacheWarning {
  accountId: string;
  principalArn?: string;
  key?: { PK: string; SK: string };
  reason: string;
}

export interface DynamoLastAccessedCacheOptions {
  /** Called for each cached item left out; the principal is then generated again. */
  onWarning?: (message: string, warning: LastAccessedCacheWarning) => void;
  now?: () => Date;
  sleep?: Sleep;
}

/** A cache request failed in a way a retry does not fix. */
export class LastAccessedCacheError extends Error {
  override readonly name = 'LastAccessedCacheError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class DynamoLastAccessedCache implements LastAccessedCache {
  private readonly db: DynamoDBDocumentClient;
  private readonly warn: NonNullable<DynamoLastAccessedCacheOptions['onWarning']>;
  private readonly now: () => Date;
  private readonly sleep: Sleep;
  /** Per account, the digest of each principal's stored result as last loaded or saved. */
  private readonly stored = new Map<string, Map<string, string>>();

  constructor(
    private readonly client: DynamoDBClient,
    readonly tableName: string,
    options: DynamoLastAccessedCacheOptions = {},
  ) {
    this.db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    this.warn = options.onWarning ?? (() => {});
    this.now = options.now ?? (() => new Date());
    this.sleep = options.sleep ?? timerSleep;
  }

  async load(accountId: string): Promise<ServiceLastAccessedByPrincipal> {
    const data: ServiceLastAccessedByPrincipal = {};
    const digests = new Map<string, string>();
    let startKey: Record<string, unknown> | undefined;
    do {
      let output: QueryCommandOutput;
      try {
        output = await this.db.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': 'PK' },
            ExpressionAttributeValues: { ':pk': lastAccessedPartition(accountId) },
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        );
      } catch (error) {
        throw await this.failure(`could not read the service-last-accessed cache of ${accountId}`, error);
      }
      for (const item of output.Items ?? []) {
        const read = readItem(item);
        if ('reason' in read) {
          this.warn('cached service-last-accessed item skipped', {
            accountId,
            ...(read.principalArn ? { principalArn: read.principalArn } : {}),
            key: { PK: String(item.PK), SK: String(item.SK) },
            reason: read.reason,
          });
          continue;
        }
        data[read.principalArn] = read.output;
        digests.set(read.principalArn, read.digest);
      }
      startKey = output.LastEvaluatedKey;
    } while (startKey);
    this.stored.set(accountId, digests);
    return data;
  }

  async save(accountId: string, data: ServiceLastAccessedByPrincipal): Promise<LastAccessedSaveResult> {
    const known = this.stored.get(accountId) ?? new Map<string, string>();
    const savedAt = this.now();
    const ttl = Math.floor(savedAt.getTime() / 1000) + LAST_ACCESSED_TTL_DAYS * DAY_S;
    const items: { arn: string; digest: string; item: Record<string, unknown> }[] = [];
    let unchanged = 0;
    for (const [principalArn, output] of Object.entries(data)) {
      const completedAt = jobCompletionDate(output);
      if (completedAt === undefined) continue;
      const json = JSON.stringify(output);
      const digest = digestOf(json);
      if (known.get(principalArn) === digest) {
        unchanged++;
        continue;
      }
      const details = gzipSync(json);
      if (details.byteLength > MAX_DETAILS_BYTES) {
        this.warn('service-last-accessed result too large to cache', {
          accountId,
          principalArn,
          reason: `${details.byteLength} bytes compressed`,
        });
        continue;
      }
      items.push({
        arn: principalArn,
        digest,
        item: {
          ...lastAccessedKey(accountId, principalArn),
          [ITEM_TYPE_ATTRIBUTE]: LAST_ACCESSED_ITEM_TYPE,
          accountId,
          principalArn,
          jobCompletionDate: completedAt,
          digest,
          details,
          savedAt: savedAt.toISOString(),
          ttl,
        },
      });
    }
    for (let i = 0; i < items.length; i += BATCH_WRITE_SIZE) {
      const batch = items.slice(i, i + BATCH_WRITE_SIZE);
      await this.batchWrite(
        accountId,
        batch.map((entry) => entry.item),
      );
      // Recorded per batch: a later failure leaves what was written known as written.
      for (const entry of batch) known.set(entry.arn, entry.digest);
    }
    this.stored.set(accountId, known);
    return { written: items.length, unchanged };
  }

  private async batchWrite(accountId: string, items: Record<string, unknown>[]): Promise<void> {
    const what = `could not write the service-last-accessed cache of ${accountId}`;
    await batchWriteWithRetry(
      this.db,
      this.tableName,
      items.map((Item) => ({ PutRequest: { Item } })),
      {
        sleep: this.sleep,
        failure: (error) => this.failure(what, error),
        exhausted: (left, attempts) =>
          new LastAccessedCacheError(`${what}: ${left} item(s) still unprocessed after ${attempts} attempts`),
      },
    );
  }

  private async failure(what: string, error: unknown): Promise<LastAccessedCacheError> {
    if ((error as { name?: unknown } | null)?.name === 'ResourceNotFoundException') {
      const region = await this.client.config.region().catch(() => undefined);
      return new LastAccessedCacheError(missingTableMessage(this.tableName, region), { cause: error });
    }
    return new LastAccessedCacheError(`${what}: ${describeError(error)}`, { cause: error });
  }
}

type ReadItem =
  | { principalArn: string; output: Record<string, unknown>; digest: string }
  | { principalArn?: string; reason: string };

/** A stored item as the output it holds, or why it cannot be used. */
function readItem(item: Record<string, unknown>): ReadItem {
  const sk = typeof item.SK === 'string' ? item.SK : '';
  const principalArn = sk.startsWith(SORT_PREFIX) ? sk.slice(SORT_PREFIX.length) : undefined;
  if (!principalArn) return { reason: 'the sort key names no principal' };
  if (item.principalArn !== principalArn) {
    return { principalArn, reason: 'principalArn does not match the sort key' };
  }
  if (!(item.details instanceof Uint8Array)) return { principalArn, reason: 'details is not binary' };
  let json: string;
  try {
    json = gunzipSync(item.details).toString('utf8');
  } catch (error) {
    return { principalArn, reason: `details is not gzip data: ${describeError(error)}` };
  }
  if (typeof item.digest !== 'string' || item.digest !== digestOf(json)) {
    return { principalArn, reason: 'details does not match its digest' };
  }
  let output: unknown;
  try {
    output = JSON.parse(json);
  } catch (error) {
    return { principalArn, reason: `details is not JSON: ${describeError(error)}` };
  }
  if (typeof output !== 'object' || output === null || Array.isArray(output)) {
    return { principalArn, reason: 'details is not an object' };
  }
  if (jobCompletionDate(output) === undefined) {
    return { principalArn, reason: 'details has no valid JobCompletionDate' };
  }
  return { principalArn, output: output as Record<string, unknown>, digest: item.digest };
}

/** The output's JobCompletionDate as ISO-8601 (it arrives as a string or epoch seconds). */
function jobCompletionDate(output: unknown): string | undefined {
  if (typeof output !== 'object' || output === null) return undefined;
  const value = (output as { JobCompletionDate?: unknown }).JobCompletionDate;
  const time =
    typeof value === 'string'
      ? Date.parse(value)
      : typeof value === 'number'
        ? value * 1000
        : value instanceof Date
          ? value.getTime()
          : Number.NaN;
  return Number.isFinite(time) ? new Date(time).toISOString() : undefined;
}

function digestOf(json: string): string {
  return createHash('sha256').update(json).digest('hex');
}
