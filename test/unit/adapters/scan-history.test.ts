import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, NumberValue, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoFindingsStore } from '../../../functions/adapters/dynamo-findings-store';
import { type ScanRecord, scanItemKeys } from '../../../functions/core/findings-table';
import { aScanRecord } from '../../support/builders';

/** Reading an account's scan history for the trend: newest first, damaged records named, not fatal. */

const documents = mockClient(DynamoDBDocumentClient);
const ACCOUNT = '111122223333';

function anItem(n: number, overrides: Partial<ScanRecord> = {}): Record<string, unknown> {
  const scanId = `2026010${n}T000000.000Z-0000000${n}`;
  const record = aScanRecord({
    scanId,
    accountId: ACCOUNT,
    startedAt: `2026-01-0${n}T00:00:00.000Z`,
    finishedAt: `2026-01-0${n}T00:00:01.000Z`,
    evaluatedAt: `2026-01-0${n}T00:00:00.000Z`,
    ...overrides,
  });
  return { ...scanItemKeys(ACCOUNT, scanId), itemType: 'scan', ...record };
}

const store = () => new DynamoFindingsStore(new DynamoDBClient({ region: 'us-east-1' }), 'findings');

beforeEach(() => {
  documents.reset();
});

describe('DynamoFindingsStore.scanHistory', () => {
  it('reads newest first, passes over superseded scans and names a damaged record without losing the rest', async () => {
    const withMeasures = anItem(4, {
      governance: { version: 1, measures: { roles: { value: 5 } }, remediationWindowDays: 90 },
    });
    // Numbers come back wrapped (the store reads them so): the measures are unwrapped too.
    (withMeasures.governance as { measures: { roles: { value: unknown } } }).measures.roles.value =
      new NumberValue('5');
    documents
      .on(QueryCommand)
      .resolvesOnce({
        Items: [withMeasures, anItem(3, { outcome: 'superseded' }), { ...anItem(2), attempts: 'many' }],
        LastEvaluatedKey: { PK: `ACCOUNT#${ACCOUNT}`, SK: 'SCAN#2' },
      })
      .resolvesOnce({ Items: [anItem(1)] });

    const history = await store().scanHistory(ACCOUNT, 5);

    expect(history.records.map((r) => r.scanId)).toEqual([
      '20260104T000000.000Z-00000004',
      '20260101T000000.000Z-00000001',
    ]);
    expect(history.records[0]!.governance?.measures.roles).toEqual({ value: 5 });
    // A record stored before the measures existed still reads.
    expect(history.records[1]!.governance).toBeUndefined();
    expect(history.superseded).toBe(1);
    expect(history.malformed).toEqual([
      {
        key: { PK: `ACCOUNT#${ACCOUNT}`, SK: 'SCAN#20260102T000000.000Z-00000002' },
        issues: [expect.stringContaining('attempts')],
      },
    ]);
    const queries = documents.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(queries).toHaveLength(2);
    expect(queries[0]).toMatchObject({
      TableName: 'findings',
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeValues: { ':pk': `ACCOUNT#${ACCOUNT}`, ':prefix': 'SCAN#' },
      ScanIndexForward: false,
      Limit: 10,
    });
    expect(queries[1]!.ExclusiveStartKey).toEqual({ PK: `ACCOUNT#${ACCOUNT}`, SK: 'SCAN#2' });
  });

  it('stops reading once it has the scans asked for', async () => {
    documents.on(QueryCommand).resolves({
      Items: [anItem(3), anItem(2), anItem(1)],
      LastEvaluatedKey: { PK: `ACCOUNT#${ACCOUNT}`, SK: 'SCAN#1' },
    });
    const history = await store().scanHistory(ACCOUNT, 2);
    expect(history.records.map((r) => r.evaluatedAt)).toEqual([
      '2026-01-03T00:00:00.000Z',
      '2026-01-02T00:00:00.000Z',
    ]);
    expect(documents.commandCalls(QueryCommand)).toHaveLength(1);
  });

  it('reads nothing for an account without scans, and rejects a malformed measure', async () => {
    documents.on(QueryCommand).resolvesOnce({ Items: [] });
    expect(await store().scanHistory(ACCOUNT, 10)).toEqual({ records: [], malformed: [], superseded: 0 });

    documents.reset();
    documents.on(QueryCommand).resolves({
      Items: [
        anItem(1, {
          governance: { version: 1, measures: { roles: { value: 'lots' } }, remediationWindowDays: 90 },
        } as never),
      ],
    });
    const history = await store().scanHistory(ACCOUNT, 10);
    expect(history.records).toEqual([]);
    expect(history.malformed[0]!.issues.join(' ')).toContain('governance');
  });
});
