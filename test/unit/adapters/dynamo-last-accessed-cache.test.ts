import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  DynamoLastAccessedCache,
  LastAccessedCacheError,
} from '../../../functions/adapters/dynamo-last-accessed-cache';

const TABLE = 'findings';
const ACCOUNT = '111122223333';
const documents = mockClient(DynamoDBDocumentClient);

function data(count: number) {
  return Object.fromEntries(
    Array.from({ length: count }, (_, i) => [
      `arn:aws:iam::${ACCOUNT}:role/r${i}`,
      { JobStatus: 'COMPLETED', JobCompletionDate: '2024-06-01T00:00:00Z', ServicesLastAccessed: [] },
    ]),
  );
}

function cache(sleeps: number[]) {
  return new DynamoLastAccessedCache(new DynamoDBClient({ region: 'eu-west-1' }), TABLE, {
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
}

beforeEach(() => documents.reset());

describe('DynamoLastAccessedCache writes', () => {
  it('writes again, with backoff, the items DynamoDB left unprocessed', async () => {
    let calls = 0;
    documents.on(BatchWriteCommand).callsFake((input: { RequestItems: Record<string, unknown[]> }) => {
      calls++;
      const requests = input.RequestItems[TABLE]!;
      // Throttled twice: the first time half of the batch stays unprocessed, then one item.
      if (calls === 1) return { UnprocessedItems: { [TABLE]: requests.slice(0, 2) } };
      if (calls === 2) return { UnprocessedItems: { [TABLE]: requests.slice(0, 1) } };
      return {};
    });
    const sleeps: number[] = [];
    expect(await cache(sleeps).save(ACCOUNT, data(4))).toEqual({ written: 4, unchanged: 0 });
    const sent = documents
      .commandCalls(BatchWriteCommand)
      .map((call) => call.args[0].input.RequestItems![TABLE]!.length);
    expect(sent).toEqual([4, 2, 1]);
    expect(sleeps).toEqual([100, 200]);
  });

  it('gives up after 8 attempts, naming the account and what is left', async () => {
    documents.on(BatchWriteCommand).callsFake((input: { RequestItems: Record<string, unknown[]> }) => ({
      UnprocessedItems: { [TABLE]: input.RequestItems[TABLE]!.slice(0, 1) },
    }));
    const sleeps: number[] = [];
    const failure = cache(sleeps).save(ACCOUNT, data(3));
    await expect(failure).rejects.toBeInstanceOf(LastAccessedCacheError);
    await expect(failure).rejects.toThrow(
      `could not write the service-last-accessed cache of ${ACCOUNT}: 1 item(s) still unprocessed after 8 attempts`,
    );
    expect(documents.commandCalls(BatchWriteCommand)).toHaveLength(8);
    expect(sleeps).toEqual([100, 200, 400, 800, 1600, 2000, 2000]);
  });

  it('keeps the cause of a failed request', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    documents.on(BatchWriteCommand).rejects(throttled);
    const failure = cache([]).save(ACCOUNT, data(1));
    await expect(failure).rejects.toMatchObject({
      name: 'LastAccessedCacheError',
      message: `could not write the service-last-accessed cache of ${ACCOUNT}: ThrottlingException: Rate exceeded`,
      cause: throttled,
    });
  });
});
