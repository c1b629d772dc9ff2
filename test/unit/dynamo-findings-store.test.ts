import {
  DynamoDBClient,
  ResourceNotFoundException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  NumberValue,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  DynamoFindingsStore,
  FindingsStoreError,
  findingItem,
  itemSize,
  MalformedItemError,
} from '../../functions/adapters/dynamo-findings-store';
import { findingId } from '../../functions/core/finding';
import { type AccountState, findingItemKeys, type ScanRecord } from '../../functions/core/findings-table';
import type { FindingChange, StoredFinding } from '../../functions/core/lifecycle';

const documents = mockClient(DynamoDBDocumentClient);
const TABLE = 'findings';
const ACCOUNT = '111122223333';
const NOW = new Date('2024-06-01T12:00:00.000Z');

function aStored(n: number, overrides: Partial<StoredFinding> = {}): StoredFinding {
  const resourceArn = `arn:aws:iam::${ACCOUNT}:role/r${n}`;
  return {
    id: findingId(ACCOUNT, 'role-unused', resourceArn),
    ruleId: 'role-unused',
    title: 'Roles are used within the unused-role window',
    severity: 'medium',
    baseSeverity: 'medium',
    resourceType: 'role',
    resourceArn,
    accountId: ACCOUNT,
    reason: `Role r${n} was last used 120 days ago.`,
    evidence: { idleDays: 120 },
    compliance: [{ framework: 'owasp-nhi-2025', control: 'NHI1' }],
    remediation: { summary: 'Delete the role.', action: 'quarantine-role' },
    result: 'fail',
    riskScore: 310,
    status: 'open',
    firstSeenAt: NOW.toISOString(),
    firstSeenScanId: '20240601T120000.000Z-aaaa0001',
    lastChangedAt: NOW.toISOString(),
    lastChangedScanId: '20240601T120000.000Z-aaaa0001',
    reopenCount: 0,
    version: 1,
    ...overrides,
  };
}

function aScanRecord(): ScanRecord {
  return {
    scanId: '20240601T120000.000Z-aaaa0001',
    accountId: ACCOUNT,
    outcome: 'completed',
    origin: 'live',
    startedAt: NOW.toISOString(),
    finishedAt: NOW.toISOString(),
    evaluatedAt: NOW.toISOString(),
    findings: {
      total: 0,
      bySeverity: { critical: 0, high: 0, medium: 0, low: 0, informational: 0 },
      suppressed: 0,
      errors: 0,
    },
    changes: {
      opened: 0,
      reopened: 0,
      resolved: 0,
      'severity-changed': 0,
      suppressed: 0,
      'suppression-changed': 0,
      unsuppressed: 0,
    },
    unchanged: 0,
    held: 0,
    heldFindingIds: [],
    coverageGapCount: 0,
    coverageGaps: [],
    apiCalls: { total: 0, byOperation: {} },
    warnings: [],
    attempts: 1,
  };
}

const STATE: AccountState = {
  accountId: ACCOUNT,
  sequence: 4,
  observedAt: '2024-05-31T12:00:00.000Z',
  latestScanId: '20240531T120000.000Z-aaaa0000',
  updatedAt: '2024-05-31T12:00:00.000Z',
};

function store(sleeps: number[] = []): DynamoFindingsStore {
  return new DynamoFindingsStore(new DynamoDBClient({ region: 'us-east-1' }), TABLE, {
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
}

function transactions() {
  return documents.commandCalls(TransactWriteCommand).map((call) => call.args[0].input.TransactItems ?? []);
}

function cancelled(codes: string[]): TransactionCanceledException {
  return new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
}

beforeEach(() => {
  documents.reset();
});

describe('DynamoFindingsStore.commitScan', () => {
  it('writes a scan with no changes as one transaction: the scan record and the account state', async () => {
    documents.on(TransactWriteCommand).resolves({});
    const s = store();
    const result = await s.commitScan({
      accountId: ACCOUNT,
      expected: STATE,
      asOf: NOW,
      now: NOW,
      changes: [],
      scanRecord: aScanRecord(),
    });
    expect(result).toEqual({ outcome: 'committed', applied: [] });
    const [items] = transactions();
    expect(items).toHaveLength(2);
    expect(items![0]!.Put).toMatchObject({
      TableName: TABLE,
      ConditionExpression: 'attribute_not_exists(#pk)',
      Item: { PK: `ACCOUNT#${ACCOUNT}`, SK: 'SCAN#20240601T120000.000Z-aaaa0001', itemType: 'scan' },
    });
    const update = items![1]!.Update!;
    expect(update.Key).toEqual({ PK: `ACCOUNT#${ACCOUNT}`, SK: 'STATE' });
    expect(update.ConditionExpression).toBe('#sequence = :expected AND #observedAt <= :asOf');
    // No finding changed: the sequence stays, so concurrent scans need not start over.
    expect(update.ExpressionAttributeValues).toMatchObject({
      ':expected': 4,
      ':next': 4,
      ':scanId': '20240601T120000.000Z-aaaa0001',
    });
    expect(s.stats()).toMatchObject({ writeRequests: 1, itemWrites: 2 });
  });

  it('creates the account state on the first scan of an account', async () => {
    documents.on(TransactWriteCommand).resolves({});
    await store().commitScan({
      accountId: ACCOUNT,
      asOf: NOW,
      now: NOW,
      changes: [],
      scanRecord: aScanRecord(),
    });
    const update = transactions()[0]![1]!.Update!;
    expect(update.ConditionExpression).toBe('attribute_not_exists(#pk)');
    expect(update.ExpressionAttributeValues).toMatchObject({
      ':next': 0,
      ':gsi2pk': 'ACCOUNTS',
      ':gsi2sk': ACCOUNT,
    });
  });

  it('writes new findings with attribute_not_exists and changed ones conditional on version and status', async () => {
    documents.on(TransactWriteCommand).resolves({});
    const fresh = aStored(1);
    const before = aStored(2, { version: 3 });
    const changes: FindingChange[] = [
      { kind: 'opened', after: fresh },
      { kind: 'resolved', before, after: { ...before, status: 'resolved', version: 4 } },
    ];
    await store().commitScan({
      accountId: ACCOUNT,
      expected: STATE,
      asOf: NOW,
      now: NOW,
      changes,
      scanRecord: aScanRecord(),
    });
    const [items] = transactions();
    expect(items![0]!.Put!.ConditionExpression).toBe('attribute_not_exists(#pk)');
    expect(items![0]!.Put!.Item).toMatchObject({
      ...findingItemKeys(fresh),
      itemType: 'finding',
      version: 1,
    });
    expect(items![1]!.Put).toMatchObject({
      ConditionExpression: '#version = :version AND #status = :status',
      ExpressionAttributeValues: { ':version': 3, ':status': 'open' },
      Item: { status: 'resolved', version: 4, GSI1PK: `ACCOUNT#${ACCOUNT}#resolved` },
    });
    expect(transactions()[0]![3]!.Update!.ExpressionAttributeValues).toMatchObject({
      ':expected': 4,
      ':next': 5,
    });
  });

  it('splits many changes into transactions of at most 100 actions, each moving the sequence on', async () => {
    documents.on(TransactWriteCommand).resolves({});
    const changes: FindingChange[] = Array.from({ length: 150 }, (_, i) => ({
      kind: 'opened',
      after: aStored(i),
    }));
    const s = store();
    const result = await s.commitScan({
      accountId: ACCOUNT,
      expected: STATE,
      asOf: NOW,
      now: NOW,
      changes,
      scanRecord: aScanRecord(),
    });
    expect(result.applied).toHaveLength(150);
    const sizes = transactions().map((items) => items.length);
    expect(sizes).toEqual([99, 54]);
    const states = transactions().map((items) => items.at(-1)!.Update!.ExpressionAttributeValues);
    expect(states).toEqual([
      expect.objectContaining({ ':expected': 4, ':next': 5 }),
      expect.objectContaining({ ':expected': 5, ':next': 6 }),
    ]);
    // Only the last transaction writes the scan record.
    expect(transactions()[0]!.some((item) => item.Put?.Item?.itemType === 'scan')).toBe(false);
    expect(transactions()[1]!.at(-2)!.Put!.Item!.itemType).toBe('scan');
    expect(s.stats()).toMatchObject({ writeRequests: 2, itemWrites: 153 });
  });

  it('stops at a conflict and reports the transactions already committed', async () => {
    documents
      .on(TransactWriteCommand)
      .resolvesOnce({})
      .rejectsOnce(cancelled([...Array(52).fill('None'), 'None', 'ConditionalCheckFailed']));
    const changes: FindingChange[] = Array.from({ length: 150 }, (_, i) => ({
      kind: 'opened',
      after: aStored(i),
    }));
    const result = await store().commitScan({
      accountId: ACCOUNT,
      expected: STATE,
      asOf: NOW,
      now: NOW,
      changes,
      scanRecord: aScanRecord(),
    });
    expect(result.outcome).toBe('conflict');
    expect(result.applied.map((change) => change.after.id)).toEqual(
      changes.slice(0, 98).map((c) => c.after.id),
    );
  });

  it('retries a transaction cancelled for a conflicting transaction in flight, after 100 ms plus jitter', async () => {
    documents
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(['TransactionConflict', 'None']))
      .resolvesOnce({});
    const sleeps: number[] = [];
    const result = await store(sleeps).commitScan({
      accountId: ACCOUNT,
      expected: STATE,
      asOf: NOW,
      now: NOW,
      changes: [],
      scanRecord: aScanRecord(),
    });
    expect(result.outcome).toBe('committed');
    expect(transactions()).toHaveLength(2);
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThanOrEqual(100);
    expect(sleeps[0]).toBeLessThan(150);
  });

  it('fails with a clear error on a cancellation a retry cannot fix', async () => {
    documents.on(TransactWriteCommand).rejects(cancelled(['ValidationError', 'None']));
    await expect(
      store().commitScan({
        accountId: ACCOUNT,
        expected: STATE,
        asOf: NOW,
        now: NOW,
        changes: [],
        scanRecord: aScanRecord(),
      }),
    ).rejects.toThrow(
      new FindingsStoreError('could not write findings: transaction cancelled (ValidationError, None)'),
    );
  });

  it('counts write units by item size: 2 per KB in a transaction plus one per new index entry', async () => {
    documents
      .on(TransactWriteCommand)
      .resolves({ ConsumedCapacity: [{ TableName: TABLE, CapacityUnits: 11 }] });
    const finding = aStored(1, { evidence: { note: 'x'.repeat(800) } });
    const size = itemSize(findingItem(finding));
    expect(size).toBeGreaterThan(1024);
    expect(size).toBeLessThan(2048);
    const s = store();
    await s.commitScan({
      accountId: ACCOUNT,
      expected: STATE,
      asOf: NOW,
      now: NOW,
      changes: [{ kind: 'opened', after: finding }],
      scanRecord: aScanRecord(),
    });
    // finding: 2 x 2 KB + 3 index entries; scan record (under 1 KB): 2 x 1 + its by-id entry; state: 2.
    expect(s.stats().estimatedWcu).toBe(7 + 3 + 2);
    expect(s.stats().consumedWcu).toBe(11);
  });

  it('replaces evidence that would make the item larger than DynamoDB accepts', () => {
    const item = findingItem(aStored(1, { evidence: { services: ['x'.repeat(500_000)] } }));
    expect(item.evidence).toEqual({
      truncated: expect.stringMatching(/^the evidence \(\d+ bytes\) was too large to store$/),
    });
    expect(itemSize(item)).toBeLessThan(400_000);
  });
});

describe('DynamoFindingsStore.loadAccount', () => {
  it('reads the state, then every finding of the account with consistent reads', async () => {
    const good = aStored(1);
    documents.on(GetCommand).resolves({ Item: { PK: `ACCOUNT#${ACCOUNT}`, SK: 'STATE', ...STATE } });
    documents
      .on(QueryCommand)
      .resolvesOnce({ Items: [findingItem(good)], LastEvaluatedKey: { PK: 'p', SK: 's' } })
      .resolvesOnce({ Items: [findingItem(aStored(2))] });
    const loaded = await store().loadAccount(ACCOUNT);
    expect(loaded.state).toEqual(STATE);
    expect(loaded.findings.map((f) => f.id)).toEqual([good.id, aStored(2).id]);
    expect(loaded.findings[0]).toEqual(good);
    const queries = documents.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(queries[0]).toMatchObject({
      ConsistentRead: true,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeValues: { ':pk': `ACCOUNT#${ACCOUNT}`, ':prefix': 'FINDING#' },
    });
    expect(queries[1]!.ExclusiveStartKey).toEqual({ PK: 'p', SK: 's' });
    expect(documents.commandCalls(GetCommand)[0]!.args[0].input.ConsistentRead).toBe(true);
  });

  it('reports malformed findings instead of failing, including numbers out of range', async () => {
    const good = aStored(1);
    const badStatus = { ...findingItem(aStored(2)), status: 'closed' };
    const hugeVersion = { ...findingItem(aStored(3)), version: new NumberValue('1e400') };
    documents.on(GetCommand).resolves({});
    documents.on(QueryCommand).resolves({ Items: [findingItem(good), badStatus, hugeVersion] });
    const loaded = await store().loadAccount(ACCOUNT);
    expect(loaded.state).toBeUndefined();
    expect(loaded.findings.map((f) => f.id)).toEqual([good.id]);
    expect(loaded.malformed).toEqual([
      {
        key: { PK: `ACCOUNT#${ACCOUNT}`, SK: `FINDING#${aStored(2).id}` },
        findingId: aStored(2).id,
        issues: [expect.stringContaining('status:')],
      },
      {
        key: { PK: `ACCOUNT#${ACCOUNT}`, SK: `FINDING#${aStored(3).id}` },
        findingId: aStored(3).id,
        issues: [expect.stringContaining('version:')],
      },
    ]);
  });

  it('reports a finding whose id does not match its key', async () => {
    const moved = { ...findingItem(aStored(1)), SK: 'FINDING#somethingelse' };
    documents.on(GetCommand).resolves({});
    documents.on(QueryCommand).resolves({ Items: [moved] });
    const loaded = await store().loadAccount(ACCOUNT);
    expect(loaded.findings).toEqual([]);
    expect(loaded.malformed[0]!.findingId).toBe('somethingelse');
  });

  it('refuses to work on a malformed account state, naming the item', async () => {
    documents
      .on(GetCommand)
      .resolves({ Item: { PK: `ACCOUNT#${ACCOUNT}`, SK: 'STATE', ...STATE, sequence: 'four' } });
    await expect(store().loadAccount(ACCOUNT)).rejects.toBeInstanceOf(MalformedItemError);
  });
});

describe('DynamoFindingsStore remediation marks', () => {
  it('marks a finding remediated with a put conditional on the version read', async () => {
    const finding = aStored(1, { version: 2 });
    documents
      .on(QueryCommand)
      .resolves({ Items: [{ PK: `ACCOUNT#${ACCOUNT}`, SK: `FINDING#${finding.id}` }] });
    documents.on(GetCommand).resolves({ Item: findingItem(finding) });
    documents.on(PutCommand).resolves({});
    await store().markRemediated(finding.id, 'req-1', NOW);
    const put = documents.commandCalls(PutCommand)[0]!.args[0].input;
    expect(put.ConditionExpression).toBe('#version = :version AND #status = :status');
    expect(put.ExpressionAttributeValues).toEqual({ ':version': 2, ':status': 'open' });
    expect(put.Item).toMatchObject({
      status: 'remediated',
      remediationRequestId: 'req-1',
      remediatedAt: NOW.toISOString(),
      version: 3,
      GSI1PK: `ACCOUNT#${ACCOUNT}#remediated`,
    });
  });

  it('does nothing when the same request marked it already', async () => {
    const finding = aStored(1, {
      status: 'remediated',
      remediationRequestId: 'req-1',
      remediatedAt: NOW.toISOString(),
    });
    documents
      .on(QueryCommand)
      .resolves({ Items: [{ PK: `ACCOUNT#${ACCOUNT}`, SK: `FINDING#${finding.id}` }] });
    documents.on(GetCommand).resolves({ Item: findingItem(finding) });
    await store().markRemediated(finding.id, 'req-1', NOW);
    expect(documents.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('re-reads and retries when another writer changed the finding in between', async () => {
    const v2 = aStored(1, { version: 2 });
    const v3 = aStored(1, { version: 3, severity: 'high' });
    documents.on(QueryCommand).resolves({ Items: [{ PK: `ACCOUNT#${ACCOUNT}`, SK: `FINDING#${v2.id}` }] });
    documents
      .on(GetCommand)
      .resolvesOnce({ Item: findingItem(v2) })
      .resolvesOnce({ Item: findingItem(v3) });
    documents
      .on(PutCommand)
      .rejectsOnce(
        Object.assign(new Error('The conditional request failed'), {
          name: 'ConditionalCheckFailedException',
        }),
      )
      .resolvesOnce({});
    await store().markRemediated(v2.id, 'req-1', NOW);
    const puts = documents.commandCalls(PutCommand).map((call) => call.args[0].input);
    expect(puts.map((put) => put.ExpressionAttributeValues?.[':version'])).toEqual([2, 3]);
    expect(puts[1]!.Item).toMatchObject({ severity: 'high', version: 4, status: 'remediated' });
  });
});

describe('DynamoFindingsStore on a table that does not exist', () => {
  it('names the table, its region and the command that creates it', async () => {
    documents.reset();
    documents
      .on(GetCommand)
      .rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }));
    const missing = new DynamoFindingsStore(new DynamoDBClient({ region: 'eu-central-1' }), 'posture');
    await expect(missing.loadAccount(ACCOUNT)).rejects.toThrow(
      new FindingsStoreError(
        'the findings table posture does not exist in region eu-central-1: create it with ' +
          '"iam-posture table create --table posture --region eu-central-1" (or deploy the stack)',
      ),
    );
  });
});
