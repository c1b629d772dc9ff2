/**
 * Organization run records in the findings table, on moto's DynamoDB: a run of any size is stored
 * and read back whole, each account keeps its newest outcome across runs, and a damaged item is an
 * error naming its key that hides no other account.
 */
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoFindingsStore, MalformedItemsError } from '../../functions/adapters/dynamo-findings-store';
import { organizationAccountKey, organizationRunAccountKey } from '../../functions/core/findings-table';
import {
  type AccountOutcome,
  type OrganizationRun,
  organizationRun,
} from '../../functions/core/organization-scan';
import { useMotoWithTable } from '../support/moto-table';

const TABLE = 'iam-posture-findings';
let documents: DynamoDBDocumentClient;

const env = useMotoWithTable(TABLE, { dynamo: { maxAttempts: 2 } });

beforeAll(async () => {
  documents = DynamoDBDocumentClient.from(env.dynamo);
}, 60_000);

const store = () => new DynamoFindingsStore(env.dynamo, TABLE);
const accountId = (n: number) => String(100000000000 + n);

function outcome(n: number, overrides: Partial<AccountOutcome> = {}): AccountOutcome {
  return {
    accountId: accountId(n),
    accountName: `workload-${n}`,
    parentId: 'ou-ab12-cd34ef56',
    ouPath: ['r-ab12', 'ou-ab12-cd34ef56'],
    outcome: 'complete',
    scanId: `20240601T120000.000Z-${String(n).padStart(8, '0')}`,
    apiCalls: 12,
    findings: 3,
    opened: 1,
    resolved: 0,
    held: 0,
    startedAt: '2024-06-01T12:00:00.000Z',
    finishedAt: '2024-06-01T12:05:00.000Z',
    ...overrides,
  };
}

function run(
  runId: string,
  outcomes: AccountOutcome[],
  startedAt = '2024-06-01T12:00:00.000Z',
): OrganizationRun {
  return organizationRun({
    runId,
    startedAt,
    finishedAt: [startedAt, ...outcomes.map((o) => o.finishedAt)].sort().at(-1)!,
    accounts: outcomes.map((o) => ({ id: o.accountId, name: o.accountName })),
    outcomes,
  });
}

describe('organization runs in the findings table', () => {
  it('reads back the run it stored, with every outcome kind', async () => {
    const recorded = run('run-1', [
      outcome(1),
      outcome(2, { outcome: 'partial', unreadSources: ['ListSecrets'], detail: 'ListSecrets was throttled' }),
      outcome(3, {
        outcome: 'failed',
        reason: 'assume-denied',
        detail: 'AccessDenied',
        apiCalls: 0,
        findings: 0,
      }),
    ]);
    await store().recordOrganizationRun(recorded);

    const latest = await store().latestOrganizationRun();
    expect(latest).toEqual(recorded);
    expect(latest!.counts).toEqual({ total: 3, complete: 1, partial: 1, failed: 1 });
    expect(await store().accountName(accountId(3))).toBe('workload-3');
    expect(await store().accountName(accountId(9))).toBeUndefined();
  });

  it('has no latest run before the first one', async () => {
    expect(await store().latestOrganizationRun()).toBeUndefined();
    expect(await store().listAccountOutcomes()).toEqual({ outcomes: [], malformed: [] });
  });

  it('stores a run far past the 400 KB item limit, one item per account', async () => {
    const detail = 'x'.repeat(900);
    const outcomes = Array.from({ length: 600 }, (_, i) =>
      outcome(i, { outcome: 'failed', reason: 'error', detail, apiCalls: 0, findings: 0 }),
    );
    const recorded = run('big-run', outcomes);
    expect(JSON.stringify(recorded).length).toBeGreaterThan(600_000);
    await store().recordOrganizationRun(recorded);

    const latest = await store().latestOrganizationRun();
    expect(latest!.outcomes).toHaveLength(600);
    expect(new Set(latest!.outcomes.map((o) => o.accountId)).size).toBe(600);
    expect(latest!.outcomes.find((o) => o.accountId === accountId(432))).toEqual(outcomes[432]);
    expect((await store().listAccountOutcomes()).outcomes).toHaveLength(600);
  }, 120_000);

  it('keeps each account at its newest outcome: a rescan of one account hides none of the others', async () => {
    await store().recordOrganizationRun(run('full', [outcome(1), outcome(2), outcome(3)]));
    const rescan = run(
      'rescan',
      [
        outcome(2, {
          outcome: 'failed',
          reason: 'throttled',
          startedAt: '2024-06-02T08:00:00.000Z',
          finishedAt: '2024-06-02T08:01:00.000Z',
        }),
      ],
      '2024-06-02T08:00:00.000Z',
    );
    await store().recordOrganizationRun(rescan);

    expect((await store().latestOrganizationRun())!.runId).toBe('rescan');
    const { outcomes, malformed } = await store().listAccountOutcomes();
    expect(malformed).toEqual([]);
    expect(Object.fromEntries(outcomes.map((o) => [o.accountId, `${o.runId}:${o.outcome}`]))).toEqual({
      [accountId(1)]: 'full:complete',
      [accountId(2)]: 'rescan:failed',
      [accountId(3)]: 'full:complete',
    });
  });

  it('does not let an older run that finishes late replace newer outcomes or the latest run', async () => {
    const newer = run(
      'newer',
      [outcome(1, { startedAt: '2024-06-03T00:00:00.000Z', finishedAt: '2024-06-03T00:10:00.000Z' })],
      '2024-06-03T00:00:00.000Z',
    );
    const older = run('older', [outcome(1, { outcome: 'failed', reason: 'timed-out' })]);
    await store().recordOrganizationRun(newer);
    await store().recordOrganizationRun(older);

    expect((await store().latestOrganizationRun())!.runId).toBe('newer');
    expect((await store().accountOutcome(accountId(1)))!.outcome).toBe('complete');
    // The older run is still stored in full, for whoever asks for it by id.
    expect((await store().organizationRun('older'))!.outcomes[0]!.reason).toBe('timed-out');
  });

  it('records a run again (a retried aggregate step) without change', async () => {
    const recorded = run('again', [outcome(1), outcome(2)]);
    await store().recordOrganizationRun(recorded);
    await store().recordOrganizationRun(recorded);
    expect(await store().latestOrganizationRun()).toEqual(recorded);
  });

  it('names every damaged outcome item of a run, and the organization view lists the rest', async () => {
    await store().recordOrganizationRun(run('damaged', [outcome(1), outcome(2), outcome(3)]));
    const runKey2 = organizationRunAccountKey('damaged', accountId(2));
    const runKey3 = organizationRunAccountKey('damaged', accountId(3));
    await documents.send(
      new UpdateCommand({
        TableName: TABLE,
        Key: runKey2,
        UpdateExpression: 'SET outcome = :o',
        ExpressionAttributeValues: { ':o': 'fine' },
      }),
    );
    await documents.send(
      new UpdateCommand({
        TableName: TABLE,
        Key: runKey3,
        UpdateExpression: 'SET apiCalls = :n',
        ExpressionAttributeValues: { ':n': -1 },
      }),
    );
    const latestKey = organizationAccountKey(accountId(1));
    await documents.send(
      new PutCommand({
        TableName: TABLE,
        Item: {
          ...latestKey,
          GSI2PK: 'ORGANIZATION#ACCOUNTS',
          GSI2SK: accountId(1),
          accountId: accountId(1),
        },
      }),
    );

    const error = await store()
      .latestOrganizationRun()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MalformedItemsError);
    const message = (error as Error).message;
    expect(message).toContain(`${runKey2.PK} / ${runKey2.SK}`);
    expect(message).toContain(`${runKey3.PK} / ${runKey3.SK}`);
    expect(message).toContain('outcome');

    const listing = await store().listAccountOutcomes();
    expect(listing.outcomes.map((o) => o.accountId).sort()).toEqual([accountId(2), accountId(3)]);
    expect(listing.malformed).toHaveLength(1);
    expect(listing.malformed[0]!.key).toEqual(latestKey);
  });
});
