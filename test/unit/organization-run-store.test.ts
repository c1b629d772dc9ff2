import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoFindingsStore, FindingsStoreError } from '../../functions/adapters/dynamo-findings-store';
import { type AccountOutcome, organizationRun } from '../../functions/core/organization-scan';

const documents = mockClient(DynamoDBDocumentClient);
const TABLE = 'findings';

function store(sleeps: number[] = []): DynamoFindingsStore {
  return new DynamoFindingsStore(new DynamoDBClient({ region: 'us-east-1' }), TABLE, {
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
}

const accountId = (n: number) => String(200000000000 + n);

function outcome(n: number): AccountOutcome {
  return {
    accountId: accountId(n),
    accountName: `acct-${n}`,
    outcome: 'complete',
    apiCalls: 5,
    findings: 0,
    opened: 0,
    resolved: 0,
    held: 0,
    startedAt: '2024-06-01T00:00:00.000Z',
    finishedAt: '2024-06-01T00:01:00.000Z',
  };
}

function aRun(count: number) {
  const outcomes = Array.from({ length: count }, (_, i) => outcome(i));
  return organizationRun({
    runId: 'run-7',
    startedAt: '2024-06-01T00:00:00.000Z',
    finishedAt: '2024-06-01T00:02:00.000Z',
    accounts: outcomes.map((o) => ({ id: o.accountId, name: o.accountName })),
    outcomes,
  });
}

beforeEach(() => {
  documents.reset();
});

describe('DynamoFindingsStore.recordOrganizationRun', () => {
  it('writes the outcomes 25 per batch, asks again for unprocessed ones, then the header, the latest outcomes and the pointer', async () => {
    const run = aRun(30);
    documents
      .on(BatchWriteCommand)
      .resolvesOnce({
        UnprocessedItems: {
          [TABLE]: [
            {
              PutRequest: {
                Item: { PK: 'ORGRUN#run-7', SK: `ACCOUNT#${accountId(3)}`, ...outcome(3), runId: 'run-7' },
              },
            },
          ],
        },
      })
      .resolves({});
    documents.on(PutCommand).resolves({});
    const sleeps: number[] = [];
    await store(sleeps).recordOrganizationRun(run);

    const batches = documents
      .commandCalls(BatchWriteCommand)
      .map((call) => call.args[0].input.RequestItems![TABLE]!.length);
    expect(batches).toEqual([25, 1, 5]);
    expect(sleeps).toHaveLength(1);
    const puts = documents.commandCalls(PutCommand).map((call) => call.args[0].input);
    expect(puts[0]!.Item).toMatchObject({
      PK: 'ORGRUN#run-7',
      SK: 'RUN',
      accounts: 30,
      itemType: 'organization-run',
    });
    const latest = puts.slice(1, 31);
    expect(latest.map((put) => put.Item!.PK).sort()).toEqual(
      run.outcomes.map((o) => `ACCOUNT#${o.accountId}`).sort(),
    );
    expect(latest[0]).toMatchObject({
      ConditionExpression: 'attribute_not_exists(#pk) OR #finishedAt <= :finishedAt',
      Item: { SK: 'ORGANIZATION', GSI2PK: 'ORGANIZATION#ACCOUNTS', runId: 'run-7' },
    });
    expect(puts.at(-1)!.Item).toMatchObject({ PK: 'ORGANIZATION', SK: 'LATEST_RUN', runId: 'run-7' });
    expect(puts).toHaveLength(32);
  });

  it('keeps a newer stored outcome: the conditional check failing is not an error', async () => {
    documents.on(BatchWriteCommand).resolves({});
    documents
      .on(PutCommand)
      .resolves({})
      .on(PutCommand, { Item: { SK: 'ORGANIZATION' } }, false)
      .rejects(
        Object.assign(new Error('The conditional request failed'), {
          name: 'ConditionalCheckFailedException',
        }),
      );
    await expect(store().recordOrganizationRun(aRun(2))).resolves.toBeUndefined();
  });

  it('fails with the table error when a write fails for another reason', async () => {
    documents
      .on(BatchWriteCommand)
      .rejects(Object.assign(new Error('boom'), { name: 'InternalServerError' }));
    const error = await store()
      .recordOrganizationRun(aRun(2))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FindingsStoreError);
    expect((error as Error).message).toContain('could not store the outcomes of organization run run-7');
  });
});

describe('DynamoFindingsStore.latestOrganizationRun', () => {
  it('refuses a run with fewer outcome items than its header counts', async () => {
    documents
      .on(GetCommand, { Key: { PK: 'ORGANIZATION', SK: 'LATEST_RUN' } })
      .resolves({ Item: { PK: 'ORGANIZATION', SK: 'LATEST_RUN', runId: 'run-7', startedAt: 'x' } })
      .on(GetCommand, { Key: { PK: 'ORGRUN#run-7', SK: 'RUN' } })
      .resolves({
        Item: {
          PK: 'ORGRUN#run-7',
          SK: 'RUN',
          runId: 'run-7',
          startedAt: 'a',
          finishedAt: 'b',
          counts: { total: 2, complete: 2, partial: 0, failed: 0 },
          accounts: 2,
        },
      });
    documents.on(QueryCommand).resolves({
      Items: [{ PK: 'ORGRUN#run-7', SK: `ACCOUNT#${accountId(0)}`, ...outcome(0), runId: 'run-7' }],
    });
    await expect(store().latestOrganizationRun()).rejects.toThrow(
      'organization run run-7 is incomplete: ORGRUN#run-7 / RUN counts 2 accounts, 1 outcome items are stored',
    );
  });

  it('names the pointer when the run it points at is missing', async () => {
    documents
      .on(GetCommand, { Key: { PK: 'ORGANIZATION', SK: 'LATEST_RUN' } })
      .resolves({ Item: { PK: 'ORGANIZATION', SK: 'LATEST_RUN', runId: 'gone', startedAt: 'x' } })
      .on(GetCommand, { Key: { PK: 'ORGRUN#gone', SK: 'RUN' } })
      .resolves({});
    await expect(store().latestOrganizationRun()).rejects.toThrow(
      'ORGANIZATION / LATEST_RUN points at organization run gone, which is not stored',
    );
  });
});

describe('DynamoFindingsStore.openFindingCounts', () => {
  it('counts open findings by the severity rank at the start of the index sort key', async () => {
    documents
      .on(QueryCommand)
      .resolvesOnce({
        Items: [
          { PK: 'a', SK: 'FINDING#1', GSI1SK: '0#9000#1' },
          { PK: 'a', SK: 'FINDING#2', GSI1SK: '2#9000#2' },
        ],
        LastEvaluatedKey: { PK: 'a' },
      })
      .resolvesOnce({ Items: [{ PK: 'a', SK: 'FINDING#3', GSI1SK: '2#9100#3' }] });
    expect(await store().openFindingCounts(accountId(1))).toEqual({
      critical: 1,
      high: 0,
      medium: 2,
      low: 0,
      informational: 0,
    });
    expect(documents.commandCalls(QueryCommand)[0]!.args[0].input).toMatchObject({
      IndexName: 'by-status',
      ExpressionAttributeValues: { ':pk': `ACCOUNT#${accountId(1)}#open` },
    });
    expect(documents.commandCalls(BatchGetCommand)).toHaveLength(0);
  });
});
