import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { type Sleep, sleep as timerSleep } from '../core/backoff';
import { describeError } from '../core/describe-error';
import { INDEX_BY_RULE, ITEM_TYPE_ATTRIBUTE } from '../core/findings-table';
import type {
  EventOutbox,
  MalformedOutboxEntry,
  OutboxEntry,
  OutboxPage,
  ScanEvent,
} from '../use-cases/event-ports';
import { batchWriteWithRetry } from './dynamo-batch-write';
import { missingTableMessage } from './dynamo-findings-store';

/**
 * Events the bus refused, kept in the findings table until a later publish succeeds:
 *
 *   PK OUTBOX#<account>  SK EVENT#<written at>#<seq>#<eventId>   by-rule: OUTBOX / <account>#<written at>#<seq>
 *
 * A partition per account, outside the findings partition, so a scan's read of its findings never
 * reads them; the sort key orders them as they were written. The `by-rule` index key lists the
 * accounts that have any, for a drain of every account. Each expires `OUTBOX_TTL_DAYS` after it
 * was written: an event nobody managed to send in that time is dropped rather than kept forever.
 */

export const OUTBOX_ITEM_TYPE = 'outbox-event';
export const OUTBOX_TTL_DAYS = 14;
const PARTITION_PREFIX = 'OUTBOX#';
const SORT_PREFIX = 'EVENT#';
const INDEX_PARTITION = 'OUTBOX';
/** BatchWriteItem takes at most 25 requests. */
const BATCH_WRITE_SIZE = 25;
const DAY_S = 86_400;
const EVENT_TYPES = [
  'FindingOpened',
  'FindingResolved',
  'ScanCompleted',
  'OrganizationScanCompleted',
] as const;

export function outboxPartition(accountId: string): string {
  return `${PARTITION_PREFIX}${accountId}`;
}

export function outboxKey(entry: Pick<OutboxEntry, 'accountId' | 'position' | 'eventId'>): {
  PK: string;
  SK: string;
} {
  return { PK: outboxPartition(entry.accountId), SK: `${SORT_PREFIX}${entry.position}#${entry.eventId}` };
}

/** An outbox request failed in a way a retry does not fix. */
export class EventOutboxError extends Error {
  override readonly name = 'EventOutboxError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface DynamoEventOutboxOptions {
  sleep?: Sleep;
}

const StoredEventSchema = z.object({
  detailType: z.enum(EVENT_TYPES),
  detail: z.looseObject({ version: z.number().int(), eventId: z.string().min(1) }),
  resources: z.array(z.string()).optional(),
});

const OutboxItemSchema = z.object({
  accountId: z.string().regex(/^\d{12}$/),
  position: z.string().min(1),
  eventId: z.string().min(1),
  writtenAt: z.string().min(1),
  event: z.string().min(2),
});

export class DynamoEventOutbox implements EventOutbox {
  private readonly db: DynamoDBDocumentClient;
  private readonly sleep: Sleep;

  constructor(
    private readonly client: DynamoDBClient,
    readonly tableName: string,
    options: DynamoEventOutboxOptions = {},
  ) {
    this.db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    this.sleep = options.sleep ?? timerSleep;
  }

  async add(accountId: string, events: readonly ScanEvent[], now: Date): Promise<OutboxEntry[]> {
    const writtenAt = now.toISOString();
    const ttl = Math.floor(now.getTime() / 1000) + OUTBOX_TTL_DAYS * DAY_S;
    const entries = events.map((event, i): OutboxEntry => {
      const eventId = event.detail.eventId;
      if (typeof eventId !== 'string' || eventId === '') {
        throw new EventOutboxError(
          `a ${event.detailType} event of account ${accountId} has no detail.eventId`,
        );
      }
      return { accountId, position: `${writtenAt}#${String(i).padStart(4, '0')}`, eventId, event, writtenAt };
    });
    const items = entries.map((entry) => ({
      ...outboxKey(entry),
      GSI2PK: INDEX_PARTITION,
      GSI2SK: `${accountId}#${entry.position}`,
      [ITEM_TYPE_ATTRIBUTE]: OUTBOX_ITEM_TYPE,
      accountId,
      position: entry.position,
      eventId: entry.eventId,
      detailType: entry.event.detailType,
      writtenAt,
      event: JSON.stringify(entry.event),
      ttl,
    }));
    for (let i = 0; i < items.length; i += BATCH_WRITE_SIZE) {
      await this.batchWrite(
        `could not keep the unpublished events of ${accountId}`,
        items.slice(i, i + BATCH_WRITE_SIZE).map((Item) => ({ PutRequest: { Item } })),
      );
    }
    return entries;
  }

  async pending(accountId: string, limit: number): Promise<OutboxPage> {
    const page: OutboxPage = { entries: [], malformed: [] };
    let startKey: Record<string, unknown> | undefined;
    do {
      let output: QueryCommandOutput;
      try {
        output = await this.db.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
            ExpressionAttributeNames: { '#pk': 'PK', '#sk': 'SK' },
            ExpressionAttributeValues: { ':pk': outboxPartition(accountId), ':prefix': SORT_PREFIX },
            ConsistentRead: true,
            Limit: limit - page.entries.length,
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        );
      } catch (error) {
        throw await this.failure(`could not read the unpublished events of ${accountId}`, error);
      }
      for (const item of output.Items ?? []) {
        const read = readItem(item);
        if ('issues' in read) page.malformed.push(read);
        else page.entries.push(read);
      }
      startKey = output.LastEvaluatedKey;
    } while (startKey && page.entries.length < limit);
    return page;
  }

  async remove(entries: readonly OutboxEntry[]): Promise<void> {
    for (let i = 0; i < entries.length; i += BATCH_WRITE_SIZE) {
      const batch = entries.slice(i, i + BATCH_WRITE_SIZE);
      await this.batchWrite(
        `could not delete published events of ${batch[0]!.accountId} from the outbox`,
        batch.map((entry) => ({ DeleteRequest: { Key: outboxKey(entry) } })),
      );
    }
  }

  async accounts(): Promise<string[]> {
    const accounts = new Set<string>();
    let startKey: Record<string, unknown> | undefined;
    do {
      let output: QueryCommandOutput;
      try {
        output = await this.db.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: INDEX_BY_RULE,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': 'GSI2PK' },
            ExpressionAttributeValues: { ':pk': INDEX_PARTITION },
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        );
      } catch (error) {
        throw await this.failure('could not list the accounts with unpublished events', error);
      }
      for (const item of output.Items ?? []) {
        const pk = typeof item.PK === 'string' ? item.PK : '';
        if (pk.startsWith(PARTITION_PREFIX)) accounts.add(pk.slice(PARTITION_PREFIX.length));
      }
      startKey = output.LastEvaluatedKey;
    } while (startKey);
    return [...accounts].sort();
  }

  private async batchWrite(what: string, requests: Record<string, unknown>[]): Promise<void> {
    await batchWriteWithRetry(this.db, this.tableName, requests, {
      sleep: this.sleep,
      failure: (error) => this.failure(what, error),
      exhausted: (left, attempts) =>
        new EventOutboxError(`${what}: ${left} item(s) still unprocessed after ${attempts} attempts`),
    });
  }

  private async failure(what: string, error: unknown): Promise<EventOutboxError> {
    if ((error as { name?: unknown } | null)?.name === 'ResourceNotFoundException') {
      const region = await this.client.config.region().catch(() => undefined);
      return new EventOutboxError(missingTableMessage(this.tableName, region), { cause: error });
    }
    return new EventOutboxError(`${what}: ${describeError(error)}`, { cause: error });
  }
}

/** A stored item as the entry it holds, or what is wrong with it. */
function readItem(item: Record<string, unknown>): OutboxEntry | MalformedOutboxEntry {
  const key = { PK: String(item.PK), SK: String(item.SK) };
  const parsed = OutboxItemSchema.safeParse(item);
  if (!parsed.success) {
    return { key, issues: parsed.error.issues.map((i) => `${i.path.join('.') || '(item)'}: ${i.message}`) };
  }
  let json: unknown;
  try {
    json = JSON.parse(parsed.data.event);
  } catch (error) {
    return { key, issues: [`event: not JSON (${describeError(error)})`] };
  }
  const event = StoredEventSchema.safeParse(json);
  if (!event.success) {
    return { key, issues: event.error.issues.map((i) => `event.${i.path.join('.')}: ${i.message}`) };
  }
  if (event.data.detail.eventId !== parsed.data.eventId) {
    return { key, issues: ['event.detail.eventId does not match eventId'] };
  }
  const { accountId, position, eventId, writtenAt } = parsed.data;
  return {
    accountId,
    position,
    eventId,
    writtenAt,
    event: {
      detailType: event.data.detailType,
      detail: event.data.detail,
      ...(event.data.resources ? { resources: event.data.resources } : {}),
    },
  };
}
