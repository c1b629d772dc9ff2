import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { StoredActorSchema } from '../core/actor';
import { describeError } from '../core/describe-error';
import { ITEM_TYPE_ATTRIBUTE } from '../core/findings-table';
import { ownerHash } from '../core/slack/review-messages';
import type { ReviewMessageLog, ReviewMessageRecord } from '../use-cases/review-slack-ports';
import { missingTableMessage } from './dynamo-findings-store';

/**
 * Where each owner's review messages are, in the findings table, in a partition of their own per
 * campaign (the campaign's own partition belongs to the review store):
 *
 *   review message   PK REVIEWMSG#<campaignId>  SK <owner hash>#<seq, 3 digits>   TTL after the campaign
 *
 * A click names its message (channel and ts); this record says which items the message shows, so
 * the message is rebuilt with exactly those items once one is answered, and a repeated
 * ReviewCampaignStarted finds the owner's review posted already.
 */

export const REVIEW_MESSAGE_ITEM_TYPE = 'review-message';

export function reviewMessagePartition(campaignId: string): string {
  return `REVIEWMSG#${campaignId}`;
}

/** A review message record could not be written or read. */
export class ReviewMessageLogError extends Error {
  override readonly name = 'ReviewMessageLogError';
}

const RecordSchema = z.object({
  campaignId: z.string().min(1),
  owner: z.string().min(1),
  seq: z.number().int().min(1),
  index: z.number().int().min(1),
  count: z.number().int().min(1),
  handedOverBy: StoredActorSchema.optional(),
  channel: z.string().min(1),
  ts: z.string().min(1),
  itemIds: z.array(z.string().min(1)),
  postedAt: z.string().min(1),
});

export class DynamoReviewMessageLog implements ReviewMessageLog {
  private readonly db: DynamoDBDocumentClient;

  constructor(
    private readonly client: DynamoDBClient,
    readonly tableName: string,
  ) {
    this.db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async record(message: ReviewMessageRecord, expiresAt: Date): Promise<void> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            PK: reviewMessagePartition(message.campaignId),
            SK: `${ownerHash(message.owner)}#${String(message.seq).padStart(3, '0')}`,
            [ITEM_TYPE_ATTRIBUTE]: REVIEW_MESSAGE_ITEM_TYPE,
            ...message,
            ttl: Math.floor(expiresAt.getTime() / 1000),
          },
        }),
      );
    } catch (error) {
      throw await this.failure(
        `could not record review message ${message.seq} of campaign ${message.campaignId}`,
        error,
      );
    }
  }

  async list(campaignId: string, owner: string): Promise<ReviewMessageRecord[]> {
    const records: ReviewMessageRecord[] = [];
    const pages = paginateQuery(
      { client: this.db },
      {
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': 'PK', '#sk': 'SK' },
        ExpressionAttributeValues: {
          ':pk': reviewMessagePartition(campaignId),
          ':prefix': `${ownerHash(owner)}#`,
        },
        ConsistentRead: true,
      },
    );
    try {
      for await (const page of pages) {
        for (const item of page.Items ?? []) {
          const parsed = RecordSchema.safeParse(item);
          // Hashes may collide in theory: only this owner's records count.
          if (parsed.success && parsed.data.owner === owner) records.push(parsed.data);
        }
      }
    } catch (error) {
      throw await this.failure(`could not read the review messages of campaign ${campaignId}`, error);
    }
    return records.sort((a, b) => a.seq - b.seq);
  }

  private async failure(what: string, error: unknown): Promise<ReviewMessageLogError> {
    if ((error as { name?: unknown } | null)?.name === 'ResourceNotFoundException') {
      const region = await this.client.config.region().catch(() => undefined);
      return new ReviewMessageLogError(missingTableMessage(this.tableName, region), { cause: error });
    }
    return new ReviewMessageLogError(`${what}: ${describeError(error)}`, { cause: error });
  }
}
