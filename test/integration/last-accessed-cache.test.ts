import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoFindingsStore } from '../../functions/adapters/dynamo-findings-store';
import {
  DynamoLastAccessedCache,
  LAST_ACCESSED_TTL_DAYS,
  type LastAccessedCacheWarning,
  lastAccessedKey,
} from '../../functions/adapters/dynamo-last-accessed-cache';
import { MOTO_ACCOUNT_ID } from '../support/moto';
import { useMotoWithTable } from '../support/moto-table';

const TABLE = 'iam-posture-findings';
const ACCOUNT = MOTO_ACCOUNT_ID;
const OTHER_ACCOUNT = '210987654321';
const NOW = new Date('2024-06-01T12:00:00Z');

let documents: DynamoDBDocumentClient;
/** The put requests of every BatchWriteItem that reached moto, per request. */
const batchWrites: number[] = [];

function arn(name: string, account = ACCOUNT): string {
  return `arn:aws:iam::${account}:role/${name}`;
}

function output(completedAt: string, namespaces: string[] = ['s3', 'ec2']) {
  return {
    JobStatus: 'COMPLETED',
    JobType: 'SERVICE_LEVEL',
    JobCreationDate: completedAt,
    JobCompletionDate: completedAt,
    ServicesLastAccessed: namespaces.map((namespace) => ({
      ServiceName: namespace,
      ServiceNamespace: namespace,
      TotalAuthenticatedEntities: 0,
    })),
    IsTruncated: false,
  };
}

function cache(warnings: LastAccessedCacheWarning[] = []) {
  return new DynamoLastAccessedCache(env.dynamo, TABLE, {
    now: () => NOW,
    onWarning: (_message, warning) => warnings.push(warning),
  });
}

const env = useMotoWithTable(TABLE, { dynamo: { maxAttempts: 2 }, timeToLive: true });

beforeAll(async () => {
  env.dynamo.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'BatchWriteItemCommand') {
        const input = args.input as { RequestItems: Record<string, unknown[]> };
        batchWrites.push(Object.values(input.RequestItems).flat().length);
      }
      return next(args);
    },
    { step: 'initialize', name: 'countBatchWrites' },
  );
  documents = DynamoDBDocumentClient.from(env.dynamo);
});

beforeEach(async () => {
  batchWrites.length = 0;
});

describe('service-last-accessed cache on DynamoDB', () => {
  it('round-trips every principal of an account, in batches of 25, apart from other accounts', async () => {
    const data = Object.fromEntries(
      Array.from({ length: 60 }, (_, i) => [arn(`role-${i}`), output('2024-05-30T08:00:00Z')]),
    );
    const other = { [arn('elsewhere', OTHER_ACCOUNT)]: output('2024-05-29T08:00:00.000Z', ['iam']) };

    expect(await cache().save(ACCOUNT, data)).toEqual({ written: 60, unchanged: 0 });
    expect(await cache().save(OTHER_ACCOUNT, other)).toEqual({ written: 1, unchanged: 0 });
    expect(batchWrites).toEqual([25, 25, 10, 1]);

    expect(await cache().load(ACCOUNT)).toEqual(data);
    expect(await cache().load(OTHER_ACCOUNT)).toEqual(other);
    expect(await cache().load('999999999999')).toEqual({});

    const stored = await documents.send(
      new GetCommand({ TableName: TABLE, Key: lastAccessedKey(ACCOUNT, arn('role-7')) }),
    );
    expect(stored.Item).toMatchObject({
      PK: `LAST-ACCESSED#${ACCOUNT}`,
      SK: `PRINCIPAL#${arn('role-7')}`,
      itemType: 'service-last-accessed',
      accountId: ACCOUNT,
      principalArn: arn('role-7'),
      jobCompletionDate: '2024-05-30T08:00:00.000Z',
      savedAt: NOW.toISOString(),
      ttl: NOW.getTime() / 1000 + LAST_ACCESSED_TTL_DAYS * 86_400,
    });
    // Compressed: smaller than the JSON it holds.
    expect((stored.Item!.details as Uint8Array).byteLength).toBeLessThan(
      JSON.stringify(data[arn('role-7')]).length,
    );
  });

  it('writes back only the principals whose result changed', async () => {
    const day1 = {
      [arn('a')]: output('2024-05-30T08:00:00Z'),
      [arn('b')]: output('2024-05-30T08:00:00Z'),
      [arn('c')]: output('2024-05-30T08:00:00Z'),
    };
    await cache().save(ACCOUNT, day1);
    batchWrites.length = 0;

    const scan = cache();
    const loaded = await scan.load(ACCOUNT);
    const day2 = {
      ...loaded,
      [arn('b')]: output('2024-06-01T11:00:00Z'),
      [arn('d')]: output('2024-06-01T11:00:00Z'),
    };
    expect(await scan.save(ACCOUNT, day2)).toEqual({ written: 2, unchanged: 2 });
    expect(batchWrites).toEqual([2]);

    // Saved again unchanged by the same instance: nothing is sent at all.
    expect(await scan.save(ACCOUNT, day2)).toEqual({ written: 0, unchanged: 4 });
    expect(batchWrites).toEqual([2]);
    expect(await cache().load(ACCOUNT)).toEqual(day2);
  });

  it('skips a malformed item with a warning, keeps the others, and rewrites it on the next save', async () => {
    const good = output('2024-05-30T08:00:00Z');
    await cache().save(ACCOUNT, { [arn('good')]: good });
    const gzipped = (text: string) => gzipSync(text);
    const digest = (text: string) => createHash('sha256').update(text).digest('hex');
    const damaged = [
      { name: 'text-details', details: 'not binary', digest: 'x' },
      { name: 'truncated-json', details: gzipped('{"JobStatus":'), digest: digest('{"JobStatus":') },
      {
        name: 'wrong-digest',
        details: gzipped(JSON.stringify(good)),
        digest: digest('something else'),
      },
      {
        name: 'no-completion',
        details: gzipped('{"JobStatus":"COMPLETED"}'),
        digest: digest('{"JobStatus":"COMPLETED"}'),
      },
    ];
    for (const item of damaged) {
      await documents.send(
        new PutCommand({
          TableName: TABLE,
          Item: {
            ...lastAccessedKey(ACCOUNT, arn(item.name)),
            itemType: 'service-last-accessed',
            principalArn: arn(item.name),
            details: item.details,
            digest: item.digest,
          },
        }),
      );
    }
    await documents.send(
      new PutCommand({
        TableName: TABLE,
        Item: { PK: `LAST-ACCESSED#${ACCOUNT}`, SK: 'PRINCIPAL#', principalArn: '' },
      }),
    );

    const warnings: LastAccessedCacheWarning[] = [];
    const scan = cache(warnings);
    expect(await scan.load(ACCOUNT)).toEqual({ [arn('good')]: good });
    expect(warnings.map((w) => [w.principalArn, w.reason.replace(/:.*/, '')])).toEqual([
      [undefined, 'the sort key names no principal'],
      [arn('no-completion'), 'details has no valid JobCompletionDate'],
      [arn('text-details'), 'details is not binary'],
      [arn('truncated-json'), 'details is not JSON'],
      [arn('wrong-digest'), 'details does not match its digest'],
    ]);
    expect(warnings.every((w) => w.accountId === ACCOUNT && w.key?.PK === `LAST-ACCESSED#${ACCOUNT}`)).toBe(
      true,
    );

    // The scan generates the skipped principal again; saving writes it and leaves the good one alone.
    batchWrites.length = 0;
    const fresh = output('2024-06-01T11:00:00Z');
    expect(await scan.save(ACCOUNT, { [arn('good')]: good, [arn('truncated-json')]: fresh })).toEqual({
      written: 1,
      unchanged: 1,
    });
    expect(batchWrites).toEqual([1]);
    const after = await cache().load(ACCOUNT);
    expect(after[arn('truncated-json')]).toEqual(fresh);
    expect(after[arn('good')]).toEqual(good);
  });

  it('stays out of the findings partition: the findings store reads no cached item', async () => {
    await cache().save(ACCOUNT, { [arn('a')]: output('2024-05-30T08:00:00Z') });
    const loaded = await new DynamoFindingsStore(env.dynamo, TABLE).loadAccount(ACCOUNT);
    expect(loaded.findings).toEqual([]);
    expect(loaded.malformed).toEqual([]);
  });

  it('names the table when it does not exist', async () => {
    const missing = new DynamoLastAccessedCache(env.dynamo, 'no-such-table');
    await expect(missing.load(ACCOUNT)).rejects.toMatchObject({
      name: 'LastAccessedCacheError',
      message: expect.stringContaining('the findings table no-such-table does not exist'),
    });
    await expect(missing.save(ACCOUNT, { [arn('a')]: output('2024-05-30T08:00:00Z') })).rejects.toMatchObject(
      {
        name: 'LastAccessedCacheError',
        message: expect.stringContaining('the findings table no-such-table does not exist'),
      },
    );
  });
});
