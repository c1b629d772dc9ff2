import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { StoredActorSchema } from '../core/actor';
import {
  INDEX_BY_STATUS,
  ITEM_TYPE_ATTRIBUTE,
  KEY_ATTRIBUTES,
  remediationLockKey,
  remediationRequestItemKeys,
  remediationRequestKey,
  remediationStatePartition,
} from '../core/findings-table';
import {
  ActiveRequestExistsError,
  canTransition,
  holdsFindingLock,
  REQUEST_STATES,
  type RemediationRequest,
  type RequestState,
} from '../core/remediation/request';
import { formatIssues } from '../core/settings';
import type { RemediationRequestStore } from '../use-cases/remediation-ports';

const ITEM_TYPE = 'remediation-request';
const LOCK_ITEM_TYPE = 'remediation-lock';
const BATCH_GET_LIMIT = 100;
const BATCH_GET_ATTEMPTS = 5;

/** A stored request could not be read or written as expected. */
export class RemediationStoreError extends Error {
  override readonly name = 'RemediationStoreError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The fields every stored request must have; the rest is kept as stored. */
const StoredRequestSchema = z.looseObject({
  requestId: z.string().min(1),
  findingId: z.string().min(1),
  accountId: z.string(),
  ruleId: z.string(),
  resourceArn: z.string(),
  actions: z.array(z.string()),
  state: z.enum(REQUEST_STATES),
  version: z.number().int().min(1),
  createdAt: z.string(),
  expiresAt: z.string(),
  requestedBy: StoredActorSchema,
  // The audit trail: whoever a decision or a rollback is recorded against must be a whole actor.
  approvedBy: StoredActorSchema.optional(),
  rejectedBy: StoredActorSchema.optional(),
  rollbackRequestedBy: StoredActorSchema.optional(),
  rolledBackBy: StoredActorSchema.optional(),
  plan: z.looseObject({ outcome: z.literal('plan'), steps: z.array(z.looseObject({ action: z.string() })) }),
  steps: z
    .array(z.looseObject({ step: z.looseObject({ action: z.string() }), status: z.string() }))
    .optional(),
  finding: z.looseObject({ id: z.string() }),
});

/**
 * Fields a transition may not set through `changes`: identity, state and bookkeeping, and what the
 * request recorded when it was created (who asked, for which finding, which plan), which the audit
 * trail relies on staying as created.
 */
const RESERVED_FIELDS = new Set([
  'requestId',
  'state',
  'version',
  ITEM_TYPE_ATTRIBUTE,
  ...KEY_ATTRIBUTES,
  'requestedBy',
  'createdAt',
  'findingId',
  'accountId',
  'ruleId',
  'resourceArn',
  'subResource',
  'actions',
  'plan',
  'finding',
]);

/**
 * Remediation requests in the findings table (single-table design, `core/findings-table.ts`): one
 * item per request, keyed by id, and listed by state through the `by-status` index. Every write
 * after `create` is conditional on the state the caller expects and increments `version`, so of
 * two concurrent transitions from one state exactly one succeeds.
 */
export class DynamoRemediationRequestStore implements RemediationRequestStore {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.documents = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  /**
   * Writes the request and its finding's lock in one transaction, each conditional on being absent.
   * A lock left by a request that has ended without releasing it (one written before locks existed,
   * or a lost release) is taken over, conditional on still naming that request.
   */
  async create(request: RemediationRequest): Promise<void> {
    if (request.state !== 'pending') {
      throw new RemediationStoreError(`a new request must be pending, not ${request.state}`);
    }
    const cancelled = await this.createWithLock(request, undefined);
    if (cancelled === undefined) return;
    if (cancelled.request) {
      throw new RemediationStoreError(`remediation request ${request.requestId} already exists`, {
        cause: cancelled.error,
      });
    }
    const holder = await this.lockHolder(request.findingId);
    if (holder !== undefined) {
      const active = await this.get(holder);
      if (active && holdsFindingLock(active.state)) {
        throw new ActiveRequestExistsError(request.findingId, holder, active.state, {
          cause: cancelled.error,
        });
      }
    }
    const retried = await this.createWithLock(request, holder);
    if (retried === undefined) return;
    if (retried.request) {
      throw new RemediationStoreError(`remediation request ${request.requestId} already exists`, {
        cause: retried.error,
      });
    }
    // Another request took the stale lock first.
    const winner = await this.lockHolder(request.findingId);
    throw new ActiveRequestExistsError(request.findingId, winner ?? holder ?? 'unknown', undefined, {
      cause: retried.error,
    });
  }

  /**
   * One attempt at the create transaction. `staleHolder` set: the lock may exist, naming that ended
   * request. Returns undefined when written, else which condition failed.
   */
  private async createWithLock(
    request: RemediationRequest,
    staleHolder: string | undefined,
  ): Promise<{ request: boolean; lock: boolean; error: unknown } | undefined> {
    try {
      await this.documents.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  ...request,
                  ...remediationRequestItemKeys(request),
                  [ITEM_TYPE_ATTRIBUTE]: ITEM_TYPE,
                },
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            },
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  ...remediationLockKey(request.findingId),
                  [ITEM_TYPE_ATTRIBUTE]: LOCK_ITEM_TYPE,
                  findingId: request.findingId,
                  requestId: request.requestId,
                  lockedAt: request.createdAt,
                },
                ...(staleHolder === undefined
                  ? { ConditionExpression: 'attribute_not_exists(PK)' }
                  : {
                      ConditionExpression: 'attribute_not_exists(PK) OR requestId = :holder',
                      ExpressionAttributeValues: { ':holder': staleHolder },
                    }),
              },
            },
          ],
        }),
      );
      return undefined;
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      const failed = (index: number) => reasons[index]?.Code === 'ConditionalCheckFailed';
      if (!failed(0) && !failed(1)) throw error;
      return { request: failed(0), lock: failed(1), error };
    }
  }

  /** The request named by a finding's lock, or undefined when the finding has none. */
  private async lockHolder(findingId: string): Promise<string | undefined> {
    const output = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: remediationLockKey(findingId), ConsistentRead: true }),
    );
    const holder = output.Item?.requestId;
    return typeof holder === 'string' && holder.length > 0 ? holder : undefined;
  }

  async get(requestId: string): Promise<RemediationRequest | undefined> {
    const output = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: remediationRequestKey(requestId),
        ConsistentRead: true,
      }),
    );
    return output.Item ? toRequest(output.Item) : undefined;
  }

  async transition(
    requestId: string,
    from: RequestState,
    to: RequestState,
    changes: Partial<RemediationRequest>,
  ): Promise<RemediationRequest | undefined> {
    if (!canTransition(from, to)) {
      throw new RemediationStoreError(`a request cannot go from ${from} to ${to}`);
    }
    const names: Record<string, string> = { '#state': 'state', '#version': 'version', '#gsi1pk': 'GSI1PK' };
    const values: Record<string, unknown> = {
      ':from': from,
      ':to': to,
      ':one': 1,
      ':partition': remediationStatePartition(to),
    };
    const sets = ['#state = :to', '#version = #version + :one', '#gsi1pk = :partition'];
    for (const [index, [field, value]] of Object.entries(changes).entries()) {
      if (value === undefined) continue;
      if (RESERVED_FIELDS.has(field)) throw new RemediationStoreError(`a transition cannot change ${field}`);
      names[`#f${index}`] = field;
      values[`:f${index}`] = value;
      sets.push(`#f${index} = :f${index}`);
    }
    const update = {
      TableName: this.tableName,
      Key: { ...remediationRequestKey(requestId) },
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: 'attribute_exists(PK) AND #state = :from',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    };
    if (holdsFindingLock(from) && !holdsFindingLock(to))
      return this.transitionReleasingLock(requestId, update);
    return this.conditionalUpdate(update);
  }

  /**
   * A move that ends the request: the update and the deletion of its finding's lock in one
   * transaction. The lock is deleted only while it names this request (or is already gone, as for a
   * request written before locks existed), so a lock taken over by a newer request stays.
   */
  private async transitionReleasingLock(
    requestId: string,
    update: ConditionalUpdate,
  ): Promise<RemediationRequest | undefined> {
    const current = await this.get(requestId);
    if (!current) return undefined;
    try {
      await this.documents.send(
        new TransactWriteCommand({
          TransactItems: [
            { Update: update },
            {
              Delete: {
                TableName: this.tableName,
                Key: remediationLockKey(current.findingId),
                ConditionExpression: 'attribute_not_exists(PK) OR requestId = :request',
                ExpressionAttributeValues: { ':request': requestId },
              },
            },
          ],
        }),
      );
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      if (reasons[0]?.Code === 'ConditionalCheckFailed') return undefined;
      if (reasons[1]?.Code === 'ConditionalCheckFailed') {
        // The lock names another request: this one's move must not release it.
        return this.conditionalUpdate(update);
      }
      throw error;
    }
    return this.get(requestId);
  }

  /** One conditional update; undefined when its condition failed. */
  private async conditionalUpdate(update: ConditionalUpdate): Promise<RemediationRequest | undefined> {
    try {
      const output = await this.documents.send(new UpdateCommand({ ...update, ReturnValues: 'ALL_NEW' }));
      return output.Attributes ? toRequest(output.Attributes) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async setSlackMessage(requestId: string, slack: { channel: string; ts: string }): Promise<void> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: remediationRequestKey(requestId),
          UpdateExpression: 'SET #slack = :slack, #version = #version + :one',
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeNames: { '#slack': 'slack', '#version': 'version' },
          ExpressionAttributeValues: { ':slack': { channel: slack.channel, ts: slack.ts }, ':one': 1 },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new RemediationStoreError(`remediation request ${requestId} does not exist`, { cause: error });
      }
      throw error;
    }
  }

  async adoptSlackMessage(
    requestId: string,
    slack: { channel: string; ts: string },
  ): Promise<{ channel: string; ts: string } | undefined> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: remediationRequestKey(requestId),
          UpdateExpression: 'SET #slack = :slack, #version = #version + :one',
          ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(#slack)',
          ExpressionAttributeNames: { '#slack': 'slack', '#version': 'version' },
          ExpressionAttributeValues: { ':slack': { channel: slack.channel, ts: slack.ts }, ':one': 1 },
        }),
      );
      return { channel: slack.channel, ts: slack.ts };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return (await this.get(requestId))?.slack;
      throw error;
    }
  }

  async saveSteps(requestId: string, steps: RemediationRequest['steps']): Promise<void> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: remediationRequestKey(requestId),
          UpdateExpression: 'SET #steps = :steps, #version = #version + :one',
          ConditionExpression: 'attribute_exists(PK) AND #state = :executing',
          ExpressionAttributeNames: { '#steps': 'steps', '#version': 'version', '#state': 'state' },
          ExpressionAttributeValues: { ':steps': steps ?? [], ':one': 1, ':executing': 'executing' },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new RemediationStoreError(`remediation request ${requestId} is no longer executing`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  /** Requests in one state, oldest first. */
  async listByState(state: RequestState, limit = 100): Promise<RemediationRequest[]> {
    const ids: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: INDEX_BY_STATUS,
          KeyConditionExpression: 'GSI1PK = :partition',
          ExpressionAttributeValues: { ':partition': remediationStatePartition(state) },
          Limit: limit - ids.length,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        const id =
          typeof item.PK === 'string' && item.PK.startsWith('REQUEST#') ? item.PK.slice(8) : undefined;
        if (id) ids.push(id);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey && ids.length < limit);

    const requests = await this.batchGet(ids);
    // The index is eventually consistent: keep only what is still in the state asked for.
    return ids.flatMap((id) => {
      const request = requests.get(id);
      return request && request.state === state ? [request] : [];
    });
  }

  private async batchGet(ids: readonly string[]): Promise<Map<string, RemediationRequest>> {
    const out = new Map<string, RemediationRequest>();
    for (let start = 0; start < ids.length; start += BATCH_GET_LIMIT) {
      let keys: Record<string, unknown>[] = ids
        .slice(start, start + BATCH_GET_LIMIT)
        .map((id) => ({ ...remediationRequestKey(id) }));
      for (let attempt = 1; keys.length > 0; attempt++) {
        if (attempt > BATCH_GET_ATTEMPTS) {
          throw new RemediationStoreError(
            `${keys.length} remediation requests stayed unprocessed by BatchGetItem`,
          );
        }
        const output = await this.documents.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }),
        );
        for (const item of output.Responses?.[this.tableName] ?? []) {
          const request = toRequest(item);
          out.set(request.requestId, request);
        }
        keys = (output.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, unknown>[];
      }
    }
    return out;
  }
}

interface ConditionalUpdate {
  TableName: string;
  Key: Record<string, string>;
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
}

/** A stored item as a request: key attributes dropped, the essential fields checked. */
function toRequest(item: Record<string, unknown>): RemediationRequest {
  const record: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(item)) {
    if (!KEY_ATTRIBUTES.includes(key) && key !== ITEM_TYPE_ATTRIBUTE) record[key] = value;
  }
  const parsed = StoredRequestSchema.safeParse(record);
  if (!parsed.success) {
    const where = typeof item.PK === 'string' ? item.PK : 'an item';
    const issues = formatIssues(parsed.error).join('; ');
    throw new RemediationStoreError(`stored remediation request ${where} is malformed: ${issues}`);
  }
  return parsed.data as unknown as RemediationRequest;
}
