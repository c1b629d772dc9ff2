import type {
  EventOutbox,
  EventsOutcome,
  FailedEventOutcome,
  MalformedOutboxEntry,
  OutboxEntry,
  ScanEventPublisher,
} from './event-ports';

/**
 * Sends the events the bus refused earlier (the outbox in the findings table), oldest first, and
 * deletes each entry only after EventBridge accepted it. The scan function drains before it
 * publishes anything of its own; a scheduled caller can drain every account with no account given.
 *
 * Delivery is at least once: an entry whose delete fails after the bus took it is sent again by
 * the next drain, with the same `detail.eventId`, for consumers to drop. Retries are bounded three
 * ways: the publisher's own attempts per call, a drain stops an account at the first batch with a
 * refused entry (later entries never overtake an earlier one by more than that batch), and an
 * entry nobody manages to send expires with its TTL.
 */

/** PutEvents takes at most 10 entries: one batch per call, so a refusal stops the drain at that batch. */
export const DRAIN_BATCH_SIZE = 10;
/** Entries sent per account and drain, by default: enough for a scan's worth of events. */
export const DEFAULT_DRAIN_LIMIT = 500;

/** Codes no resend can fix: the entry itself is wrong, and keeping it would block the rest. */
export const UNDELIVERABLE_CODES: ReadonlySet<string> = new Set(['EntryTooLarge', 'MalformedDetail']);

export interface DrainOutboxDeps {
  outbox: EventOutbox;
  events: ScanEventPublisher;
}

export interface DrainOutboxOptions {
  /** Drain this account only; default every account with entries. */
  accountId?: string;
  /** Entries sent per account at most; default `DEFAULT_DRAIN_LIMIT`. */
  limit?: number;
}

export interface DrainedAccount {
  accountId: string;
  /** Entries the bus accepted and that were deleted. */
  sent: number;
  /** Entries deleted unsent because the bus can never take them (`UNDELIVERABLE_CODES`). */
  dropped: FailedOutboxEvent[];
  /** Entries the bus refused this time: kept for the next drain. */
  failed: FailedOutboxEvent[];
  /** True when entries may be left that this drain did not try (a refusal or the limit stopped it). */
  more: boolean;
  malformed: MalformedOutboxEntry[];
  requests: number;
}

export interface FailedOutboxEvent {
  eventId: string;
  detailType: string;
  errorCode: string;
  errorMessage?: string;
}

export interface DrainOutboxResult {
  accounts: DrainedAccount[];
  sent: number;
  failed: number;
  dropped: number;
}

export async function drainOutbox(
  deps: DrainOutboxDeps,
  options: DrainOutboxOptions = {},
): Promise<DrainOutboxResult> {
  const accountIds = options.accountId !== undefined ? [options.accountId] : await deps.outbox.accounts();
  const accounts: DrainedAccount[] = [];
  for (const accountId of accountIds) {
    accounts.push(await drainAccount(deps, accountId, options.limit ?? DEFAULT_DRAIN_LIMIT));
  }
  return {
    accounts,
    sent: sum(accounts, (a) => a.sent),
    failed: sum(accounts, (a) => a.failed.length),
    dropped: sum(accounts, (a) => a.dropped.length),
  };
}

async function drainAccount(
  deps: DrainOutboxDeps,
  accountId: string,
  limit: number,
): Promise<DrainedAccount> {
  const drained: DrainedAccount = {
    accountId,
    sent: 0,
    dropped: [],
    failed: [],
    more: false,
    malformed: [],
    requests: 0,
  };
  const seenMalformed = new Set<string>();
  let tried = 0;
  for (;;) {
    if (tried >= limit) {
      drained.more = (await deps.outbox.pending(accountId, 1)).entries.length > 0;
      break;
    }
    const page = await deps.outbox.pending(accountId, Math.min(DRAIN_BATCH_SIZE, limit - tried));
    for (const item of page.malformed) {
      const key = `${item.key.PK}\n${item.key.SK}`;
      if (!seenMalformed.has(key)) drained.malformed.push(item);
      seenMalformed.add(key);
    }
    if (page.entries.length === 0) break;
    tried += page.entries.length;
    const outcome: EventsOutcome = await deps.events.publish(page.entries.map((entry) => entry.event));
    drained.requests += outcome.requests;
    const failedAt = new Map<number, FailedEventOutcome>(outcome.failed.map((f) => [f.index, f]));
    const done: OutboxEntry[] = [];
    for (const [index, entry] of page.entries.entries()) {
      const failure = failedAt.get(index);
      if (!failure) {
        done.push(entry);
        drained.sent++;
        continue;
      }
      const failed = {
        eventId: entry.eventId,
        detailType: entry.event.detailType,
        errorCode: failure.errorCode,
        ...(failure.errorMessage !== undefined ? { errorMessage: failure.errorMessage } : {}),
      };
      if (UNDELIVERABLE_CODES.has(failure.errorCode)) {
        drained.dropped.push(failed);
        done.push(entry);
      } else {
        drained.failed.push(failed);
      }
    }
    await deps.outbox.remove(done);
    if (drained.failed.length > 0) {
      drained.more = true;
      break;
    }
  }
  return drained;
}

function sum<T>(items: readonly T[], value: (item: T) => number): number {
  return items.reduce((total, item) => total + value(item), 0);
}
