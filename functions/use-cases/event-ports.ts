/** What the use cases that announce changes need from the bus, and the outbox that keeps what it refused. */

/** An event for the bus (the EventBridge publisher takes these). */
export interface ScanEvent {
  detailType: 'FindingOpened' | 'FindingResolved' | 'ScanCompleted' | 'OrganizationScanCompleted';
  detail: { version: number } & Record<string, unknown>;
  resources?: string[];
}

export interface ScanEventPublisher {
  publish(events: readonly ScanEvent[]): Promise<EventsOutcome>;
}

export interface FailedEventOutcome {
  /** The event's position in the list handed to `publish`. */
  index: number;
  detailType: string;
  errorCode: string;
  errorMessage?: string;
}

export interface EventsOutcome {
  events: number;
  published: number;
  failed: FailedEventOutcome[];
  requests: number;
  failedEntryCount: number;
}

/** An event the bus did not take, kept until a later publish succeeds. */
export interface OutboxEntry {
  accountId: string;
  /** `<written at, ISO-8601>#<place among the events written together, 4 digits>`: entries sort by it. */
  position: string;
  /** The event's `detail.eventId`: a consumer that already saw it drops the resend. */
  eventId: string;
  event: ScanEvent;
  writtenAt: string;
}

/** A stored outbox entry that could not be read back. */
export interface MalformedOutboxEntry {
  key: { PK: string; SK: string };
  issues: string[];
}

export interface OutboxPage {
  /** Oldest first. */
  entries: OutboxEntry[];
  malformed: MalformedOutboxEntry[];
}

/** Events the bus refused, per account, oldest first. */
export interface EventOutbox {
  /** Keeps the events, in the order given, after every entry already kept for the account. */
  add(accountId: string, events: readonly ScanEvent[], now: Date): Promise<OutboxEntry[]>;
  /** The account's oldest entries, at most `limit`. */
  pending(accountId: string, limit: number): Promise<OutboxPage>;
  /** Deletes entries the bus accepted. */
  remove(entries: readonly OutboxEntry[]): Promise<void>;
  /** Accounts with at least one entry kept. */
  accounts(): Promise<string[]>;
}
