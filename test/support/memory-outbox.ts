import type { EventOutbox, OutboxEntry, OutboxPage, ScanEvent } from '../../functions/use-cases/event-ports';

/** An outbox in memory, ordered by position as the DynamoDB one is by sort key. */
export class MemoryOutbox implements EventOutbox {
  readonly entries: OutboxEntry[] = [];
  /** Set to make the next call of that operation throw. */
  failNext: 'add' | 'pending' | 'remove' | undefined;

  async add(accountId: string, events: readonly ScanEvent[], now: Date): Promise<OutboxEntry[]> {
    this.maybeFail('add');
    const writtenAt = now.toISOString();
    const added = events.map((event, i) => ({
      accountId,
      position: `${writtenAt}#${String(i).padStart(4, '0')}`,
      eventId: String(event.detail.eventId),
      event: structuredClone(event),
      writtenAt,
    }));
    this.entries.push(...added);
    this.entries.sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
    return added;
  }

  async pending(accountId: string, limit: number): Promise<OutboxPage> {
    this.maybeFail('pending');
    return {
      entries: this.entries
        .filter((entry) => entry.accountId === accountId)
        .slice(0, limit)
        .map((entry) => structuredClone(entry)),
      malformed: [],
    };
  }

  async remove(entries: readonly OutboxEntry[]): Promise<void> {
    this.maybeFail('remove');
    const gone = new Set(entries.map(sortKey));
    for (let i = this.entries.length - 1; i >= 0; i--) {
      if (gone.has(sortKey(this.entries[i]!))) this.entries.splice(i, 1);
    }
  }

  async accounts(): Promise<string[]> {
    return [...new Set(this.entries.map((entry) => entry.accountId))].sort();
  }

  /** The detail types and finding ids kept for an account, in order. */
  kept(accountId: string): string[] {
    return this.entries.filter((e) => e.accountId === accountId).map((e) => e.eventId);
  }

  private maybeFail(operation: NonNullable<MemoryOutbox['failNext']>): void {
    if (this.failNext !== operation) return;
    this.failNext = undefined;
    throw new Error(`outbox ${operation} failed`);
  }
}

function sortKey(entry: OutboxEntry): string {
  return `${entry.accountId}#${entry.position}#${entry.eventId}`;
}
