import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  type QueryCommandInput,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { StoredActorSchema } from '../core/actor';
import type { BackoffPolicy, Sleep } from '../core/backoff';
import {
  INDEX_BY_STATUS,
  ITEM_TYPE_ATTRIBUTE,
  type ItemKey,
  KEY_ATTRIBUTES,
  reviewAttestationKey,
  reviewAttestationPartition,
  reviewCampaignIndexKeys,
  reviewCampaignKey,
  reviewCampaignStatePartition,
  reviewItemKey,
  reviewItemSortPrefix,
} from '../core/findings-table';
import { sortItems } from '../core/review/plan';
import {
  CAMPAIGN_STATES,
  type CampaignState,
  REVIEW_ANSWERS,
  type ReviewCampaign,
  type ReviewDecision,
  type ReviewHandoff,
  type ReviewItem,
} from '../core/review/types';
import type { Attestation, ReviewStore } from '../use-cases/review-ports';
import { batchWriteWithRetry } from './dynamo-batch-write';

const CAMPAIGN_TYPE = 'review-campaign';
const ITEM_TYPE = 'review-item';
const ATTESTATION_TYPE = 'review-attestation';
const BATCH_WRITE_LIMIT = 25;
const DAY_SECONDS = 86_400;
/** An attestation is kept this long past its expiry, so "expired" can still be shown. */
const ATTESTATION_KEEP_DAYS = 400;

/** A review item or campaign could not be read or written as expected. */
export class ReviewStoreError extends Error {
  override readonly name = 'ReviewStoreError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const DecisionSchema = z.looseObject({
  answer: z.enum(REVIEW_ANSWERS),
  by: StoredActorSchema,
  at: z.string(),
});

const StoredCampaignSchema = z.looseObject({
  campaignId: z.string().min(1),
  scope: z.string(),
  accountIds: z.array(z.string()),
  startedAt: z.string(),
  startedBy: StoredActorSchema,
  deadline: z.string(),
  remindAt: z.string(),
  state: z.enum(CAMPAIGN_STATES),
  owners: z.array(z.string()),
  itemCount: z.number().int().min(0),
  complete: z.boolean(),
});

const StoredItemSchema = z.looseObject({
  itemId: z.string().min(1),
  campaignId: z.string().min(1),
  owner: z.string().min(1),
  identityArn: z.string().min(1),
  identityKind: z.enum(['role', 'user', 'secret']),
  identityName: z.string(),
  accountId: z.string(),
  adminEquivalent: z.boolean(),
  canEscalate: z.boolean(),
  openFindings: z.array(z.looseObject({ ruleId: z.string(), severity: z.string(), findingId: z.string() })),
  risk: z.number(),
  decision: DecisionSchema.optional(),
});

const StoredAttestationSchema = z.looseObject({
  accountId: z.string(),
  identityArn: z.string(),
  campaignId: z.string(),
  itemId: z.string(),
  decision: DecisionSchema,
});

const BOOKKEEPING = new Set([...KEY_ATTRIBUTES, ITEM_TYPE_ATTRIBUTE, 'complete', 'ttl']);

function strip<T>(item: Record<string, unknown>): T {
  return Object.fromEntries(Object.entries(item).filter(([key]) => !BOOKKEEPING.has(key))) as T;
}

function parse<T>(schema: z.ZodType, item: Record<string, unknown>, what: string): T {
  const result = schema.safeParse(item);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(item)'}: ${i.message}`).join('; ');
    throw new ReviewStoreError(
      `stored ${what} ${String(item.PK)} / ${String(item.SK)} is malformed: ${issues}`,
    );
  }
  return strip<T>(item);
}

export interface DynamoReviewStoreOptions {
  /** Between attempts of a batch DynamoDB left unprocessed (tests pass a no-op). */
  sleep?: Sleep;
  backoff?: BackoffPolicy;
}

/**
 * Review campaigns in the findings table (single-table design, `core/findings-table.ts`). Every
 * state change is a conditional write from the state it comes from: an item is answered once,
 * reminded once, escalated once, moved once; a campaign is created once and closed once.
 */
export class DynamoReviewStore implements ReviewStore {
  private readonly documents: DynamoDBDocumentClient;
  private readonly sleep: Sleep;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly options: DynamoReviewStoreOptions = {},
  ) {
    this.documents = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /**
   * Three steps, each safe to repeat: the header (hidden: not in the state index) unless a complete
   * one exists; the items, in batches; then the header made complete and listed. Until then no
   * reader sees the campaign, so rewriting its items after an interrupted start loses no answer.
   */
  async createCampaign(campaign: ReviewCampaign, items: readonly ReviewItem[]): Promise<boolean> {
    const key = reviewCampaignKey(campaign.campaignId);
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...key, [ITEM_TYPE_ATTRIBUTE]: CAMPAIGN_TYPE, ...campaign, complete: false },
          ConditionExpression: 'attribute_not_exists(PK) OR complete = :false',
          ExpressionAttributeValues: { ':false': false },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw this.failure(`writing review campaign ${campaign.campaignId}`, error);
    }
    const requests = items.map((item) => ({
      PutRequest: {
        Item: {
          ...reviewItemKey(campaign.campaignId, item.owner, item.itemId),
          [ITEM_TYPE_ATTRIBUTE]: ITEM_TYPE,
          ...item,
        },
      },
    }));
    for (let start = 0; start < requests.length; start += BATCH_WRITE_LIMIT) {
      await batchWriteWithRetry(
        this.documents,
        this.tableName,
        requests.slice(start, start + BATCH_WRITE_LIMIT),
        {
          sleep: this.sleep,
          ...(this.options.backoff ? { backoff: this.options.backoff } : {}),
          failure: async (error) =>
            this.failure(`writing the items of review campaign ${campaign.campaignId}`, error),
          exhausted: (left, attempts) =>
            new ReviewStoreError(
              `${left} items of review campaign ${campaign.campaignId} stayed unprocessed after ${attempts} attempts`,
            ),
        },
      );
    }
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET complete = :true, GSI1PK = :pk, GSI1SK = :sk',
          ConditionExpression: 'complete = :false',
          ExpressionAttributeValues: {
            ':true': true,
            ':false': false,
            ':pk': reviewCampaignIndexKeys(campaign).GSI1PK,
            ':sk': reviewCampaignIndexKeys(campaign).GSI1SK,
          },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw this.failure(`completing review campaign ${campaign.campaignId}`, error);
    }
    return true;
  }

  async getCampaign(campaignId: string): Promise<ReviewCampaign | undefined> {
    const output = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: reviewCampaignKey(campaignId), ConsistentRead: true }),
    );
    if (!output.Item) return undefined;
    const stored = parse<ReviewCampaign & { complete?: boolean }>(
      StoredCampaignSchema,
      output.Item,
      'review campaign',
    );
    return output.Item.complete === true ? stored : undefined;
  }

  async listCampaigns(state?: CampaignState): Promise<ReviewCampaign[]> {
    const ids = await this.campaignIds(state ? [state] : CAMPAIGN_STATES);
    const campaigns: ReviewCampaign[] = [];
    for (const { campaignId } of ids) {
      const campaign = await this.getCampaign(campaignId);
      // The index is eventually consistent: keep only what is still in the state asked for.
      if (campaign && (!state || campaign.state === state)) campaigns.push(campaign);
    }
    return campaigns.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
  }

  async listItems(campaignId: string, owner?: string): Promise<ReviewItem[]> {
    const stored = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: {
        ':pk': reviewCampaignKey(campaignId).PK,
        ':prefix': reviewItemSortPrefix(owner),
      },
      ConsistentRead: true,
    });
    const items = stored.map((item) => parse<ReviewItem>(StoredItemSchema, item, 'review item'));
    // An owner id may itself hold `#`: the prefix of `a` also matches `a#b`'s items.
    return sortItems(owner === undefined ? items : items.filter((item) => item.owner === owner));
  }

  async getItem(campaignId: string, owner: string, itemId: string): Promise<ReviewItem | undefined> {
    const output = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: reviewItemKey(campaignId, owner, itemId),
        ConsistentRead: true,
      }),
    );
    return output.Item ? parse<ReviewItem>(StoredItemSchema, output.Item, 'review item') : undefined;
  }

  async decide(
    campaignId: string,
    owner: string,
    itemId: string,
    decision: ReviewDecision,
  ): Promise<ReviewItem | undefined> {
    return this.update(
      reviewItemKey(campaignId, owner, itemId),
      'SET decision = :decision',
      'attribute_exists(PK) AND attribute_not_exists(decision)',
      { ':decision': decision },
    );
  }

  async reassign(
    campaignId: string,
    fromOwner: string,
    itemId: string,
    toOwner: string,
    handoff: ReviewHandoff,
  ): Promise<ReviewItem | undefined> {
    const current = await this.getItem(campaignId, fromOwner, itemId);
    if (!current) return undefined;
    const { decision: _decision, remindedAt: _reminded, escalatedAt: _escalated, ...rest } = current;
    const moved: ReviewItem = { ...rest, owner: toOwner, handoffs: [...(current.handoffs ?? []), handoff] };
    try {
      await this.documents.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Delete: {
                TableName: this.tableName,
                Key: reviewItemKey(campaignId, fromOwner, itemId),
                // Undecided, or "not mine" without a new owner: the escalation channel resolving it.
                ConditionExpression:
                  'attribute_exists(PK) AND (attribute_not_exists(decision) OR (decision.answer = :notMine AND attribute_not_exists(decision.reassignedTo)))',
                ExpressionAttributeValues: { ':notMine': 'not-mine' },
              },
            },
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  ...reviewItemKey(campaignId, toOwner, itemId),
                  [ITEM_TYPE_ATTRIBUTE]: ITEM_TYPE,
                  ...moved,
                },
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            },
          ],
        }),
      );
    } catch (error) {
      if (error instanceof TransactionCanceledException) {
        if ((error.CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed'))
          return undefined;
      }
      throw this.failure(`moving review item ${itemId} of campaign ${campaignId} to ${toOwner}`, error);
    }
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: reviewCampaignKey(campaignId),
          UpdateExpression: 'SET owners = list_append(owners, :owner)',
          ConditionExpression: 'attribute_exists(PK) AND NOT contains(owners, :name)',
          ExpressionAttributeValues: { ':owner': [toOwner], ':name': toOwner },
        }),
      );
    } catch (error) {
      // The owner is listed already: nothing to add.
      if (!(error instanceof ConditionalCheckFailedException)) {
        throw this.failure(`adding owner ${toOwner} to review campaign ${campaignId}`, error);
      }
    }
    return moved;
  }

  async markReminded(campaignId: string, owner: string, itemId: string, at: Date): Promise<boolean> {
    const updated = await this.update(
      reviewItemKey(campaignId, owner, itemId),
      'SET remindedAt = :at',
      'attribute_exists(PK) AND attribute_not_exists(remindedAt) AND attribute_not_exists(decision)',
      { ':at': at.toISOString() },
    );
    return updated !== undefined;
  }

  async markEscalated(campaignId: string, owner: string, itemId: string, at: Date): Promise<boolean> {
    const updated = await this.update(
      reviewItemKey(campaignId, owner, itemId),
      'SET escalatedAt = :at',
      'attribute_exists(PK) AND attribute_not_exists(escalatedAt) AND attribute_not_exists(decision)',
      { ':at': at.toISOString() },
    );
    return updated !== undefined;
  }

  async close(campaignId: string, at: Date): Promise<boolean> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: reviewCampaignKey(campaignId),
          UpdateExpression: 'SET #state = :closed, closedAt = :at, GSI1PK = :pk',
          ConditionExpression: '#state = :open AND complete = :true',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':closed': 'closed',
            ':open': 'open',
            ':true': true,
            ':at': at.toISOString(),
            ':pk': reviewCampaignStatePartition('closed'),
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw this.failure(`closing review campaign ${campaignId}`, error);
    }
  }

  /** The latest "keep" wins: an older answer arriving late does not replace a newer one. */
  async putAttestation(accountId: string, identityArn: string, attestation: Attestation): Promise<void> {
    const until = attestation.decision.attestedUntil
      ? Date.parse(attestation.decision.attestedUntil)
      : Number.NaN;
    const ttl = Number.isNaN(until)
      ? undefined
      : Math.floor(until / 1000) + ATTESTATION_KEEP_DAYS * DAY_SECONDS;
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...reviewAttestationKey(accountId, identityArn),
            [ITEM_TYPE_ATTRIBUTE]: ATTESTATION_TYPE,
            ...attestation,
            ...(ttl ? { ttl } : {}),
          },
          ConditionExpression: 'attribute_not_exists(PK) OR decision.#at <= :at',
          ExpressionAttributeNames: { '#at': 'at' },
          ExpressionAttributeValues: { ':at': attestation.decision.at },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return;
      throw this.failure(`writing the attestation of ${identityArn}`, error);
    }
  }

  async listAttestations(accountId: string): Promise<Attestation[]> {
    const stored = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': reviewAttestationPartition(accountId) },
      ConsistentRead: true,
    });
    return stored.map((item) => parse<Attestation>(StoredAttestationSchema, item, 'review attestation'));
  }

  /**
   * From the state index's keys alone: the sort key holds the start instant and the campaign id,
   * whose first part is the rhythm and last part the account (`quarterly.2026-Q4.123456789012`).
   */
  async lastStartedByRhythm(accountId?: string): Promise<Record<string, string>> {
    const latest: Record<string, string> = {};
    for (const { campaignId, startedAt } of await this.campaignIds(CAMPAIGN_STATES)) {
      const parts = campaignId.split('.');
      const rhythm = parts[0]!;
      if (rhythm === 'manual' || parts.length < 3) continue;
      if (accountId !== undefined && parts[parts.length - 1] !== accountId) continue;
      if (!latest[rhythm] || latest[rhythm] < startedAt) latest[rhythm] = startedAt;
    }
    return latest;
  }

  private async campaignIds(states: readonly string[]): Promise<{ campaignId: string; startedAt: string }[]> {
    const out: { campaignId: string; startedAt: string }[] = [];
    for (const state of states) {
      const keys = await this.queryAll({
        TableName: this.tableName,
        IndexName: INDEX_BY_STATUS,
        KeyConditionExpression: 'GSI1PK = :pk',
        ExpressionAttributeValues: { ':pk': reviewCampaignStatePartition(state) },
        ScanIndexForward: false,
      });
      for (const key of keys) {
        const sortKey = String(key.GSI1SK ?? '');
        const hash = sortKey.indexOf('#');
        if (hash < 0) throw new ReviewStoreError(`review campaign index key ${sortKey} is malformed`);
        out.push({ startedAt: sortKey.slice(0, hash), campaignId: sortKey.slice(hash + 1) });
      }
    }
    return out;
  }

  private async queryAll(input: QueryCommandInput): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    try {
      for await (const page of paginateQuery({ client: this.documents }, input))
        out.push(...(page.Items ?? []));
    } catch (error) {
      throw this.failure('querying review items', error);
    }
    return out;
  }

  private async update(
    key: ItemKey,
    expression: string,
    condition: string,
    values: Record<string, unknown>,
  ): Promise<ReviewItem | undefined> {
    try {
      const output = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: expression,
          ConditionExpression: condition,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return output.Attributes
        ? parse<ReviewItem>(StoredItemSchema, output.Attributes, 'review item')
        : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw this.failure(`updating review item ${key.PK} / ${key.SK}`, error);
    }
  }

  private failure(what: string, error: unknown): Error {
    if (error instanceof ReviewStoreError) return error;
    const name = error instanceof Error ? error.name : 'Error';
    const message = error instanceof Error ? error.message : String(error);
    return new ReviewStoreError(`${what} failed: ${name}: ${message}`, { cause: error });
  }
}
