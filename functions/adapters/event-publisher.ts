import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
  type PutEventsResultEntry,
} from '@aws-sdk/client-eventbridge';
import { type BackoffPolicy, backoffDelay, type Sleep, sleep as timerSleep } from '../core/backoff';

/**
 * Publishes iam-posture events to an EventBridge bus: batches of at most 10 entries and 256 KB
 * (PutEvents' limits), retrying the entries EventBridge reports as failed. Failures are reported,
 * not thrown: the findings are stored already, and a scan never fails because a notification did.
 */

export const EVENT_SOURCE = 'iam-posture';

/** PutEvents accepts at most 10 entries and 256 KB per request (the size of every entry together). */
export const MAX_ENTRIES_PER_REQUEST = 10;
export const MAX_REQUEST_BYTES = 256 * 1024;

export interface PostureEvent {
  detailType: string;
  /** Versioned: consumers match on `version`. */
  detail: { version: number } & Record<string, unknown>;
  /** ARNs the event is about (EventBridge rules can match on them). */
  resources?: string[];
}

export interface FailedEvent {
  /** The event's position in the list handed to `publish`. */
  index: number;
  detailType: string;
  errorCode: string;
  errorMessage?: string;
}

export interface PublishResult {
  /** Events handed to `publish`. */
  events: number;
  published: number;
  failed: FailedEvent[];
  /** PutEvents requests sent, retries included. */
  requests: number;
  /** Sum of `FailedEntryCount` over every response (entries failed on some attempt). */
  failedEntryCount: number;
}

export interface EventPublisherOptions {
  eventBusName: string;
  /** Attempts per entry, the first included. Default 4. */
  maxAttempts?: number;
  sleep?: Sleep;
  /** The event time; default: when the entry is sent. */
  now?: () => Date;
}

/** Between attempts at the entries EventBridge rejected: 100 ms doubling to 5 s. */
export const RETRY_BACKOFF: BackoffPolicy = { baseMs: 100, capMs: 5000 };

/** Codes that a retry cannot fix. */
const PERMANENT_CODES = new Set([
  'MalformedDetail',
  'InvalidArgument',
  'ValidationException',
  'AccessDeniedException',
  'NotAuthorizedForSourceException',
  'NotAuthorizedForDetailTypeException',
  'ResourceNotFoundException',
  'EntryTooLarge',
]);

interface Pending {
  index: number;
  event: PostureEvent;
  entry: PutEventsRequestEntry;
  size: number;
}

export class EventBridgePublisher {
  private readonly maxAttempts: number;
  private readonly sleep: Sleep;

  constructor(
    private readonly client: EventBridgeClient,
    private readonly options: EventPublisherOptions,
  ) {
    this.maxAttempts = options.maxAttempts ?? 4;
    this.sleep = options.sleep ?? timerSleep;
  }

  async publish(events: readonly PostureEvent[]): Promise<PublishResult> {
    const result: PublishResult = {
      events: events.length,
      published: 0,
      failed: [],
      requests: 0,
      failedEntryCount: 0,
    };
    let pending: Pending[] = [];
    for (const [index, event] of events.entries()) {
      const entry = this.entry(event);
      const size = entrySize(entry);
      if (size > MAX_REQUEST_BYTES) {
        result.failed.push({
          index,
          detailType: event.detailType,
          errorCode: 'EntryTooLarge',
          errorMessage: `the entry is ${size} bytes; EventBridge accepts at most ${MAX_REQUEST_BYTES}`,
        });
        continue;
      }
      pending.push({ index, event, entry, size });
    }

    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > 1) await this.sleep(backoffDelay(attempt - 1, RETRY_BACKOFF));
      const retry: Pending[] = [];
      for (const batch of batches(pending)) {
        const { outcomes, requestFailed } = await this.send(batch, result);
        for (const [i, outcome] of outcomes.entries()) {
          const item = batch[i]!;
          if (!outcome.ErrorCode) {
            result.published++;
            continue;
          }
          // A request that failed as a whole was already retried by the SDK: only entries that
          // EventBridge itself rejected are tried again here.
          if (requestFailed || PERMANENT_CODES.has(outcome.ErrorCode) || attempt >= this.maxAttempts) {
            result.failed.push({
              index: item.index,
              detailType: item.event.detailType,
              errorCode: outcome.ErrorCode,
              ...(outcome.ErrorMessage ? { errorMessage: outcome.ErrorMessage } : {}),
            });
          } else {
            retry.push(item);
          }
        }
      }
      pending = retry;
    }
    return result;
  }

  /** One PutEvents request; a request that fails as a whole fails each of its entries. */
  private async send(
    batch: readonly Pending[],
    result: PublishResult,
  ): Promise<{ outcomes: PutEventsResultEntry[]; requestFailed: boolean }> {
    result.requests++;
    try {
      const output = await this.client.send(
        new PutEventsCommand({ Entries: batch.map((item) => item.entry) }),
      );
      result.failedEntryCount += output.FailedEntryCount ?? 0;
      const entries = output.Entries ?? [];
      const outcomes = batch.map(
        (_, i) =>
          entries[i] ?? { ErrorCode: 'MissingResult', ErrorMessage: 'PutEvents returned no entry for it' },
      );
      return { outcomes, requestFailed: false };
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      const message = error instanceof Error ? error.message : String(error);
      result.failedEntryCount += batch.length;
      return { outcomes: batch.map(() => ({ ErrorCode: name, ErrorMessage: message })), requestFailed: true };
    }
  }

  private entry(event: PostureEvent): PutEventsRequestEntry {
    return {
      EventBusName: this.options.eventBusName,
      Source: EVENT_SOURCE,
      DetailType: event.detailType,
      Detail: JSON.stringify(event.detail),
      Time: this.options.now?.() ?? new Date(),
      ...(event.resources && event.resources.length > 0 ? { Resources: event.resources } : {}),
    };
  }
}

/** Batches in order, each within PutEvents' entry count and size limits. */
function batches(pending: readonly Pending[]): Pending[][] {
  const result: Pending[][] = [];
  let batch: Pending[] = [];
  let bytes = 0;
  for (const item of pending) {
    if (
      batch.length >= MAX_ENTRIES_PER_REQUEST ||
      (batch.length > 0 && bytes + item.size > MAX_REQUEST_BYTES)
    ) {
      result.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(item);
    bytes += item.size;
  }
  if (batch.length > 0) result.push(batch);
  return result;
}

/**
 * An entry's size as EventBridge counts it: 14 bytes for the time, plus the UTF-8 bytes of the
 * source, detail type, detail and resources.
 */
export function entrySize(entry: PutEventsRequestEntry): number {
  let size = entry.Time ? 14 : 0;
  for (const text of [entry.Source, entry.DetailType, entry.Detail, ...(entry.Resources ?? [])]) {
    if (text) size += Buffer.byteLength(text, 'utf8');
  }
  return size;
}

/** An event EventBridge did not accept after every attempt. */
export class EventNotPublishedError extends Error {
  override readonly name = 'EventNotPublishedError';
  constructor(
    readonly detailType: string,
    readonly failure: FailedEvent,
  ) {
    super(
      `${detailType} was not published: ${failure.errorCode}${failure.errorMessage ? ` (${failure.errorMessage})` : ''}`,
    );
  }
}

/**
 * The remediation use cases' events over a publisher: one versioned event per call, about the
 * request's resource. An event EventBridge did not take throws `EventNotPublishedError`.
 */
export function remediationEvents(publisher: Pick<EventBridgePublisher, 'publish'>): {
  publish(detailType: string, detail: Record<string, unknown>): Promise<void>;
} {
  return {
    async publish(detailType, detail) {
      const resources = typeof detail.resourceArn === 'string' ? [detail.resourceArn] : [];
      const result = await publisher.publish([
        { detailType, detail: { version: 1, ...detail }, ...(resources.length > 0 ? { resources } : {}) },
      ]);
      const failed = result.failed[0];
      if (failed) throw new EventNotPublishedError(detailType, failed);
    },
  };
}

/**
 * The just-in-time elevation use cases' events over a publisher: one versioned event per call,
 * about the grant's principal. An event EventBridge did not take throws `EventNotPublishedError`.
 */
export function jitEvents(publisher: Pick<EventBridgePublisher, 'publish'>): {
  publish(detailType: string, detail: Record<string, unknown>): Promise<void>;
} {
  return {
    async publish(detailType, detail) {
      const resources = typeof detail.principalArn === 'string' ? [detail.principalArn] : [];
      const result = await publisher.publish([
        { detailType, detail: { version: 1, ...detail }, ...(resources.length > 0 ? { resources } : {}) },
      ]);
      const failed = result.failed[0];
      if (failed) throw new EventNotPublishedError(detailType, failed);
    },
  };
}
