import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  NumberValue,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { type BackoffPolicy, backoffDelay, type Sleep, sleep as timerSleep } from '../core/backoff';
import { describeError } from '../core/describe-error';
import type { Finding } from '../core/finding';
import {
  ACCOUNTS_PARTITION,
  type AccountState,
  AccountStateSchema,
  accountPartition,
  accountStateItemKeys,
  accountStateKey,
  FINDING_SORT_PREFIX,
  FINDINGS_TABLE,
  findingIdOfSortKey,
  findingIdPartition,
  findingItemKeys,
  findingKey,
  findingRulePartition,
  findingStatusPartition,
  INDEX_BY_ID,
  INDEX_BY_RULE,
  INDEX_BY_STATUS,
  ITEM_TYPE_ATTRIBUTE,
  type ItemKey,
  type ItemType,
  KEY_ATTRIBUTES,
  LatestRunSchema,
  latestOrganizationRunKey,
  ORGANIZATION_ACCOUNTS_PARTITION,
  type OrganizationRunHeader,
  OrganizationRunHeaderSchema,
  organizationAccountItemKeys,
  organizationAccountKey,
  organizationRunAccountKey,
  organizationRunKey,
  organizationRunPartition,
  RUN_ACCOUNT_SORT_PREFIX,
  ruleSortPrefix,
  SCAN_RECORD_TTL_DAYS,
  SCAN_SORT_PREFIX,
  type ScanRecord,
  ScanRecordSchema,
  type StoredAccountOutcome,
  StoredAccountOutcomeSchema,
  scanIdPartition,
  scanItemKeys,
  scanKey,
  severitySortPrefix,
} from '../core/findings-table';
import {
  type FindingChange,
  type FindingStatus,
  parseStoredFinding,
  type StoredFinding,
} from '../core/lifecycle';
import { mapWithConcurrency } from '../core/limit';
import type { AccountOutcome, OrganizationRun } from '../core/organization-scan';
import { SEVERITIES, type Severity, severityRank } from '../core/rule';
import { formatIssues } from '../core/settings';
import type {
  CommitInput,
  CommitResult,
  FindingsListing,
  FindingsQuery,
  ListedFinding,
  LoadedAccount,
  MalformedItem,
  OrganizationRunStore,
  ScanStore,
  StoreStats,
} from '../use-cases/findings-ports';
import type { ScanHistory, ScanHistoryReader } from '../use-cases/trend-ports';
import { FindingsStoreError, MalformedItemError, MalformedItemsError } from './store-errors';

export { FindingsStoreError, MalformedItemError, MalformedItemsError };

/**
 * The findings store over DynamoDB (the table of `core/findings-table`).
 *
 * Writes: every finding write is a Put conditional on the record it was computed from (absent for a
 * new finding, else the same version and status), inside a TransactWriteItems that also updates the
 * account's state item conditional on the sequence number the scan read. BatchWriteItem cannot carry
 * conditions, so it is never used: a batch of changes is a transaction of up to 100 conditional
 * writes. Two scans of one account therefore cannot both act on the same stored state: the second
 * transaction fails, and its scan re-reads and reconciles again.
 *
 * Reads: a scan reads the account's state item, then every finding of the account with one
 * strongly consistent query of its partition, so it sees every transaction committed before.
 */

export interface FindingsStoreOptions {
  /** Attempts of one transaction that DynamoDB cancelled for a conflicting transaction in flight. Default 5. */
  conflictAttempts?: number;
  sleep?: Sleep;
}

/** What to do about a findings table that does not exist. */
export function missingTableMessage(table: string, region: string | undefined): string {
  const where = region ? ` in region ${region}` : '';
  const flag = region ? ` --region ${region}` : '';
  return (
    `the findings table ${table} does not exist${where}: create it with ` +
    `"iam-posture table create --table ${table}${flag}" (or deploy the stack)`
  );
}

/** TransactWriteItems takes at most 100 actions and 4 MB. */
const MAX_TRANSACTION_ITEMS = 100;
const MAX_TRANSACTION_BYTES = 3_500_000;
/** DynamoDB refuses items over 400 KB; evidence beyond this is replaced by a note. */
const MAX_ITEM_BYTES = 380_000;
const BATCH_GET_SIZE = 100;
/** Before asking again for keys BatchGetItem left unprocessed: 100 ms doubling to 2 s. */
export const UNPROCESSED_BACKOFF: BackoffPolicy = { baseMs: 100, capMs: 2000 };
/** Before retrying a transaction cancelled by one in flight: 100 ms doubling to 2 s, plus up to 50 ms. */
export const CONFLICT_BACKOFF: BackoffPolicy = { baseMs: 100, capMs: 2000, jitterMs: 50 };
const KB = 1024;

/** BatchWriteItem takes at most 25 items. */
const BATCH_WRITE_SIZE = 25;
/** Conditional writes of the accounts' latest outcomes in flight at once. */
const OUTCOME_WRITE_CONCURRENCY = 16;

/** The organization outcomes of the accounts, as the organization view lists them. */
export interface AccountOutcomeListing {
  outcomes: StoredAccountOutcome[];
  malformed: MalformedItem[];
}

export class DynamoFindingsStore implements ScanStore, OrganizationRunStore, ScanHistoryReader {
  private readonly db: DynamoDBDocumentClient;
  private readonly conflictAttempts: number;
  private readonly sleep: Sleep;
  private counters: StoreStats = emptyStats();

  constructor(
    private readonly client: DynamoDBClient,
    readonly tableName: string,
    options: FindingsStoreOptions = {},
  ) {
    this.db = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true },
      // Numbers arrive wrapped, so an out-of-range number in a damaged item is reported, not thrown.
      unmarshallOptions: { wrapNumbers: true },
    });
    this.conflictAttempts = options.conflictAttempts ?? 5;
    this.sleep = options.sleep ?? timerSleep;
  }

  /**
   * The error for a failed request: `what` could not be done, and why. A missing table names the
   * table, its region and how to create it.
   */
  private async failure(what: string, error: unknown): Promise<FindingsStoreError> {
    if ((error as { name?: unknown } | null)?.name === 'ResourceNotFoundException') {
      const region = await this.client.config.region().catch(() => undefined);
      return new FindingsStoreError(missingTableMessage(this.tableName, region), { cause: error });
    }
    return new FindingsStoreError(`${what}: ${describeError(error)}`, { cause: error });
  }

  /** Requests and capacity used since construction (or the last `resetStats`). */
  stats(): StoreStats {
    return { ...this.counters };
  }

  resetStats(): void {
    this.counters = emptyStats();
  }

  // ------------------------------------------------------------------------------------- scans

  /** The account state, then every finding of the account, strongly consistent. */
  async loadAccount(accountId: string): Promise<LoadedAccount> {
    const state = await this.readState(accountId);
    const findings: StoredFinding[] = [];
    const malformed: MalformedItem[] = [];
    for await (const item of this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': 'PK', '#sk': 'SK' },
      ExpressionAttributeValues: { ':pk': accountPartition(accountId), ':prefix': FINDING_SORT_PREFIX },
      ConsistentRead: true,
    })) {
      const parsed = parseFindingItem(item);
      if (parsed.ok) findings.push(parsed.finding);
      else malformed.push(parsed.malformed);
    }
    return { ...(state ? { state } : {}), findings, malformed };
  }

  /**
   * Writes the changes in transactions, each conditional on the account state the scan read; the
   * last one also writes the scan record and points the account state at it. On a conflict the
   * transactions already committed stay (they were computed from then-current records), and the
   * caller re-reads and reconciles again.
   */
  async commitScan(input: CommitInput): Promise<CommitResult> {
    const applied: FindingChange[] = [];
    let sequence = input.expected?.sequence ?? 0;
    let stateExists = input.expected !== undefined;
    const chunks = chunkChanges(input.changes.map((change) => ({ change, item: findingItem(change.after) })));
    for (const [index, chunk] of chunks.entries()) {
      const last = index === chunks.length - 1;
      const actions: Action[] = chunk.map(({ change, item }) =>
        findingPut(this.tableName, change, item, true),
      );
      if (last) actions.push(scanRecordPut(this.tableName, input.scanRecord, true));
      actions.push(
        stateUpdate(this.tableName, {
          accountId: input.accountId,
          sequence,
          stateExists,
          bump: chunk.length > 0,
          asOf: input.asOf,
          now: input.now,
          ...(last ? { scan: input.scanRecord } : {}),
        }),
      );
      const outcome = await this.transact(actions);
      if (outcome === 'conflict') return { outcome: 'conflict', applied };
      applied.push(...chunk.map(({ change }) => change));
      if (chunk.length > 0) sequence++;
      stateExists = true;
    }
    return { outcome: 'committed', applied };
  }

  /** Stores a scan record on its own (a scan superseded by newer data changes no finding). */
  async recordScan(record: ScanRecord): Promise<void> {
    const action = scanRecordPut(this.tableName, record, false);
    try {
      const output = await this.db.send(new PutCommand({ ...action.Put!, ReturnConsumedCapacity: 'TOTAL' }));
      this.countWrite(1, action.wcu, output.ConsumedCapacity);
    } catch (error) {
      throw await this.failure(`could not store scan record ${record.scanId}`, error);
    }
  }

  async getScan(scanId: string): Promise<ScanRecord | undefined> {
    const key = await this.keyById(scanIdPartition(scanId));
    if (!key) return undefined;
    const item = await this.getItem(key);
    return item ? parseScanItem(item) : undefined;
  }

  /** The latest scan record of an account: the one its state points at. */
  async latestScan(accountId: string): Promise<ScanRecord | undefined> {
    const state = await this.readState(accountId);
    if (!state?.latestScanId) return undefined;
    const item = await this.getItem(scanKey(accountId, state.latestScanId));
    return item ? parseScanItem(item) : undefined;
  }

  /** Scan records of an account, newest first. */
  async listScans(accountId: string, limit = 20): Promise<ScanRecord[]> {
    const output = await this.query({
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': 'PK', '#sk': 'SK' },
      ExpressionAttributeValues: { ':pk': accountPartition(accountId), ':prefix': SCAN_SORT_PREFIX },
      ScanIndexForward: false,
      Limit: limit,
    });
    return (output.Items ?? []).map((item) => parseScanItem(unwrap(item) as Record<string, unknown>));
  }

  /**
   * The newest `count` completed scan records of an account, newest first: the account's history,
   * one record per scan (they sort by start time). Superseded scans are passed over (their data is
   * older than what was already stored); an item that cannot be read is reported and the rest
   * still read. Reads page by page and stops once it has `count`.
   */
  async scanHistory(accountId: string, count: number): Promise<ScanHistory> {
    const history: ScanHistory = { records: [], malformed: [], superseded: 0 };
    if (count <= 0) return history;
    for await (const item of this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': 'PK', '#sk': 'SK' },
      ExpressionAttributeValues: { ':pk': accountPartition(accountId), ':prefix': SCAN_SORT_PREFIX },
      ScanIndexForward: false,
      // A few more than asked for, so a superseded or damaged record rarely costs another request.
      Limit: Math.min(count + 5, 100),
    })) {
      const parsed = ScanRecordSchema.safeParse(stripKeys(item));
      if (!parsed.success) {
        history.malformed.push({
          key: { PK: String(item.PK), SK: String(item.SK) },
          issues: formatIssues(parsed.error),
        });
      } else if (parsed.data.outcome === 'superseded') {
        history.superseded++;
      } else {
        history.records.push(parsed.data);
        if (history.records.length >= count) break;
      }
    }
    return history;
  }

  /** Accounts scanned into the table. */
  async listAccounts(): Promise<string[]> {
    const accounts: string[] = [];
    for await (const item of this.queryAll({
      TableName: this.tableName,
      IndexName: INDEX_BY_RULE,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': 'GSI2PK' },
      ExpressionAttributeValues: { ':pk': ACCOUNTS_PARTITION },
    })) {
      if (typeof item.GSI2SK === 'string') accounts.push(item.GSI2SK);
    }
    return accounts;
  }

  // ---------------------------------------------------------------------------------- listings

  /**
   * Stored findings by status (default open), optionally one severity or one rule, ranked most
   * severe and riskiest first. Reads keys from an index, then the items themselves.
   */
  async listFindings(query: FindingsQuery = {}): Promise<FindingsListing> {
    const status = query.status ?? 'open';
    const accounts = query.accountId ? [query.accountId] : await this.listAccounts();
    const findings: ListedFinding[] = [];
    const malformed: MalformedItem[] = [];
    for (const accountId of accounts) {
      const keys: ItemKey[] = [];
      for await (const item of this.queryAll(indexQuery(this.tableName, accountId, status, query))) {
        if (typeof item.PK === 'string' && typeof item.SK === 'string')
          keys.push({ PK: item.PK, SK: item.SK });
      }
      if (keys.length === 0) continue;
      const items = await this.batchGet(keys);
      const lastSeen = await this.lastSeenOf(accountId);
      for (const key of keys) {
        const item = items.get(`${key.PK}\n${key.SK}`);
        if (!item) continue;
        const parsed = parseFindingItem(item);
        if (!parsed.ok) {
          malformed.push(parsed.malformed);
          continue;
        }
        const finding = parsed.finding;
        // The index is eventually consistent: keep only what still matches.
        if (finding.status !== status) continue;
        if (query.severity && finding.severity !== query.severity) continue;
        if (query.ruleId && finding.ruleId !== query.ruleId) continue;
        findings.push(lastSeen(finding));
      }
    }
    return { findings, malformed };
  }

  // --------------------------------------------------------------------------- organization runs

  /**
   * Stores a run: its account outcomes, then its header, then each account's latest outcome (kept
   * when the stored one is newer), then the latest-run pointer. The pointer comes last, so a reader
   * following it always finds a complete run; writing a run again (a retried aggregate) rewrites
   * the same items.
   */
  async recordOrganizationRun(run: OrganizationRun): Promise<void> {
    const ttl = ttlAfter(run.finishedAt);
    await this.batchWrite(
      run.outcomes.map((outcome) => ({
        ...organizationRunAccountKey(run.runId, outcome.accountId),
        ...typed('organization-run-account'),
        ...outcome,
        runId: run.runId,
        ...(ttl === undefined ? {} : { ttl }),
      })),
      `could not store the outcomes of organization run ${run.runId}`,
    );
    const header: OrganizationRunHeader = {
      runId: run.runId,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      counts: run.counts,
      accounts: run.outcomes.length,
      ...(ttl === undefined ? {} : { ttl }),
    };
    await this.put(
      { ...organizationRunKey(run.runId), ...typed('organization-run'), ...header },
      `could not store organization run ${run.runId}`,
    );
    await mapWithConcurrency(run.outcomes, OUTCOME_WRITE_CONCURRENCY, (outcome) =>
      this.putLatestOutcome(run.runId, outcome),
    );
    await this.put(
      {
        ...latestOrganizationRunKey(),
        ...typed('organization-latest-run'),
        runId: run.runId,
        startedAt: run.startedAt,
      },
      `could not point at organization run ${run.runId}`,
      // A run that started earlier and finished later does not take the place of a newer one.
      { expression: 'attribute_not_exists(#pk) OR #startedAt <= :startedAt', startedAt: run.startedAt },
    );
  }

  /** The newest complete run record, or undefined before the first. */
  async latestOrganizationRun(): Promise<OrganizationRun | undefined> {
    const key = latestOrganizationRunKey();
    const item = await this.getItem(key);
    if (!item) return undefined;
    const pointer = LatestRunSchema.safeParse(stripKeys(item));
    if (!pointer.success) throw new MalformedItemError({ key, issues: formatIssues(pointer.error) });
    const run = await this.organizationRun(pointer.data.runId);
    if (!run) {
      throw new FindingsStoreError(
        `${key.PK} / ${key.SK} points at organization run ${pointer.data.runId}, which is not stored`,
      );
    }
    return run;
  }

  /**
   * One run record with every account outcome. A damaged item is an error naming its key (all of
   * them, when several are damaged), as is a run with fewer outcome items than its header counts.
   */
  async organizationRun(runId: string): Promise<OrganizationRun | undefined> {
    const headerKey = organizationRunKey(runId);
    const item = await this.getItem(headerKey);
    if (!item) return undefined;
    const header = OrganizationRunHeaderSchema.safeParse(stripKeys(item));
    if (!header.success) throw new MalformedItemError({ key: headerKey, issues: formatIssues(header.error) });
    const outcomes: AccountOutcome[] = [];
    const malformed: MalformedItem[] = [];
    for await (const raw of this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': 'PK', '#sk': 'SK' },
      ExpressionAttributeValues: {
        ':pk': organizationRunPartition(runId),
        ':prefix': RUN_ACCOUNT_SORT_PREFIX,
      },
      ConsistentRead: true,
    })) {
      const parsed = parseOutcomeItem(raw, (outcome) => organizationRunAccountKey(runId, outcome.accountId));
      if (parsed.ok) {
        const { runId: _runId, ttl: _ttl, ...outcome } = parsed.outcome;
        outcomes.push(outcome);
      } else malformed.push(parsed.malformed);
    }
    if (malformed.length > 0) throw new MalformedItemsError(malformed);
    if (outcomes.length !== header.data.accounts) {
      throw new FindingsStoreError(
        `organization run ${runId} is incomplete: ${headerKey.PK} / ${headerKey.SK} counts ` +
          `${header.data.accounts} accounts, ${outcomes.length} outcome items are stored`,
      );
    }
    return {
      runId: header.data.runId,
      startedAt: header.data.startedAt,
      finishedAt: header.data.finishedAt,
      counts: header.data.counts,
      outcomes,
    };
  }

  /** Every account's latest organization outcome; a damaged item is listed, never skipped silently. */
  async listAccountOutcomes(): Promise<AccountOutcomeListing> {
    const keys: ItemKey[] = [];
    for await (const item of this.queryAll({
      TableName: this.tableName,
      IndexName: INDEX_BY_RULE,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': 'GSI2PK' },
      ExpressionAttributeValues: { ':pk': ORGANIZATION_ACCOUNTS_PARTITION },
    })) {
      if (typeof item.PK === 'string' && typeof item.SK === 'string') keys.push({ PK: item.PK, SK: item.SK });
    }
    const items = await this.batchGet(keys);
    const outcomes: StoredAccountOutcome[] = [];
    const malformed: MalformedItem[] = [];
    for (const key of keys) {
      const item = items.get(`${key.PK}\n${key.SK}`);
      if (!item) continue;
      const parsed = parseOutcomeItem(item, (outcome) => organizationAccountKey(outcome.accountId));
      if (parsed.ok) outcomes.push(parsed.outcome);
      else malformed.push(parsed.malformed);
    }
    return { outcomes, malformed };
  }

  /** An account's latest organization outcome. Throws `MalformedItemError` for a damaged item. */
  async accountOutcome(accountId: string): Promise<StoredAccountOutcome | undefined> {
    const item = await this.getItem(organizationAccountKey(accountId));
    if (!item) return undefined;
    const parsed = parseOutcomeItem(item, (outcome) => organizationAccountKey(outcome.accountId));
    if (!parsed.ok) throw new MalformedItemError(parsed.malformed);
    return parsed.outcome;
  }

  /** The account's name as the latest organization run recorded it, or undefined when unknown. */
  async accountName(accountId: string): Promise<string | undefined> {
    const name = (await this.accountOutcome(accountId))?.accountName;
    return name ? name : undefined;
  }

  /** The account state, or undefined before its first stored scan. */
  async accountState(accountId: string): Promise<AccountState | undefined> {
    return this.readState(accountId);
  }

  /**
   * Open findings of an account by severity, counted from the keys of the `by-status` index
   * (whose sort key starts with the severity), without reading the findings themselves.
   */
  async openFindingCounts(accountId: string): Promise<Record<Severity, number>> {
    const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
    const bySortPrefix = new Map(SEVERITIES.map((s) => [String(severityRank(s)), s]));
    for await (const item of this.queryAll({
      TableName: this.tableName,
      IndexName: INDEX_BY_STATUS,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': 'GSI1PK' },
      ExpressionAttributeValues: { ':pk': findingStatusPartition(accountId, 'open') },
    })) {
      const severity = bySortPrefix.get(String(item.GSI1SK).split('#')[0] ?? '');
      if (severity === undefined) {
        throw new FindingsStoreError(
          `the by-status index entry of ${String(item.PK)} / ${String(item.SK)} has no severity in its sort key`,
        );
      }
      counts[severity]++;
    }
    return counts;
  }

  /** Writes the account's latest outcome unless a newer one is stored. */
  private async putLatestOutcome(runId: string, outcome: AccountOutcome): Promise<void> {
    const item = {
      ...organizationAccountItemKeys(outcome.accountId),
      ...typed('organization-account'),
      ...outcome,
      runId,
    };
    try {
      const output = await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#pk) OR #finishedAt <= :finishedAt',
          ExpressionAttributeNames: { '#pk': 'PK', '#finishedAt': 'finishedAt' },
          ExpressionAttributeValues: { ':finishedAt': outcome.finishedAt },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      this.countWrite(1, units(itemSize(item)) + 1, output.ConsumedCapacity);
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') {
        this.counters.writeRequests++;
        return;
      }
      throw await this.failure(`could not store the latest outcome of account ${outcome.accountId}`, error);
    }
  }

  private async put(
    item: Record<string, unknown>,
    what: string,
    condition?: { expression: string; startedAt: string },
  ): Promise<void> {
    try {
      const output = await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ...(condition
            ? {
                ConditionExpression: condition.expression,
                ExpressionAttributeNames: { '#pk': 'PK', '#startedAt': 'startedAt' },
                ExpressionAttributeValues: { ':startedAt': condition.startedAt },
              }
            : {}),
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      this.countWrite(1, units(itemSize(item)), output.ConsumedCapacity);
    } catch (error) {
      if (condition && errorName(error) === 'ConditionalCheckFailedException') {
        this.counters.writeRequests++;
        return;
      }
      throw await this.failure(what, error);
    }
  }

  /** Unconditional writes of items no other writer changes, 25 per request, unprocessed ones again. */
  private async batchWrite(items: readonly Record<string, unknown>[], what: string): Promise<void> {
    for (let i = 0; i < items.length; i += BATCH_WRITE_SIZE) {
      let pending = items.slice(i, i + BATCH_WRITE_SIZE).map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 0) await this.sleep(backoffDelay(attempt, UNPROCESSED_BACKOFF));
        if (attempt >= 8) throw new FindingsStoreError(`${what}: ${pending.length} items still unprocessed`);
        try {
          const output = await this.db.send(
            new BatchWriteCommand({
              RequestItems: { [this.tableName]: pending },
              ReturnConsumedCapacity: 'TOTAL',
            }),
          );
          const unprocessed = (output.UnprocessedItems?.[this.tableName] ?? []) as typeof pending;
          const written = pending.length - unprocessed.length;
          const wcu = pending
            .slice(0, written)
            .reduce((sum, request) => sum + units(itemSize(request.PutRequest.Item)), 0);
          this.countWrite(written, wcu, output.ConsumedCapacity);
          pending = unprocessed;
        } catch (error) {
          throw await this.failure(what, error);
        }
      }
    }
  }

  // --------------------------------------------------------------------- one finding (remediation)

  /** The stored finding with this id, or undefined. Throws `MalformedItemError` for a damaged item. */
  async getStoredFinding(findingId: string): Promise<StoredFinding | undefined> {
    const key = await this.keyById(findingIdPartition(findingId));
    if (!key) return undefined;
    const item = await this.getItem(key);
    if (!item) return undefined;
    const parsed = parseFindingItem(item);
    if (!parsed.ok) throw new MalformedItemError(parsed.malformed);
    return parsed.finding;
  }

  async getFinding(findingId: string): Promise<Finding | undefined> {
    return this.getStoredFinding(findingId);
  }

  /** Marks a finding remediated after a verified change. Idempotent for the same request. */
  async markRemediated(findingId: string, requestId: string, at: Date): Promise<void> {
    await this.transition(findingId, (before) => {
      if (before.status === 'remediated' && before.remediationRequestId === requestId) return undefined;
      const { ttl: _ttl, resolvedAt: _resolvedAt, resolvedScanId: _resolvedScanId, ...rest } = before;
      return {
        ...rest,
        status: 'remediated',
        remediatedAt: at.toISOString(),
        remediationRequestId: requestId,
        lastChangedAt: at.toISOString(),
        version: before.version + 1,
      };
    });
  }

  /** After a rollback: the finding remediated by this request is open again. */
  async markReopened(findingId: string, requestId: string, at: Date): Promise<void> {
    await this.transition(findingId, (before) => {
      if (before.status !== 'remediated' || before.remediationRequestId !== requestId) return undefined;
      const { remediatedAt: _remediatedAt, remediationRequestId: _requestId, ...rest } = before;
      return {
        ...rest,
        status: 'open',
        reopenedAt: at.toISOString(),
        reopenCount: before.reopenCount + 1,
        lastChangedAt: at.toISOString(),
        version: before.version + 1,
      };
    });
  }

  // ----------------------------------------------------------------------------------- internals

  private async transition(
    findingId: string,
    next: (before: StoredFinding) => StoredFinding | undefined,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const before = await this.getStoredFinding(findingId);
      if (!before) throw new FindingsStoreError(`finding ${findingId} is not stored`);
      const after = next(before);
      if (!after) return;
      const item = findingItem(after);
      const action = findingPut(this.tableName, { kind: 'opened', before, after }, item, false);
      try {
        const output = await this.db.send(
          new PutCommand({ ...action.Put!, ReturnConsumedCapacity: 'TOTAL' }),
        );
        this.countWrite(1, action.wcu, output.ConsumedCapacity);
        return;
      } catch (error) {
        if (errorName(error) === 'ConditionalCheckFailedException' && attempt < this.conflictAttempts)
          continue;
        throw await this.failure(`could not update finding ${findingId}`, error);
      }
    }
  }

  private async readState(accountId: string): Promise<AccountState | undefined> {
    const item = await this.getItem(accountStateKey(accountId));
    if (!item) return undefined;
    const result = AccountStateSchema.safeParse(stripKeys(item));
    if (!result.success) {
      // The state guards every write of the account: without it no write can be made safely.
      throw new MalformedItemError({ key: accountStateKey(accountId), issues: formatIssues(result.error) });
    }
    return result.data;
  }

  private async keyById(partition: string): Promise<ItemKey | undefined> {
    const output = await this.query({
      TableName: this.tableName,
      IndexName: INDEX_BY_ID,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': 'GSI3PK' },
      ExpressionAttributeValues: { ':pk': partition },
      Limit: 1,
    });
    const item = output.Items?.[0];
    return item && typeof item.PK === 'string' && typeof item.SK === 'string'
      ? { PK: item.PK, SK: item.SK }
      : undefined;
  }

  private async getItem(key: ItemKey): Promise<Record<string, unknown> | undefined> {
    try {
      const output = await this.db.send(
        new GetCommand({
          TableName: this.tableName,
          Key: key,
          ConsistentRead: true,
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      this.countRead(output.ConsumedCapacity);
      return output.Item ? (unwrap(output.Item) as Record<string, unknown>) : undefined;
    } catch (error) {
      throw await this.failure(`could not read ${key.PK} / ${key.SK}`, error);
    }
  }

  private async query(input: QueryCommandInput) {
    try {
      const output = await this.db.send(new QueryCommand({ ...input, ReturnConsumedCapacity: 'TOTAL' }));
      this.countRead(output.ConsumedCapacity);
      return output;
    } catch (error) {
      throw await this.failure(`could not query ${this.tableName}`, error);
    }
  }

  private async *queryAll(input: QueryCommandInput): AsyncGenerator<Record<string, unknown>> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const output = await this.query({ ...input, ...(startKey ? { ExclusiveStartKey: startKey } : {}) });
      for (const item of output.Items ?? []) yield unwrap(item) as Record<string, unknown>;
      startKey = output.LastEvaluatedKey;
    } while (startKey);
  }

  private async batchGet(keys: readonly ItemKey[]): Promise<Map<string, Record<string, unknown>>> {
    const found = new Map<string, Record<string, unknown>>();
    for (let i = 0; i < keys.length; i += BATCH_GET_SIZE) {
      let pending: ItemKey[] = keys.slice(i, i + BATCH_GET_SIZE);
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 0) await this.sleep(backoffDelay(attempt, UNPROCESSED_BACKOFF));
        if (attempt >= 8)
          throw new FindingsStoreError(`could not read ${pending.length} findings: still unprocessed`);
        let output: BatchGetCommandOutput;
        try {
          output = await this.db.send(
            new BatchGetCommand({
              RequestItems: { [this.tableName]: { Keys: pending } },
              ReturnConsumedCapacity: 'TOTAL',
            }),
          );
        } catch (error) {
          throw await this.failure(`could not read findings`, error);
        }
        for (const capacity of output.ConsumedCapacity ?? []) this.countRead(capacity);
        for (const raw of output.Responses?.[this.tableName] ?? []) {
          const item = unwrap(raw) as Record<string, unknown>;
          found.set(`${String(item.PK)}\n${String(item.SK)}`, item);
        }
        pending = (output.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as ItemKey[];
      }
    }
    return found;
  }

  /** Derives when the latest scan saw each open or suppressed finding. */
  private async lastSeenOf(accountId: string): Promise<(finding: StoredFinding) => ListedFinding> {
    const state = await this.readState(accountId);
    if (!state?.latestScanId) return (finding) => finding;
    const record = await this.getItem(scanKey(accountId, state.latestScanId));
    const scan = record ? parseScanItem(record) : undefined;
    const held = new Set(scan?.heldFindingIds ?? []);
    const heldListComplete = scan !== undefined && scan.held <= scan.heldFindingIds.length;
    return (finding) => {
      if (finding.status !== 'open' && finding.status !== 'suppressed') return finding;
      if (held.has(finding.id)) return { ...finding, unverifiedInLatestScan: true };
      if (!heldListComplete) return finding;
      return { ...finding, lastSeenScanId: state.latestScanId!, lastSeenAt: state.observedAt };
    };
  }

  /** Runs one transaction; retries it while DynamoDB cancels it for a transaction in flight. */
  private async transact(actions: Action[]): Promise<'committed' | 'conflict'> {
    const input: TransactWriteCommandInput = {
      TransactItems: actions.map(({ wcu: _wcu, ...action }) => action),
      ReturnConsumedCapacity: 'TOTAL',
    };
    const wcu = actions.reduce((sum, action) => sum + action.wcu, 0);
    for (let attempt = 1; ; attempt++) {
      try {
        const output = await this.db.send(new TransactWriteCommand(input));
        this.countWrite(actions.length, wcu, output.ConsumedCapacity);
        return 'committed';
      } catch (error) {
        const reasons = cancellationCodes(error);
        if (reasons === undefined) {
          throw await this.failure(`could not write findings`, error);
        }
        this.counters.writeRequests++;
        if (reasons.includes('ConditionalCheckFailed')) return 'conflict';
        const retryable = reasons.every(
          (code) => code === 'None' || code === 'TransactionConflict' || code === 'ThrottlingError',
        );
        if (!retryable || attempt >= this.conflictAttempts) {
          throw new FindingsStoreError(
            `could not write findings: transaction cancelled (${reasons.join(', ')})`,
            {
              cause: error,
            },
          );
        }
        await this.sleep(backoffDelay(attempt, CONFLICT_BACKOFF, Math.random()));
      }
    }
  }

  private countWrite(
    items: number,
    wcu: number,
    consumed: ConsumedCapacityLike | ConsumedCapacityLike[] | undefined,
  ) {
    this.counters.writeRequests++;
    this.counters.itemWrites += items;
    this.counters.estimatedWcu += wcu;
    for (const capacity of [consumed ?? []].flat()) this.counters.consumedWcu += capacity.CapacityUnits ?? 0;
  }

  private countRead(consumed: ConsumedCapacityLike | undefined) {
    this.counters.readRequests++;
    this.counters.consumedRcu += consumed?.CapacityUnits ?? 0;
  }
}

// ------------------------------------------------------------------------------------ item shapes

interface ConsumedCapacityLike {
  CapacityUnits?: number;
}

type Action = NonNullable<TransactWriteCommandInput['TransactItems']>[number] & { wcu: number };

function emptyStats(): StoreStats {
  return {
    writeRequests: 0,
    itemWrites: 0,
    consumedWcu: 0,
    estimatedWcu: 0,
    readRequests: 0,
    consumedRcu: 0,
  };
}

function typed(type: ItemType): Record<string, string> {
  return { [ITEM_TYPE_ATTRIBUTE]: type };
}

/** A finding record as an item: index keys first, evidence replaced by a note if the item would be too large. */
export function findingItem(finding: StoredFinding): Record<string, unknown> {
  const item: Record<string, unknown> = { ...findingItemKeys(finding), ...typed('finding'), ...finding };
  const size = itemSize(item);
  if (size <= MAX_ITEM_BYTES) return item;
  return {
    ...item,
    evidence: {
      truncated: `the evidence (${itemSize({ evidence: finding.evidence })} bytes) was too large to store`,
    },
  };
}

function findingPut(
  tableName: string,
  change: FindingChange,
  item: Record<string, unknown>,
  transactional: boolean,
): Action {
  const before = change.before;
  const beforeItem = before ? findingItem(before) : undefined;
  const wcu =
    (transactional ? 2 : 1) * units(Math.max(itemSize(item), beforeItem ? itemSize(beforeItem) : 0)) +
    indexWrites(beforeItem, item);
  return {
    Put: {
      TableName: tableName,
      Item: item,
      ...(before
        ? {
            ConditionExpression: '#version = :version AND #status = :status',
            ExpressionAttributeNames: { '#version': 'version', '#status': 'status' },
            ExpressionAttributeValues: { ':version': before.version, ':status': before.status },
          }
        : {
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': 'PK' },
          }),
    },
    wcu,
  };
}

function scanRecordPut(tableName: string, record: ScanRecord, transactional: boolean): Action {
  const item = { ...scanItemKeys(record.accountId, record.scanId), ...typed('scan'), ...record };
  return {
    Put: {
      TableName: tableName,
      Item: item,
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': 'PK' },
    },
    wcu: (transactional ? 2 : 1) * units(itemSize(item)) + indexWrites(undefined, item),
  };
}

interface StateUpdate {
  accountId: string;
  sequence: number;
  stateExists: boolean;
  /** Whether this transaction changes findings (then the sequence moves on). */
  bump: boolean;
  asOf: Date;
  now: Date;
  scan?: ScanRecord;
}

function stateUpdate(tableName: string, update: StateUpdate): Action {
  const keys = accountStateItemKeys(update.accountId);
  const names: Record<string, string> = {
    '#sequence': 'sequence',
    '#observedAt': 'observedAt',
    '#updatedAt': 'updatedAt',
    '#accountId': 'accountId',
    '#type': ITEM_TYPE_ATTRIBUTE,
    '#gsi2pk': 'GSI2PK',
    '#gsi2sk': 'GSI2SK',
  };
  const values: Record<string, unknown> = {
    ':next': update.bump ? update.sequence + 1 : update.sequence,
    ':asOf': update.asOf.toISOString(),
    ':now': update.now.toISOString(),
    ':accountId': update.accountId,
    ':type': 'account-state',
    ':gsi2pk': keys.GSI2PK,
    ':gsi2sk': keys.GSI2SK,
  };
  const set = [
    '#sequence = :next',
    '#observedAt = :asOf',
    '#updatedAt = :now',
    '#accountId = :accountId',
    '#type = :type',
    '#gsi2pk = :gsi2pk',
    '#gsi2sk = :gsi2sk',
  ];
  if (update.scan) {
    names['#latestScanId'] = 'latestScanId';
    names['#latestScanAt'] = 'latestScanAt';
    values[':scanId'] = update.scan.scanId;
    values[':scanAt'] = update.scan.finishedAt;
    set.push('#latestScanId = :scanId', '#latestScanAt = :scanAt');
  }
  let condition: string;
  if (update.stateExists) {
    values[':expected'] = update.sequence;
    condition = '#sequence = :expected AND #observedAt <= :asOf';
  } else {
    names['#pk'] = 'PK';
    condition = 'attribute_not_exists(#pk)';
  }
  return {
    Update: {
      TableName: tableName,
      Key: { PK: keys.PK, SK: keys.SK },
      UpdateExpression: `SET ${set.join(', ')}`,
      ConditionExpression: condition,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
    // The state item is a few hundred bytes; its index entry is written once, when it is created.
    wcu: 2 + (update.stateExists ? 0 : 1),
  };
}

/** Changes in transactions: at most 98 findings each (the scan record and the state take two slots). */
function chunkChanges<T extends { item: Record<string, unknown> }>(entries: readonly T[]): T[][] {
  const chunks: T[][] = [];
  let chunk: T[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = itemSize(entry.item);
    if (
      chunk.length >= MAX_TRANSACTION_ITEMS - 2 ||
      (chunk.length > 0 && bytes + size > MAX_TRANSACTION_BYTES)
    ) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(entry);
    bytes += size;
  }
  chunks.push(chunk);
  return chunks;
}

function indexQuery(
  tableName: string,
  accountId: string,
  status: FindingStatus,
  query: FindingsQuery,
): QueryCommandInput {
  if (query.ruleId) {
    return {
      TableName: tableName,
      IndexName: INDEX_BY_RULE,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': 'GSI2PK', '#sk': 'GSI2SK' },
      ExpressionAttributeValues: {
        ':pk': findingRulePartition(accountId, query.ruleId),
        ':prefix': ruleSortPrefix(status, query.severity),
      },
    };
  }
  return {
    TableName: tableName,
    IndexName: INDEX_BY_STATUS,
    ExpressionAttributeNames: { '#pk': 'GSI1PK', ...(query.severity ? { '#sk': 'GSI1SK' } : {}) },
    ...(query.severity
      ? {
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
          ExpressionAttributeValues: {
            ':pk': findingStatusPartition(accountId, status),
            ':prefix': severitySortPrefix(query.severity),
          },
        }
      : {
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeValues: { ':pk': findingStatusPartition(accountId, status) },
        }),
  };
}

type ParsedItem = { ok: true; finding: StoredFinding } | { ok: false; malformed: MalformedItem };

function parseFindingItem(item: Record<string, unknown>): ParsedItem {
  const key = { PK: String(item.PK), SK: String(item.SK) };
  const findingId = findingIdOfSortKey(key.SK);
  const parsed = parseStoredFinding(stripKeys(item));
  if (!parsed.ok) {
    return { ok: false, malformed: { key, ...(findingId ? { findingId } : {}), issues: parsed.issues } };
  }
  const expected = findingKey(parsed.finding.accountId, parsed.finding.id);
  if (expected.PK !== key.PK || expected.SK !== key.SK) {
    return {
      ok: false,
      malformed: {
        key,
        ...(findingId ? { findingId } : {}),
        issues: [`id ${parsed.finding.id} and account ${parsed.finding.accountId} do not match the item key`],
      },
    };
  }
  return parsed;
}

function parseScanItem(item: Record<string, unknown>): ScanRecord {
  const result = ScanRecordSchema.safeParse(stripKeys(item));
  if (!result.success) {
    throw new MalformedItemError({
      key: { PK: String(item.PK), SK: String(item.SK) },
      issues: formatIssues(result.error),
    });
  }
  return result.data;
}

type ParsedOutcome = { ok: true; outcome: StoredAccountOutcome } | { ok: false; malformed: MalformedItem };

/** An account outcome item, checked against the key it should be stored under. */
function parseOutcomeItem(
  item: Record<string, unknown>,
  expectedKey: (outcome: StoredAccountOutcome) => ItemKey,
): ParsedOutcome {
  const key = { PK: String(item.PK), SK: String(item.SK) };
  const parsed = StoredAccountOutcomeSchema.safeParse(stripKeys(item));
  if (!parsed.success) return { ok: false, malformed: { key, issues: formatIssues(parsed.error) } };
  const expected = expectedKey(parsed.data);
  if (expected.PK !== key.PK || expected.SK !== key.SK) {
    return {
      ok: false,
      malformed: { key, issues: [`account ${parsed.data.accountId} does not match the item key`] },
    };
  }
  return { ok: true, outcome: parsed.data };
}

/** The expiry of a run's items: as long as scan records are kept. Undefined for an unreadable time. */
function ttlAfter(iso: string): number | undefined {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000) + SCAN_RECORD_TTL_DAYS * 86_400;
}

/** The record without the table's key attributes and item type. */
function stripKeys(item: Record<string, unknown>): Record<string, unknown> {
  const record = { ...item };
  for (const name of KEY_ATTRIBUTES) delete record[name];
  delete record[ITEM_TYPE_ATTRIBUTE];
  return record;
}

/** Wrapped numbers back to numbers; one that a JavaScript number cannot hold stays a string (and fails validation). */
function unwrap(value: unknown): unknown {
  if (value instanceof NumberValue) {
    const number = Number(value.value);
    return Number.isFinite(number) && (!Number.isInteger(number) || Number.isSafeInteger(number))
      ? number
      : value.value;
  }
  if (Array.isArray(value)) return value.map(unwrap);
  if (value instanceof Set) return new Set([...value].map(unwrap));
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrap(v)]));
  }
  return value;
}

// ---------------------------------------------------------------------------------------- capacity

/**
 * An item's size as DynamoDB counts it: attribute names plus values (strings in UTF-8 bytes,
 * numbers about one byte per two digits, lists and maps 3 bytes plus 1 per element).
 */
export function itemSize(item: Record<string, unknown>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    size += Buffer.byteLength(name) + valueSize(value);
  }
  return size;
}

function valueSize(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number') {
    const digits =
      String(Math.abs(value))
        .replace(/[.e+-]/g, '')
        .replace(/^0+/, '').length || 1;
    return Math.ceil(digits / 2) + 1;
  }
  if (typeof value === 'boolean' || value === null) return 1;
  if (Array.isArray(value)) {
    return 3 + value.reduce((sum: number, element) => sum + valueSize(element) + 1, 0);
  }
  if (typeof value === 'object') {
    let size = 3;
    for (const [name, element] of Object.entries(value as Record<string, unknown>)) {
      if (element === undefined) continue;
      size += Buffer.byteLength(name) + valueSize(element) + 1;
    }
    return size;
  }
  return 0;
}

function units(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / KB));
}

/**
 * Index writes of replacing `before` by `after`: the indexes project keys only, so an entry is
 * written (1 unit) when it appears, deleted when it goes, and both when its key changes.
 */
function indexWrites(before: Record<string, unknown> | undefined, after: Record<string, unknown>): number {
  let writes = 0;
  for (const index of FINDINGS_TABLE.globalSecondaryIndexes) {
    const keyOf = (item: Record<string, unknown> | undefined) =>
      item && item[index.partitionKey.name] !== undefined
        ? `${String(item[index.partitionKey.name])}\n${index.sortKey ? String(item[index.sortKey.name]) : ''}`
        : undefined;
    const [was, is] = [keyOf(before), keyOf(after)];
    if (was === is) continue;
    writes += (was === undefined ? 0 : 1) + (is === undefined ? 0 : 1);
  }
  return writes;
}

// ------------------------------------------------------------------------------------------ errors

function errorName(error: unknown): string {
  return typeof error === 'object' && error !== null && typeof (error as { name?: unknown }).name === 'string'
    ? (error as { name: string }).name
    : '';
}

/** The per-item codes of a cancelled transaction, or undefined for any other error. */
function cancellationCodes(error: unknown): string[] | undefined {
  if (errorName(error) !== 'TransactionCanceledException') return undefined;
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.map((reason) => reason.Code ?? 'None');
}
