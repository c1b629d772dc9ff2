import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { StoredActorSchema } from '../core/actor';
import { INDEX_BY_STATUS, ITEM_TYPE_ATTRIBUTE, KEY_ATTRIBUTES } from '../core/findings-table';
import { canTransition } from '../core/jit/approval';
import {
  ELEVATION_STATES,
  type ElevationApproval,
  type ElevationRequest,
  type ElevationState,
  type Eligibility,
} from '../core/jit/types';
import { formatIssues } from '../core/settings';
import type { JitStore } from '../use-cases/jit-ports';

const REQUEST_ITEM_TYPE = 'elevation-request';
const ELIGIBILITY_ITEM_TYPE = 'elevation-eligibility';
const GRANT_PREFIX = 'JIT#';
const ELIGIBILITY_PREFIX = 'JITELIGIBLE#';
const BATCH_GET_LIMIT = 100;
const BATCH_GET_ATTEMPTS = 5;

/**
 * How long a request stays in the table after its window (or its approval deadline) ends: the
 * audit trail of who asked, who approved and when it was revoked outlives the grant by this much.
 */
export const ELEVATION_RECORD_TTL_DAYS = 400;

/** A stored elevation could not be read or written as expected. */
export class JitStoreError extends Error {
  override readonly name: string = 'JitStoreError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A stored item that could not be read as what its key says it is. */
export interface MalformedJitItem {
  key: { PK: string; SK: string };
  issues: string[];
}

/**
 * Stored items of a listing could not be read: each is named, and the items that could be read
 * are kept on the error, so a caller may still act on them.
 */
export class MalformedJitItemsError extends JitStoreError {
  override readonly name = 'MalformedJitItemsError';
  constructor(
    readonly items: readonly MalformedJitItem[],
    readonly readable: readonly unknown[],
  ) {
    super(
      `${items.length} stored elevation item${items.length === 1 ? ' is' : 's are'} malformed: ${items
        .map((item) => `${item.key.PK} / ${item.key.SK}: ${item.issues.join('; ')}`)
        .join(' | ')}`,
    );
  }
}

export function elevationRequestKey(grantId: string): { PK: string; SK: string } {
  return { PK: `${GRANT_PREFIX}${grantId}`, SK: 'GRANT' };
}

/** `by-status` partition of the elevation requests in one state. */
export function elevationStatePartition(state: ElevationState): string {
  return `${GRANT_PREFIX}${state}`;
}

/** `by-status` sort key: granted ones by when they end (the revoker's order), the others by when asked. */
export function elevationStateSortKey(
  request: Pick<ElevationRequest, 'grantId' | 'endsAt' | 'requestedAt'>,
  state: ElevationState,
): string {
  return `${state === 'granted' ? request.endsAt : request.requestedAt}#${request.grantId}`;
}

export function eligibilityKey(
  accountId: string,
  principalArn: string,
  profile: string,
): { PK: string; SK: string } {
  return { PK: `${ELIGIBILITY_PREFIX}${accountId}`, SK: `${principalArn}#${profile}` };
}

const StoredRequestSchema = z.looseObject({
  grantId: z.string().min(1),
  accountId: z.string().min(1),
  profile: z.string().min(1),
  principalArn: z.string().min(1),
  principalKind: z.enum(['role', 'user']),
  requestedBy: StoredActorSchema,
  requestedAt: z.string().min(1),
  reason: z.string(),
  startsAt: z.string().min(1),
  endsAt: z.string().min(1),
  statements: z.array(z.record(z.string(), z.unknown())),
  grantHash: z.string().min(1),
  breakGlass: z.boolean(),
  requiredApprovals: z.number().int().min(1),
  approvals: z.array(z.looseObject({ by: StoredActorSchema, at: z.string(), grantHash: z.string() })),
  state: z.enum(ELEVATION_STATES),
  expiresAt: z.string().min(1),
  policyName: z.string().min(1),
  revokedBy: StoredActorSchema.optional(),
  rejectedBy: StoredActorSchema.optional(),
  slack: z.object({ channel: z.string(), ts: z.string() }).optional(),
});

const StoredEligibilitySchema = z.looseObject({
  principalArn: z.string().min(1),
  profile: z.string().min(1),
  accountId: z.string().min(1),
  grantedBy: StoredActorSchema,
  createdAt: z.string().min(1),
  sourceRequestId: z.string().optional(),
  lastUsedAt: z.string().optional(),
});

/**
 * What a request recorded when it was asked for, which the approvals were given against: a
 * transition may not change it (a changed grant needs a new request and new approvals).
 */
const RESERVED_FIELDS = new Set<string>([
  ...KEY_ATTRIBUTES,
  ITEM_TYPE_ATTRIBUTE,
  'ttl',
  'grantId',
  'accountId',
  'profile',
  'principalArn',
  'principalKind',
  'requestedBy',
  'requestedAt',
  'reason',
  'startsAt',
  'endsAt',
  'statements',
  'grantHash',
  'breakGlass',
  'requiredApprovals',
  'approvals',
  'state',
  'expiresAt',
  'policyName',
]);

export interface DynamoJitStoreOptions {
  /**
   * Told about each stored item a listing could not read; the listing then returns the others.
   * Unset, a listing that met one throws `MalformedJitItemsError` once it has read everything.
   */
  onMalformed?: (item: MalformedJitItem) => void;
}

/**
 * Elevation requests and run-time eligibilities in the findings table (single-table design, see
 * `core/findings-table.ts`). A request is one item, keyed by its grant id and listed by state
 * through the `by-status` index. Every write after `create` is conditional on the state the
 * caller expects, so of two concurrent moves from one state exactly one succeeds.
 */
export class DynamoJitStore implements JitStore {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly options: DynamoJitStoreOptions = {},
  ) {
    this.documents = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  async get(grantId: string): Promise<ElevationRequest | undefined> {
    const output = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: elevationRequestKey(grantId), ConsistentRead: true }),
    );
    if (!output.Item) return undefined;
    const parsed = toRequest(output.Item);
    if (!parsed.ok) throw new MalformedJitItemsError([parsed.malformed], []);
    return parsed.request;
  }

  async create(request: ElevationRequest): Promise<void> {
    const checked = StoredRequestSchema.safeParse(request);
    if (!checked.success) {
      throw new JitStoreError(
        `elevation request ${request.grantId} is incomplete: ${formatIssues(checked.error).join('; ')}`,
      );
    }
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...request,
            ...elevationRequestKey(request.grantId),
            GSI1PK: elevationStatePartition(request.state),
            GSI1SK: elevationStateSortKey(request, request.state),
            [ITEM_TYPE_ATTRIBUTE]: REQUEST_ITEM_TYPE,
            ttl: recordTtl(request),
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new JitStoreError(`elevation request ${request.grantId} already exists`, { cause: error });
      }
      throw error;
    }
  }

  async transition(
    grantId: string,
    from: ElevationState,
    to: ElevationState,
    changes: Partial<ElevationRequest>,
  ): Promise<ElevationRequest | undefined> {
    if (!canTransition(from, to)) throw new JitStoreError(`an elevation cannot go from ${from} to ${to}`);
    const current = await this.get(grantId);
    if (!current || current.state !== from) return undefined;
    const names: Record<string, string> = { '#state': 'state', '#gsi1pk': 'GSI1PK', '#gsi1sk': 'GSI1SK' };
    const values: Record<string, unknown> = {
      ':from': from,
      ':to': to,
      ':partition': elevationStatePartition(to),
      ':sort': elevationStateSortKey(current, to),
    };
    const sets = ['#state = :to', '#gsi1pk = :partition', '#gsi1sk = :sort'];
    for (const [index, [field, value]] of Object.entries(changes).entries()) {
      if (value === undefined) continue;
      if (RESERVED_FIELDS.has(field)) throw new JitStoreError(`a transition cannot change ${field}`);
      names[`#f${index}`] = field;
      values[`:f${index}`] = value;
      sets.push(`#f${index} = :f${index}`);
    }
    return this.conditionalUpdate({
      TableName: this.tableName,
      Key: elevationRequestKey(grantId),
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: 'attribute_exists(PK) AND #state = :from',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
  }

  async addApproval(
    grantId: string,
    approval: ElevationApproval,
    expectedCount: number,
  ): Promise<ElevationRequest | undefined> {
    return this.conditionalUpdate({
      TableName: this.tableName,
      Key: elevationRequestKey(grantId),
      UpdateExpression: 'SET #approvals = list_append(#approvals, :approval)',
      ConditionExpression:
        'attribute_exists(PK) AND #state = :requested AND #hash = :hash AND size(#approvals) = :count',
      ExpressionAttributeNames: { '#approvals': 'approvals', '#state': 'state', '#hash': 'grantHash' },
      ExpressionAttributeValues: {
        ':approval': [approval],
        ':requested': 'requested',
        ':hash': approval.grantHash,
        ':count': expectedCount,
      },
    });
  }

  async setSlackMessage(grantId: string, slack: { channel: string; ts: string }): Promise<void> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: elevationRequestKey(grantId),
          UpdateExpression: 'SET #slack = :slack',
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeNames: { '#slack': 'slack' },
          ExpressionAttributeValues: { ':slack': { channel: slack.channel, ts: slack.ts } },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new JitStoreError(`elevation request ${grantId} does not exist`, { cause: error });
      }
      throw error;
    }
  }

  /** Every request in one state, in index order (granted: soonest end first; others: oldest first). */
  async listByState(state: ElevationState): Promise<ElevationRequest[]> {
    const ids: string[] = [];
    const pages = paginateQuery(
      { client: this.documents },
      {
        TableName: this.tableName,
        IndexName: INDEX_BY_STATUS,
        KeyConditionExpression: 'GSI1PK = :partition',
        ExpressionAttributeValues: { ':partition': elevationStatePartition(state) },
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        if (typeof item.PK === 'string' && item.PK.startsWith(GRANT_PREFIX) && item.SK === 'GRANT') {
          ids.push(item.PK.slice(GRANT_PREFIX.length));
        }
      }
    }

    const items = await this.batchGet(ids.map((id) => elevationRequestKey(id)));
    const requests: ElevationRequest[] = [];
    const malformed: MalformedJitItem[] = [];
    for (const id of ids) {
      const item = items.get(elevationRequestKey(id).PK);
      if (!item) continue;
      const parsed = toRequest(item);
      if (!parsed.ok) malformed.push(parsed.malformed);
      // The index is eventually consistent: keep only what is still in the state asked for.
      else if (parsed.request.state === state) requests.push(parsed.request);
    }
    this.settle(malformed, requests);
    return requests;
  }

  async putEligibility(e: Eligibility): Promise<void> {
    const checked = StoredEligibilitySchema.safeParse(e);
    if (!checked.success) {
      throw new JitStoreError(
        `eligibility of ${e.principalArn} for ${e.profile} is incomplete: ${formatIssues(checked.error).join('; ')}`,
      );
    }
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...e,
          ...eligibilityKey(e.accountId, e.principalArn, e.profile),
          [ITEM_TYPE_ATTRIBUTE]: ELIGIBILITY_ITEM_TYPE,
        },
      }),
    );
  }

  async deleteEligibility(accountId: string, principalArn: string, profile: string): Promise<void> {
    await this.documents.send(
      new DeleteCommand({ TableName: this.tableName, Key: eligibilityKey(accountId, principalArn, profile) }),
    );
  }

  async listEligibility(accountId: string): Promise<Eligibility[]> {
    const out: Eligibility[] = [];
    const malformed: MalformedJitItem[] = [];
    const pages = paginateQuery(
      { client: this.documents },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'PK = :partition',
        ExpressionAttributeValues: { ':partition': `${ELIGIBILITY_PREFIX}${accountId}` },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const parsed = StoredEligibilitySchema.safeParse(withoutKeys(item));
        if (parsed.success) out.push(parsed.data as Eligibility);
        else malformed.push({ key: keyOf(item), issues: formatIssues(parsed.error) });
      }
    }
    this.settle(malformed, out);
    return out;
  }

  /** Records a use; a use recorded later already, or an eligibility since removed, is left alone. */
  async markEligibilityUsed(
    accountId: string,
    principalArn: string,
    profile: string,
    at: string,
  ): Promise<void> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: eligibilityKey(accountId, principalArn, profile),
          UpdateExpression: 'SET #used = :at',
          ConditionExpression: 'attribute_exists(PK) AND (attribute_not_exists(#used) OR #used < :at)',
          ExpressionAttributeNames: { '#used': 'lastUsedAt' },
          ExpressionAttributeValues: { ':at': at },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return;
      throw error;
    }
  }

  /** Hands malformed items to `onMalformed`, or throws them all with what was readable. */
  private settle(malformed: readonly MalformedJitItem[], readable: readonly unknown[]): void {
    if (malformed.length === 0) return;
    const report = this.options.onMalformed;
    if (!report) throw new MalformedJitItemsError(malformed, readable);
    for (const item of malformed) report(item);
  }

  /** One conditional update; undefined when its condition failed. */
  private async conditionalUpdate(
    update: ConstructorParameters<typeof UpdateCommand>[0],
  ): Promise<ElevationRequest | undefined> {
    try {
      const output = await this.documents.send(new UpdateCommand({ ...update, ReturnValues: 'ALL_NEW' }));
      if (!output.Attributes) return undefined;
      const parsed = toRequest(output.Attributes);
      if (!parsed.ok) throw new MalformedJitItemsError([parsed.malformed], []);
      return parsed.request;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  private async batchGet(
    keys: readonly { PK: string; SK: string }[],
  ): Promise<Map<string, Record<string, unknown>>> {
    const out = new Map<string, Record<string, unknown>>();
    for (let start = 0; start < keys.length; start += BATCH_GET_LIMIT) {
      let pending: Record<string, unknown>[] = keys
        .slice(start, start + BATCH_GET_LIMIT)
        .map((k) => ({ ...k }));
      for (let attempt = 1; pending.length > 0; attempt++) {
        if (attempt > BATCH_GET_ATTEMPTS) {
          throw new JitStoreError(`${pending.length} elevation requests stayed unprocessed by BatchGetItem`);
        }
        const output = await this.documents.send(
          new BatchGetCommand({
            RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } },
          }),
        );
        for (const item of output.Responses?.[this.tableName] ?? []) {
          if (typeof item.PK === 'string') out.set(item.PK, item);
        }
        pending = (output.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, unknown>[];
      }
    }
    return out;
  }
}

/** Epoch seconds: the retention after whichever of the window's end and the approval deadline is later. */
function recordTtl(request: Pick<ElevationRequest, 'endsAt' | 'expiresAt' | 'grantId'>): number {
  const last = Math.max(Date.parse(request.endsAt), Date.parse(request.expiresAt));
  if (Number.isNaN(last)) {
    throw new JitStoreError(`elevation request ${request.grantId} has no valid end or expiry time`);
  }
  return Math.floor(last / 1000) + ELEVATION_RECORD_TTL_DAYS * 86_400;
}

function withoutKeys(item: Record<string, unknown>): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(item)) {
    if (!KEY_ATTRIBUTES.includes(key) && key !== ITEM_TYPE_ATTRIBUTE && key !== 'ttl') record[key] = value;
  }
  return record;
}

function keyOf(item: Record<string, unknown>): { PK: string; SK: string } {
  return { PK: String(item.PK ?? '(no PK)'), SK: String(item.SK ?? '(no SK)') };
}

function toRequest(
  item: Record<string, unknown>,
): { ok: true; request: ElevationRequest } | { ok: false; malformed: MalformedJitItem } {
  const parsed = StoredRequestSchema.safeParse(withoutKeys(item));
  if (!parsed.success)
    return { ok: false, malformed: { key: keyOf(item), issues: formatIssues(parsed.error) } };
  return { ok: true, request: parsed.data as unknown as ElevationRequest };
}
