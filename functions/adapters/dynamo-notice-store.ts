import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandOutput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { describeError } from '../core/describe-error';
import { ITEM_TYPE_ATTRIBUTE } from '../core/findings-table';
import { SEVERITIES, type Severity, severityRank } from '../core/rule';
import { DIGEST_TOP, type Digest, type DigestFinding } from '../core/slack/notice-messages';
import type { NoticeStore, SlotClaim } from '../use-cases/notice-ports';
import { missingTableMessage } from './dynamo-findings-store';

/**
 * The notify-only budget and digests in the findings table, in a partition per Slack channel:
 *
 *   hourly budget    PK NOTICE#<channel>  SK HOUR#<YYYY-MM-DDTHH>              count, keys, posted; TTL 2 days
 *   digest entry     PK NOTICE#<channel>  SK DIGEST#<YYYY-MM-DD>#<rank>#<id>   one per finding; TTL 3 days
 *   digest marker    PK NOTICE#<channel>  SK DIGESTPOSTED#<YYYY-MM-DD>         posting / posted / released
 *
 * The budget is one conditional update (the count below the limit and the key not yet in the
 * set), so concurrent notifier invocations never exceed it. Digest entries sort by severity, so the
 * worst come first; the marker is claimed with a conditional put, so one invocation posts a day's
 * digest, and a claim older than `STALE_CLAIM_MS` (an invocation that died while posting) can be
 * taken again. Nothing here carries index keys.
 */

export const NOTICE_ITEM_TYPES = {
  budget: 'notice-budget',
  digestEntry: 'notice-digest-entry',
  digestMarker: 'notice-digest-marker',
} as const;
const BUDGET_TTL_S = 2 * 86_400;
const DIGEST_TTL_S = 3 * 86_400;
/** Longer than the notify function's timeout: a claim this old belongs to an invocation that died. */
export const STALE_CLAIM_MS = 15 * 60_000;

export function noticePartition(channel: string): string {
  return `NOTICE#${channel}`;
}

/** A notice store request failed in a way a retry does not fix. */
export class NoticeStoreError extends Error {
  override readonly name = 'NoticeStoreError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const DigestEntrySchema = z.object({
  id: z.string().min(1),
  accountId: z.string().min(1),
  ruleId: z.string().min(1),
  title: z.string(),
  severity: z.enum(SEVERITIES),
  resourceArn: z.string(),
});

export class DynamoNoticeStore implements NoticeStore {
  private readonly db: DynamoDBDocumentClient;

  constructor(
    private readonly client: DynamoDBClient,
    readonly tableName: string,
  ) {
    this.db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async claimSlot(channel: string, hour: string, key: string, limit: number): Promise<SlotClaim> {
    const Key = { PK: noticePartition(channel), SK: `HOUR#${hour}` };
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key,
          UpdateExpression: 'ADD #count :one, #keys :key SET #ttl = :ttl, #type = :type',
          ConditionExpression:
            '(attribute_not_exists(#count) OR #count < :limit) AND (attribute_not_exists(#keys) OR NOT contains(#keys, :k))',
          ExpressionAttributeNames: {
            '#count': 'count',
            '#keys': 'keys',
            '#ttl': 'ttl',
            '#type': ITEM_TYPE_ATTRIBUTE,
          },
          ExpressionAttributeValues: {
            ':one': 1,
            ':key': new Set([key]),
            ':k': key,
            ':limit': limit,
            ':ttl': Math.floor(Date.parse(`${hour}:00:00Z`) / 1000) + BUDGET_TTL_S,
            ':type': NOTICE_ITEM_TYPES.budget,
          },
        }),
      );
      return 'granted';
    } catch (error) {
      if ((error as { name?: unknown } | null)?.name !== 'ConditionalCheckFailedException') {
        throw await this.failure(`could not count the notices of channel ${channel}`, error);
      }
    }
    let item: Record<string, unknown> | undefined;
    try {
      item = (await this.db.send(new GetCommand({ TableName: this.tableName, Key, ConsistentRead: true })))
        .Item;
    } catch (error) {
      throw await this.failure(`could not read the notices of channel ${channel}`, error);
    }
    const keys = item?.keys instanceof Set ? item.keys : new Set();
    const posted = item?.posted instanceof Set ? item.posted : new Set();
    if (!keys.has(key)) return 'exhausted';
    return posted.has(key) ? 'posted' : 'granted';
  }

  async markPosted(channel: string, hour: string, key: string): Promise<void> {
    await this.update(`could not record a notice of channel ${channel}`, {
      Key: { PK: noticePartition(channel), SK: `HOUR#${hour}` },
      UpdateExpression: 'ADD #posted :key',
      ExpressionAttributeNames: { '#posted': 'posted' },
      ExpressionAttributeValues: { ':key': new Set([key]) },
    });
  }

  async addToDigest(channel: string, day: string, finding: DigestFinding): Promise<void> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            PK: noticePartition(channel),
            SK: `DIGEST#${day}#${severityRank(finding.severity)}#${finding.id}`,
            [ITEM_TYPE_ATTRIBUTE]: NOTICE_ITEM_TYPES.digestEntry,
            ...finding,
            ttl: Math.floor(Date.parse(`${day}T00:00:00Z`) / 1000) + DIGEST_TTL_S,
          },
        }),
      );
    } catch (error) {
      throw await this.failure(`could not add a finding to the digest of channel ${channel}`, error);
    }
  }

  async digestTaken(channel: string, day: string, now: Date): Promise<boolean> {
    let item: Record<string, unknown> | undefined;
    try {
      item = (
        await this.db.send(
          new GetCommand({
            TableName: this.tableName,
            Key: this.markerKey(channel, day),
            ConsistentRead: true,
          }),
        )
      ).Item;
    } catch (error) {
      throw await this.failure(`could not read the digest state of channel ${channel}`, error);
    }
    if (!item || item.state === 'released') return false;
    if (item.state === 'posting') return now.getTime() - Date.parse(String(item.claimedAt)) < STALE_CLAIM_MS;
    return true;
  }

  async readDigest(channel: string, day: string): Promise<Digest | undefined> {
    const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
    const top: DigestFinding[] = [];
    let found = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      let output: QueryCommandOutput;
      try {
        output = await this.db.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
            ExpressionAttributeNames: { '#pk': 'PK', '#sk': 'SK' },
            ExpressionAttributeValues: { ':pk': noticePartition(channel), ':prefix': `DIGEST#${day}#` },
            ConsistentRead: true,
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        );
      } catch (error) {
        throw await this.failure(`could not read the digest of channel ${channel}`, error);
      }
      for (const item of output.Items ?? []) {
        const entry = DigestEntrySchema.safeParse(item);
        // A damaged entry is left out of the digest rather than blocking it.
        if (!entry.success) continue;
        found++;
        counts[entry.data.severity]++;
        if (top.length < DIGEST_TOP) top.push(entry.data);
      }
      startKey = output.LastEvaluatedKey;
    } while (startKey);
    return found > 0 ? { day, counts, top } : undefined;
  }

  async claimDigest(channel: string, day: string, now: Date): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...this.markerKey(channel, day),
            [ITEM_TYPE_ATTRIBUTE]: NOTICE_ITEM_TYPES.digestMarker,
            state: 'posting',
            claimedAt: now.toISOString(),
            ttl: Math.floor(Date.parse(`${day}T00:00:00Z`) / 1000) + DIGEST_TTL_S,
          },
          ConditionExpression:
            'attribute_not_exists(PK) OR #state = :released OR (#state = :posting AND #claimedAt < :stale)',
          ExpressionAttributeNames: { '#state': 'state', '#claimedAt': 'claimedAt' },
          ExpressionAttributeValues: {
            ':released': 'released',
            ':posting': 'posting',
            ':stale': new Date(now.getTime() - STALE_CLAIM_MS).toISOString(),
          },
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException') return false;
      throw await this.failure(`could not claim the digest of channel ${channel}`, error);
    }
  }

  async markDigestPosted(channel: string, day: string, ts: string): Promise<void> {
    await this.update(`could not record the digest of channel ${channel}`, {
      Key: this.markerKey(channel, day),
      UpdateExpression: 'SET #state = :posted, #ts = :ts',
      ExpressionAttributeNames: { '#state': 'state', '#ts': 'ts' },
      ExpressionAttributeValues: { ':posted': 'posted', ':ts': ts },
    });
  }

  async releaseDigest(channel: string, day: string): Promise<void> {
    await this.update(`could not release the digest of channel ${channel}`, {
      Key: this.markerKey(channel, day),
      UpdateExpression: 'SET #state = :released',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':released': 'released' },
    });
  }

  private markerKey(channel: string, day: string) {
    return { PK: noticePartition(channel), SK: `DIGESTPOSTED#${day}` };
  }

  private async update(
    what: string,
    input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName'>,
  ): Promise<void> {
    try {
      await this.db.send(new UpdateCommand({ TableName: this.tableName, ...input }));
    } catch (error) {
      throw await this.failure(what, error);
    }
  }

  private async failure(what: string, error: unknown): Promise<NoticeStoreError> {
    if ((error as { name?: unknown } | null)?.name === 'ResourceNotFoundException') {
      const region = await this.client.config.region().catch(() => undefined);
      return new NoticeStoreError(missingTableMessage(this.tableName, region), { cause: error });
    }
    return new NoticeStoreError(`${what}: ${describeError(error)}`, { cause: error });
  }
}
