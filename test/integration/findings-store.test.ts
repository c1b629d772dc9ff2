import { randomBytes } from 'node:crypto';
import { DescribeTimeToLiveCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateRoleCommand, IAMClient, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../functions/adapters/aws/clients';
import { AwsCollector } from '../../functions/adapters/aws/collector';
import { DynamoFindingsStore, findingItem } from '../../functions/adapters/dynamo-findings-store';
import { EventBridgePublisher } from '../../functions/adapters/event-publisher';
import { findingKey, type ScanRecord } from '../../functions/core/findings-table';
import type { FindingChange, StoredFinding } from '../../functions/core/lifecycle';
import { DEFAULT_SETTINGS } from '../../functions/core/settings';
import { collectAccount } from '../../functions/use-cases/collect';
import { type RunScanResult, runScan } from '../../functions/use-cases/run-scan';
import { MOTO_ACCOUNT_ID, MOTO_REGION } from '../support/moto';
import { useMotoWithTable } from '../support/moto-table';

const TABLE = 'iam-posture-findings';
const BUS = 'iam-posture';
// moto has no service-last-accessed data: that rule is left out, as in a deployment without it.
const SETTINGS = { ...DEFAULT_SETTINGS, disabledRules: ['unused-service-permissions'] };
const OPEN_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }],
});
const SCOPED_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${MOTO_ACCOUNT_ID}:root` }, Action: 'sts:AssumeRole' },
  ],
});

let eventBridge: EventBridgeClient;
let iam: IAMClient;
/** Every DynamoDB request that reached moto, by operation, in order. */
const dynamoRequests: string[] = [];
/** Every PutEvents request: the detail types sent and moto's answer. */
const putEvents: { detailTypes: string[]; failed: number; eventIds: number }[] = [];

const env = useMotoWithTable(TABLE, { dynamo: { maxAttempts: 2 }, timeToLive: true });

beforeAll(async () => {
  env.dynamo.middlewareStack.add(
    (next, context) => async (args) => {
      dynamoRequests.push(context.commandName ?? '?');
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
  // DynamoDB applies each request atomically. moto does not: a cancelled TransactWriteItems
  // restores a snapshot of the whole table taken when it started, undoing writes that other
  // requests made meanwhile. One request at a time gives the scans DynamoDB's atomicity; their
  // reads and commits still interleave freely.
  let inFlight: Promise<unknown> = Promise.resolve();
  env.dynamo.middlewareStack.add(
    (next) => async (args) => {
      const turn = inFlight.then(() => next(args));
      inFlight = turn.catch(() => undefined);
      return turn;
    },
    { step: 'finalizeRequest', name: 'oneRequestAtATime' },
  );
  eventBridge = new EventBridgeClient({ ...env.moto.clientConfig, maxAttempts: 2 });
  eventBridge.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === 'PutEventsCommand') {
        const input = args.input as { Entries: { DetailType: string }[] };
        const output = result.output as { FailedEntryCount?: number; Entries?: { EventId?: string }[] };
        putEvents.push({
          detailTypes: input.Entries.map((entry) => entry.DetailType),
          failed: output.FailedEntryCount ?? 0,
          eventIds: (output.Entries ?? []).filter((entry) => entry.EventId).length,
        });
      }
      return result;
    },
    { step: 'initialize', name: 'recordPutEvents' },
  );
  iam = new IAMClient({ ...env.moto.clientConfig });
});

beforeEach(async () => {
  await eventBridge.send(new CreateEventBusCommand({ Name: BUS }));
  await iam.send(new CreateRoleCommand({ RoleName: 'open-trust', AssumeRolePolicyDocument: OPEN_TRUST }));
  await iam.send(new CreateRoleCommand({ RoleName: 'stale', AssumeRolePolicyDocument: SCOPED_TRUST }));
  await env.moto.backdateRole({ roleName: 'stale', createDate: daysAgo(200), lastUsedDate: null });
  dynamoRequests.length = 0;
  putEvents.length = 0;
});

function daysAgo(days: number): Date {
  return new Date(Date.now() - days * 86_400_000);
}

function store(): DynamoFindingsStore {
  return new DynamoFindingsStore(env.dynamo, TABLE, {
    sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))),
  });
}

/** A live scan of moto, stored and published as the scan function does it. */
async function scan(findings = store()): Promise<RunScanResult> {
  const clients = createAwsClients({
    endpoint: env.moto.endpoint,
    region: MOTO_REGION,
    credentials: env.moto.clientConfig.credentials,
    maxAttempts: 2,
  });
  try {
    const collector = new AwsCollector(clients, {
      clock: { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))) },
    });
    return await runScan(
      {
        collect: async () => {
          const collected = await collectAccount(
            { source: collector, now: () => new Date() },
            { settings: SETTINGS, regions: [MOTO_REGION] },
          );
          return { raw: collected.raw, origin: 'live', apiCalls: collected.apiCalls };
        },
        store: findings,
        events: new EventBridgePublisher(eventBridge, { eventBusName: BUS }),
        now: () => new Date(),
        randomSuffix: () => randomBytes(4).toString('hex'),
        sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))),
      },
      { settings: SETTINGS, resolvedTtlDays: 7 },
    );
  } finally {
    clients.destroy();
  }
}

async function storedFindings(): Promise<StoredFinding[]> {
  const loaded = await store().loadAccount(MOTO_ACCOUNT_ID);
  return loaded.findings.sort((a, b) => a.id.localeCompare(b.id));
}

function findingOf<F extends { ruleId: string; resourceArn: string }>(
  findings: readonly F[],
  ruleId: string,
  role: string,
): F | undefined {
  return findings.find(
    (f) => f.ruleId === ruleId && f.resourceArn === `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/${role}`,
  );
}

const detailTypes = () => putEvents.flatMap((request) => request.detailTypes);
const count = (list: readonly string[], value: string) => list.filter((item) => item === value).length;

describe('findings store on DynamoDB (moto)', () => {
  it('opens every finding of a first scan and publishes FindingOpened for each', async () => {
    const result = await scan();
    expect(result.outcome).toBe('completed');
    const stored = await storedFindings();
    const reported = result.report.findings.filter((f) => !f.suppression);
    expect(stored.map((f) => f.id)).toEqual(reported.map((f) => f.id).sort());
    expect(
      stored.every((f) => f.status === 'open' && f.version === 1 && f.firstSeenScanId === result.scanId),
    ).toBe(true);
    expect(findingOf(stored, 'trust-wildcard-principal', 'open-trust')).toBeDefined();
    expect(findingOf(stored, 'role-unused', 'stale')).toBeDefined();
    expect(result.record.changes.opened).toBe(stored.length);

    const events = detailTypes();
    expect(count(events, 'FindingOpened')).toBe(stored.length);
    expect(count(events, 'ScanCompleted')).toBe(1);
    expect(
      putEvents.every((request) => request.failed === 0 && request.eventIds === request.detailTypes.length),
    ).toBe(true);
    expect(putEvents.every((request) => request.detailTypes.length <= 10)).toBe(true);

    const record = await store().getScan(result.scanId);
    expect(record).toMatchObject({ scanId: result.scanId, outcome: 'completed', accountId: MOTO_ACCOUNT_ID });
    expect(record!.findings.total).toBe(result.report.summary.total);
    expect(record!.apiCalls.total).toBeGreaterThan(0);
  });

  it('writes only the scan record (one request) when a rescan finds the same', async () => {
    await scan();
    const before = await storedFindings();
    dynamoRequests.length = 0;
    putEvents.length = 0;

    const result = await scan();

    const writeOperations = dynamoRequests.filter((name) => /Put|Update|Delete|Write/.test(name));
    expect(writeOperations).toEqual(['TransactWriteItemsCommand']);
    expect(result.writes).toMatchObject({ writeRequests: 1, itemWrites: 2 });
    expect(result.changes).toEqual([]);
    expect(result.record.unchanged).toBe(before.length);
    expect(await storedFindings()).toEqual(before);
    expect(detailTypes()).toEqual(['ScanCompleted']);
    const latest = await store().latestScan(MOTO_ACCOUNT_ID);
    expect(latest?.scanId).toBe(result.scanId);
  });

  it('resolves the finding of a fixed identity, with a TTL, and publishes FindingResolved', async () => {
    await scan();
    await iam.send(
      new UpdateAssumeRolePolicyCommand({ RoleName: 'open-trust', PolicyDocument: SCOPED_TRUST }),
    );
    putEvents.length = 0;

    const result = await scan();

    expect(result.changes.map((change) => [change.kind, change.after.ruleId])).toEqual([
      ['resolved', 'trust-wildcard-principal'],
    ]);
    const resolved = findingOf(await storedFindings(), 'trust-wildcard-principal', 'open-trust')!;
    expect(resolved).toMatchObject({ status: 'resolved', resolvedScanId: result.scanId, version: 2 });
    const resolvedAt = Date.parse(resolved.resolvedAt!);
    // Resolved as of the data; kept 7 days from when the record was written.
    expect(resolved.ttl).toBeGreaterThanOrEqual(Math.floor(resolvedAt / 1000) + 7 * 86_400);
    expect(resolved.ttl).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 7 * 86_400);
    expect(findingOf(await storedFindings(), 'role-unused', 'stale')!.status).toBe('open');
    expect(detailTypes()).toEqual(['FindingResolved', 'ScanCompleted']);

    const ttl = await env.dynamo.send(new DescribeTimeToLiveCommand({ TableName: TABLE }));
    expect(ttl.TimeToLiveDescription?.AttributeName).toBe('ttl');

    // Breaking it again reopens the same record.
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'open-trust', PolicyDocument: OPEN_TRUST }));
    const again = await scan();
    expect(again.changes.map((change) => change.kind)).toEqual(['reopened']);
    const reopened = findingOf(await storedFindings(), 'trust-wildcard-principal', 'open-trust')!;
    expect(reopened).toMatchObject({
      status: 'open',
      reopenCount: 1,
      version: 3,
      firstSeenAt: resolved.firstSeenAt,
    });
    expect(reopened.ttl).toBeUndefined();
  });

  it('ends two concurrent scans of one account in the state of one scan', async () => {
    const [a, b] = await Promise.all([scan(), scan()]);
    const stored = await storedFindings();
    const reported = (a.outcome === 'completed' ? a : b).report.findings;

    expect([a.outcome, b.outcome]).toContain('completed');
    expect(stored.map((f) => f.id)).toEqual(reported.map((f) => f.id).sort());
    expect(stored.every((f) => f.status === 'open' && f.version === 1)).toBe(true);
    // Each finding was opened by exactly one of the two scans, and announced once.
    const opened = [...a.changes, ...b.changes].filter((change) => change.kind === 'opened');
    expect(opened.map((change) => change.after.id).sort()).toEqual(stored.map((f) => f.id));
    expect(count(detailTypes(), 'FindingOpened')).toBe(stored.length);
    expect(count(detailTypes(), 'ScanCompleted')).toBe(2);
    // Both scans are recorded; the account points at one of them.
    expect(await store().getScan(a.scanId)).toBeDefined();
    expect(await store().getScan(b.scanId)).toBeDefined();
  });

  it('refuses a commit computed from a stale read, leaving the record as the other writer left it', async () => {
    await scan();
    const first = store();
    const second = store();
    const [readA, readB] = [
      await first.loadAccount(MOTO_ACCOUNT_ID),
      await second.loadAccount(MOTO_ACCOUNT_ID),
    ];
    const target = findingOf(readA.findings, 'role-unused', 'stale')!;
    const resolve = (scanId: string): FindingChange => ({
      kind: 'resolved',
      before: target,
      after: {
        ...target,
        status: 'resolved',
        resolvedAt: new Date().toISOString(),
        version: target.version + 1,
        lastChangedScanId: scanId,
      },
    });
    const recordFor = (scanId: string): ScanRecord => baseRecord(scanId);

    const won = await first.commitScan({
      accountId: MOTO_ACCOUNT_ID,
      expected: readA.state!,
      asOf: new Date(),
      now: new Date(),
      changes: [resolve('20990101T000000.000Z-aaaa0001')],
      scanRecord: recordFor('20990101T000000.000Z-aaaa0001'),
    });
    const lost = await second.commitScan({
      accountId: MOTO_ACCOUNT_ID,
      expected: readB.state!,
      asOf: new Date(),
      now: new Date(),
      changes: [resolve('20990101T000000.000Z-bbbb0002')],
      scanRecord: recordFor('20990101T000000.000Z-bbbb0002'),
    });

    expect(won.outcome).toBe('committed');
    expect(lost).toEqual({ outcome: 'conflict', applied: [] });
    const after = findingOf(await storedFindings(), 'role-unused', 'stale')!;
    expect(after).toMatchObject({
      status: 'resolved',
      version: 2,
      lastChangedScanId: '20990101T000000.000Z-aaaa0001',
    });
    expect(await store().getScan('20990101T000000.000Z-bbbb0002')).toBeUndefined();
  });

  it('reports a malformed stored finding, leaves it untouched, and stores everything else', async () => {
    await scan();
    const stored = await storedFindings();
    const victim = findingOf(stored, 'trust-wildcard-principal', 'open-trust')!;
    const damaged = { ...findingItem(victim), status: 'bogus', severity: 42 };
    await DynamoDBDocumentClient.from(env.dynamo).send(new PutCommand({ TableName: TABLE, Item: damaged }));
    // The role is fixed: its finding would resolve, but its record cannot be read.
    await iam.send(
      new UpdateAssumeRolePolicyCommand({ RoleName: 'open-trust', PolicyDocument: SCOPED_TRUST }),
    );
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'second-open',
        AssumeRolePolicyDocument: OPEN_TRUST,
        // Owned, so that its only new finding is the open trust.
        Tags: [{ Key: 'team', Value: 'platform' }],
      }),
    );

    const result = await scan();

    expect(result.outcome).toBe('completed');
    expect(result.warnings).toEqual([
      expect.stringMatching(
        new RegExp(`^stored finding ${victim.id} is malformed and was left as it is: .*status`),
      ),
    ]);
    expect(result.record.warnings).toEqual(result.warnings);
    expect(result.changes.map((change) => [change.kind, change.after.resourceArn])).toEqual([
      ['opened', `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/second-open`],
    ]);
    const key = findingKey(MOTO_ACCOUNT_ID, victim.id);
    const raw = await env.dynamo.send(
      new GetItemCommand({
        TableName: TABLE,
        Key: { PK: { S: key.PK }, SK: { S: key.SK } },
        ConsistentRead: true,
      }),
    );
    expect(raw.Item?.status).toEqual({ S: 'bogus' });
    expect(raw.Item?.severity).toEqual({ N: '42' });

    const listing = await store().listFindings({ accountId: MOTO_ACCOUNT_ID });
    expect(listing.malformed.map((item) => item.findingId)).toEqual([victim.id]);
    expect(listing.findings.map((f) => f.id)).not.toContain(victim.id);
    expect(listing.findings.map((f) => f.resourceArn)).toContain(
      `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/second-open`,
    );
  });

  it('lists open findings by severity and by rule, with when the latest scan saw them', async () => {
    const result = await scan();
    const listed = await store().listFindings({ accountId: MOTO_ACCOUNT_ID });
    const open = result.report.findings.filter((f) => !f.suppression);
    expect(listed.findings.map((f) => f.id).sort()).toEqual(open.map((f) => f.id).sort());
    // Most severe first.
    const ranks = listed.findings.map((f) =>
      ['critical', 'high', 'medium', 'low', 'informational'].indexOf(f.severity),
    );
    expect(ranks).toEqual([...ranks].sort((x, y) => x - y));
    expect(listed.findings.every((f) => f.lastSeenScanId === result.scanId)).toBe(true);

    const byRule = await store().listFindings({ ruleId: 'role-unused' });
    expect(byRule.findings.map((f) => f.resourceArn)).toEqual([`arn:aws:iam::${MOTO_ACCOUNT_ID}:role/stale`]);
    const severity = byRule.findings[0]!.severity;
    const bySeverity = await store().listFindings({ accountId: MOTO_ACCOUNT_ID, severity });
    expect(bySeverity.findings.every((f) => f.severity === severity)).toBe(true);
    expect(bySeverity.findings.map((f) => f.ruleId)).toContain('role-unused');
    expect((await store().listFindings({ status: 'resolved' })).findings).toEqual([]);
    expect(await store().listAccounts()).toEqual([MOTO_ACCOUNT_ID]);
  });
});

function baseRecord(scanId: string): ScanRecord {
  const now = new Date().toISOString();
  return {
    scanId,
    accountId: MOTO_ACCOUNT_ID,
    outcome: 'completed',
    origin: 'live',
    startedAt: now,
    finishedAt: now,
    evaluatedAt: now,
    findings: {
      total: 0,
      bySeverity: { critical: 0, high: 0, medium: 0, low: 0, informational: 0 },
      suppressed: 0,
      errors: 0,
    },
    changes: {
      opened: 0,
      reopened: 0,
      resolved: 1,
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
