import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  EVENT_SOURCE,
  EventBridgePublisher,
  entrySize,
  MAX_REQUEST_BYTES,
  type PostureEvent,
} from '../../functions/adapters/event-publisher';

const eventBridge = mockClient(EventBridgeClient);
const TIME = new Date('2024-06-01T12:00:00Z');
const sleeps: number[] = [];

function publisher(maxAttempts = 4) {
  return new EventBridgePublisher(new EventBridgeClient({ region: 'us-east-1' }), {
    eventBusName: 'posture-bus',
    maxAttempts,
    now: () => TIME,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
}

function opened(n: number, extra = ''): PostureEvent {
  return {
    detailType: 'FindingOpened',
    detail: { version: 1, scanId: 's-1', finding: { id: `f-${n}`, note: extra } },
    resources: [`arn:aws:iam::111122223333:role/r${n}`],
  };
}

function sentEntries(): PutEventsRequestEntry[][] {
  return eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries ?? []);
}

beforeEach(() => {
  eventBridge.reset();
  sleeps.length = 0;
});

describe('EventBridgePublisher', () => {
  it('sends versioned entries with source iam-posture, the bus name and the resources', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    const result = await publisher().publish([opened(1)]);
    expect(result).toEqual({ events: 1, published: 1, failed: [], requests: 1, failedEntryCount: 0 });
    const [entry] = sentEntries()[0]!;
    expect(entry).toEqual({
      EventBusName: 'posture-bus',
      Source: EVENT_SOURCE,
      DetailType: 'FindingOpened',
      Detail: JSON.stringify({ version: 1, scanId: 's-1', finding: { id: 'f-1', note: '' } }),
      Time: TIME,
      Resources: ['arn:aws:iam::111122223333:role/r1'],
    });
    expect(EVENT_SOURCE).toBe('iam-posture');
  });

  it('sends at most 10 entries per request, in order', async () => {
    eventBridge.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map((_, i) => ({ EventId: `e-${i}` })),
    }));
    const result = await publisher().publish(Array.from({ length: 23 }, (_, i) => opened(i)));
    expect(sentEntries().map((entries) => entries.length)).toEqual([10, 10, 3]);
    const ids = sentEntries()
      .flat()
      .map((entry) => JSON.parse(entry.Detail!).finding.id);
    expect(ids).toEqual(Array.from({ length: 23 }, (_, i) => `f-${i}`));
    expect(result.published).toBe(23);
    expect(result.requests).toBe(3);
  });

  it('keeps each request under 256 KB', async () => {
    eventBridge.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map(() => ({ EventId: 'e' })),
    }));
    const big = 'x'.repeat(100_000);
    const result = await publisher().publish([opened(1, big), opened(2, big), opened(3, big)]);
    const batches = sentEntries();
    expect(batches.map((entries) => entries.length)).toEqual([2, 1]);
    for (const entries of batches) {
      expect(entries.reduce((sum, entry) => sum + entrySize(entry), 0)).toBeLessThanOrEqual(
        MAX_REQUEST_BYTES,
      );
    }
    expect(result.published).toBe(3);
  });

  it('retries only the entries EventBridge reports as failed', async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [
          { EventId: 'e-1' },
          { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' },
          { EventId: 'e-3' },
        ],
      })
      .resolvesOnce({ FailedEntryCount: 0, Entries: [{ EventId: 'e-2' }] });
    const result = await publisher().publish([opened(1), opened(2), opened(3)]);
    const batches = sentEntries();
    expect(batches).toHaveLength(2);
    expect(JSON.parse(batches[1]![0]!.Detail!).finding.id).toBe('f-2');
    expect(result).toMatchObject({ published: 3, failed: [], requests: 2, failedEntryCount: 1 });
    expect(sleeps).toEqual([100]);
  });

  it('names each failed entry by its place in the list given, after retries reordered them', async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 2,
        Entries: [
          { EventId: 'e-1' },
          { ErrorCode: 'ThrottlingException' },
          { ErrorCode: 'MalformedDetail' },
          { EventId: 'e-4' },
        ],
      })
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException' }] });
    const result = await publisher(2).publish([opened(1), opened(2), opened(3), opened(4)]);
    expect(result.published).toBe(2);
    expect(result.failed.map((f) => [f.index, f.errorCode])).toEqual([
      [2, 'MalformedDetail'],
      [1, 'ThrottlingException'],
    ]);
  });

  it('reports entries that still fail after every attempt, with their error code', async () => {
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'boom' }],
    });
    const result = await publisher(3).publish([opened(1)]);
    expect(result.published).toBe(0);
    expect(result.failed).toEqual([
      { index: 0, detailType: 'FindingOpened', errorCode: 'InternalFailure', errorMessage: 'boom' },
    ]);
    expect(result.requests).toBe(3);
    expect(result.failedEntryCount).toBe(3);
  });

  it('does not retry an entry EventBridge rejects as malformed', async () => {
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'MalformedDetail', ErrorMessage: 'bad json' }],
    });
    const result = await publisher().publish([opened(1)]);
    expect(result.requests).toBe(1);
    expect(result.failed[0]!.errorCode).toBe('MalformedDetail');
  });

  it('reports a whole failed request as failed entries instead of throwing', async () => {
    const denied = Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' });
    eventBridge.on(PutEventsCommand).rejects(denied);
    const result = await publisher().publish([opened(1), opened(2)]);
    expect(result.failed.map((failure) => failure.errorCode)).toEqual([
      'AccessDeniedException',
      'AccessDeniedException',
    ]);
    expect(result.requests).toBe(1);
  });

  it('does not send again a request that failed as a whole: the SDK already retried it', async () => {
    const throttled = Object.assign(new Error('rate exceeded'), { name: 'ThrottlingException' });
    eventBridge.on(PutEventsCommand).rejects(throttled);
    const result = await publisher().publish([opened(1)]);
    expect(result.failed.map((failure) => failure.errorCode)).toEqual(['ThrottlingException']);
    expect(result.requests).toBe(1);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(1);
  });

  it('refuses an entry larger than 256 KB without sending it', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
    const result = await publisher().publish([opened(1, 'x'.repeat(MAX_REQUEST_BYTES)), opened(2)]);
    expect(result.failed).toEqual([
      expect.objectContaining({ detailType: 'FindingOpened', errorCode: 'EntryTooLarge' }),
    ]);
    expect(sentEntries().flat()).toHaveLength(1);
    expect(result.published).toBe(1);
  });

  it('sends nothing for no events', async () => {
    const result = await publisher().publish([]);
    expect(result.requests).toBe(0);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });
});
