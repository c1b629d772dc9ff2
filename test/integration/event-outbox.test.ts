import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DynamoEventOutbox,
  OUTBOX_TTL_DAYS,
  outboxPartition,
} from '../../functions/adapters/dynamo-event-outbox';
import { DynamoFindingsStore } from '../../functions/adapters/dynamo-findings-store';
import { EventBridgePublisher } from '../../functions/adapters/event-publisher';
import { readExportDirectory } from '../../functions/adapters/export-reader';
import type { RawAccountData } from '../../functions/core/raw';
import { DEFAULT_SETTINGS } from '../../functions/core/settings';
import { drainOutbox } from '../../functions/use-cases/drain-outbox';
import { type RunScanResult, runScan } from '../../functions/use-cases/run-scan';
import { useMotoWithTable } from '../support/moto-table';

/**
 * The outbox on moto: a scan whose bus does not exist keeps its events in the findings table,
 * and the next scan, publishing to a bus that does, sends them first, in order, and deletes them.
 */

const TABLE = 'iam-posture-findings';
const BUS = 'iam-posture';
const ACCOUNT = '111122223333';

let eventBridge: EventBridgeClient;
let demo: RawAccountData;
/** Every PutEvents request: the event ids sent and how many moto accepted. */
const putEvents: { bus: string; eventIds: string[]; accepted: string[] }[] = [];

const env = useMotoWithTable(TABLE, { dynamo: { maxAttempts: 2 }, timeToLive: true });

beforeAll(async () => {
  demo = await readExportDirectory('examples/demo-account');
  eventBridge = new EventBridgeClient({ ...env.moto.clientConfig, maxAttempts: 1 });
  eventBridge.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'PutEventsCommand') return next(args);
      const input = args.input as { Entries: { Detail: string; EventBusName: string }[] };
      const eventIds = input.Entries.map((entry) => JSON.parse(entry.Detail).eventId as string);
      const request = { bus: input.Entries[0]!.EventBusName, eventIds, accepted: [] as string[] };
      putEvents.push(request);
      const result = await next(args);
      const output = result.output as { Entries?: { EventId?: string }[] };
      request.accepted = eventIds.filter((_, i) => output.Entries?.[i]?.EventId);
      return result;
    },
    { step: 'initialize', name: 'recordPutEvents' },
  );
});

beforeEach(async () => {
  await eventBridge.send(new CreateEventBusCommand({ Name: BUS }));
  putEvents.length = 0;
});

const outbox = () => new DynamoEventOutbox(env.dynamo, TABLE, { sleep: async () => {} });
const publisher = (bus: string) =>
  new EventBridgePublisher(eventBridge, { eventBusName: bus, sleep: async () => {} });

async function scan(bus: string, now: Date): Promise<RunScanResult> {
  let n = 0;
  return runScan(
    {
      collect: async () => ({ raw: demo, origin: 'export' }),
      store: new DynamoFindingsStore(env.dynamo, TABLE, { sleep: async () => {} }),
      events: publisher(bus),
      outbox: outbox(),
      now: () => now,
      randomSuffix: () => `cafe${String(++n).padStart(4, '0')}`,
      sleep: async () => {},
    },
    { settings: DEFAULT_SETTINGS },
  );
}

async function outboxItems(): Promise<Record<string, unknown>[]> {
  const documents = DynamoDBDocumentClient.from(env.dynamo);
  const output = await documents.send(
    new QueryCommand({
      TableName: TABLE,
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': outboxPartition(ACCOUNT) },
    }),
  );
  return output.Items ?? [];
}

describe('event outbox on DynamoDB and EventBridge (moto)', () => {
  it('keeps the events a missing bus refused, and the next scan sends them first, in order', async () => {
    const first = await scan('no-such-bus', new Date('2025-06-03T00:00:00.000Z'));
    expect(first.outcome).toBe('completed');
    expect(putEvents.length).toBeGreaterThan(0);
    expect(putEvents.every((request) => request.accepted.length === 0)).toBe(true);
    const meant = putEvents.flatMap((request) => request.eventIds);

    const items = await outboxItems();
    expect(items.map((item) => item.eventId)).toEqual(meant);
    expect(items.at(-1)!.detailType).toBe('ScanCompleted');
    expect(
      items.every(
        (item) => item.ttl === Date.parse('2025-06-03T00:00:00Z') / 1000 + OUTBOX_TTL_DAYS * 86_400,
      ),
    ).toBe(true);
    expect(first.outbox?.kept).toBe(meant.length);
    expect(await outbox().accounts()).toEqual([ACCOUNT]);

    putEvents.length = 0;
    const second = await scan(BUS, new Date('2025-06-04T00:00:00.000Z'));
    const accepted = putEvents.flatMap((request) => request.accepted);
    expect(accepted.slice(0, meant.length)).toEqual(meant);
    expect(accepted).toHaveLength(meant.length + 1);
    expect(putEvents.every((request) => request.bus === BUS && request.eventIds.length <= 10)).toBe(true);
    expect(second.outbox?.drained?.sent).toBe(meant.length);
    expect(await outboxItems()).toEqual([]);
    expect(await outbox().accounts()).toEqual([]);
  });

  it('drains every account from a scheduled caller, and keeps what a bus still refuses', async () => {
    await scan('no-such-bus', new Date('2025-06-03T00:00:00.000Z'));
    const kept = (await outboxItems()).length;
    expect(kept).toBeGreaterThan(10);

    const refused = await drainOutbox({ outbox: outbox(), events: publisher('no-such-bus') });
    expect(refused.sent).toBe(0);
    expect(refused.accounts[0]).toMatchObject({ accountId: ACCOUNT, more: true });
    expect(refused.failed).toBe(10);
    expect(await outboxItems()).toHaveLength(kept);

    const drained = await drainOutbox({ outbox: outbox(), events: publisher(BUS) });
    expect(drained.sent).toBe(kept);
    expect(await outboxItems()).toEqual([]);
  });
});
