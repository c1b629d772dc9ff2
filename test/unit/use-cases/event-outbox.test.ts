import { beforeAll, describe, expect, it } from 'vitest';
import { readExportDirectory } from '../../../functions/adapters/export-reader';
import type { RawAccountData } from '../../../functions/core/raw';
import { DEFAULT_SETTINGS } from '../../../functions/core/settings';
import { drainOutbox } from '../../../functions/use-cases/drain-outbox';
import type { EventsOutcome, ScanEvent } from '../../../functions/use-cases/event-ports';
import { type RunScanDeps, runScan, scanEventId } from '../../../functions/use-cases/run-scan';
import { MemoryOutbox } from '../../support/memory-outbox';
import { MemoryStore } from '../../support/memory-store';

/**
 * A bus that refuses what `refuse` says (every event while `down`), and records every request and
 * what it accepted, in order.
 */
class FlakyBus {
  readonly accepted: ScanEvent[] = [];
  readonly requests: number[] = [];
  down = false;
  refuse: (event: ScanEvent) => string | undefined = () => undefined;

  async publish(events: readonly ScanEvent[]): Promise<EventsOutcome> {
    const failed: EventsOutcome['failed'] = [];
    for (let i = 0; i < events.length; i += 10) this.requests.push(Math.min(10, events.length - i));
    for (const [index, event] of events.entries()) {
      const code = this.down ? 'ResourceNotFoundException' : this.refuse(event);
      if (code) failed.push({ index, detailType: event.detailType, errorCode: code });
      else this.accepted.push(structuredClone(event));
    }
    return {
      events: events.length,
      published: events.length - failed.length,
      failed,
      requests: Math.ceil(events.length / 10),
      failedEntryCount: failed.length,
    };
  }
}

const ACCOUNT = '111122223333';
let demo: RawAccountData;
let clock: Date;

beforeAll(async () => {
  demo = await readExportDirectory('examples/demo-account');
});

function deps(store: MemoryStore, bus: FlakyBus, outbox?: MemoryOutbox): RunScanDeps {
  let n = 0;
  return {
    collect: async () => ({ raw: demo, origin: 'export' }),
    store,
    events: bus,
    ...(outbox ? { outbox } : {}),
    now: () => clock,
    randomSuffix: () => `beef${String(++n).padStart(4, '0')}`,
    sleep: async () => {},
  };
}

const ids = (events: readonly ScanEvent[]) => events.map((event) => event.detail.eventId);

function event(n: number, detailType: ScanEvent['detailType'] = 'FindingOpened'): ScanEvent {
  return { detailType, detail: { version: 1, eventId: `e${String(n).padStart(3, '0')}` } };
}

describe('scan events through the outbox', () => {
  it('gives every event an id that is the same on every send and differs between events', async () => {
    clock = new Date('2025-06-03T00:00:00.000Z');
    const bus = new FlakyBus();
    const result = await runScan(deps(new MemoryStore(), bus), { settings: DEFAULT_SETTINGS });
    const eventIds = ids(bus.accepted);
    expect(eventIds.every((id) => typeof id === 'string' && /^[0-9a-f]{32}$/.test(id))).toBe(true);
    expect(new Set(eventIds).size).toBe(eventIds.length);
    const opened = bus.accepted.find((e) => e.detailType === 'FindingOpened')!;
    const findingId = (opened.detail.finding as { id: string }).id;
    expect(opened.detail.eventId).toBe(scanEventId('FindingOpened', result.scanId, findingId));
    expect(bus.accepted.at(-1)!.detail.eventId).toBe(scanEventId('ScanCompleted', result.scanId));
  });

  it('keeps every event of a scan whose publish failed, in the order they were meant to go', async () => {
    clock = new Date('2025-06-03T00:00:00.000Z');
    const store = new MemoryStore();
    const outbox = new MemoryOutbox();
    const down = new FlakyBus();
    down.down = true;
    const result = await runScan(deps(store, down, outbox), { settings: DEFAULT_SETTINGS });

    expect(down.accepted).toEqual([]);
    const opened = result.record.changes.opened;
    expect(opened).toBeGreaterThan(10);
    expect(outbox.entries.map((e) => e.event.detailType)).toEqual([
      ...Array(opened).fill('FindingOpened'),
      'ScanCompleted',
    ]);
    expect(outbox.entries.every((e) => e.accountId === ACCOUNT)).toBe(true);
    expect(result.outbox?.kept).toBe(opened + 1);
    expect(result.warnings).toContain(
      'event ScanCompleted was not published: ResourceNotFoundException (kept in the outbox)',
    );
  });

  it('sends what an earlier scan kept before its own events, in order, and empties the outbox', async () => {
    clock = new Date('2025-06-03T00:00:00.000Z');
    const store = new MemoryStore();
    const outbox = new MemoryOutbox();
    const down = new FlakyBus();
    down.down = true;
    const first = await runScan(deps(store, down, outbox), { settings: DEFAULT_SETTINGS });
    const kept = outbox.entries.map((e) => e.eventId);

    clock = new Date('2025-06-04T00:00:00.000Z');
    const bus = new FlakyBus();
    const second = await runScan(deps(store, bus, outbox), { settings: DEFAULT_SETTINGS });

    expect(outbox.entries).toEqual([]);
    // The first scan's events, in order, then the rescan's own ScanCompleted (it changed nothing).
    expect(ids(bus.accepted)).toEqual([...kept, scanEventId('ScanCompleted', second.scanId)]);
    expect(bus.accepted[kept.length - 1]!.detail.scanId).toBe(first.scanId);
    expect(bus.requests.every((size) => size <= 10)).toBe(true);
    expect(second.outbox?.drained?.sent).toBe(kept.length);
    expect(second.outbox?.kept).toBe(0);
  });

  it('puts its own events behind earlier ones the bus still refuses, instead of letting them overtake', async () => {
    clock = new Date('2025-06-03T00:00:00.000Z');
    const store = new MemoryStore();
    const outbox = new MemoryOutbox();
    const down = new FlakyBus();
    down.down = true;
    await runScan(deps(store, down, outbox), { settings: DEFAULT_SETTINGS });
    const kept = outbox.entries.map((e) => e.eventId);

    clock = new Date('2025-06-04T00:00:00.000Z');
    const bus = new FlakyBus();
    const oldest = kept[0];
    bus.refuse = (e) => (e.detail.eventId === oldest ? 'InternalFailure' : undefined);
    const second = await runScan(deps(store, bus, outbox), { settings: DEFAULT_SETTINGS });

    expect(bus.accepted.every((e) => e.detail.scanId !== second.scanId)).toBe(true);
    expect(outbox.entries.map((e) => e.eventId)).toEqual([
      ...kept.filter((_id, i) => i === 0 || i >= 10),
      scanEventId('ScanCompleted', second.scanId),
    ]);
    expect(second.outbox?.kept).toBe(1);
    expect(second.warnings).toContain(
      '1 events were kept in the outbox behind earlier events the bus has not taken',
    );
  });

  it('keeps only the events the bus refused when a publish fails in part', async () => {
    clock = new Date('2025-06-03T00:00:00.000Z');
    const outbox = new MemoryOutbox();
    const bus = new FlakyBus();
    bus.refuse = (e) => (e.detailType === 'ScanCompleted' ? 'ThrottlingException' : undefined);
    const result = await runScan(deps(new MemoryStore(), bus, outbox), { settings: DEFAULT_SETTINGS });

    expect(bus.accepted.filter((e) => e.detailType === 'FindingOpened')).toHaveLength(
      result.record.changes.opened,
    );
    expect(outbox.entries.map((e) => e.eventId)).toEqual([scanEventId('ScanCompleted', result.scanId)]);
  });

  it('does not keep an event no resend can deliver', async () => {
    clock = new Date('2025-06-03T00:00:00.000Z');
    const outbox = new MemoryOutbox();
    const bus = new FlakyBus();
    bus.refuse = (e) => (e.detailType === 'ScanCompleted' ? 'EntryTooLarge' : undefined);
    const result = await runScan(deps(new MemoryStore(), bus, outbox), { settings: DEFAULT_SETTINGS });
    expect(outbox.entries).toEqual([]);
    expect(result.warnings).toContain('event ScanCompleted was not published: EntryTooLarge');
  });

  it('completes the scan and says so when the events can be neither sent nor kept', async () => {
    clock = new Date('2025-06-03T00:00:00.000Z');
    const outbox = new MemoryOutbox();
    outbox.failNext = 'add';
    const bus = new FlakyBus();
    bus.down = true;
    const result = await runScan(deps(new MemoryStore(), bus, outbox), { settings: DEFAULT_SETTINGS });
    expect(result.outcome).toBe('completed');
    expect(result.outbox?.kept).toBe(0);
    expect(result.warnings).toContain(
      `${result.record.changes.opened + 1} events could not be kept for a later publish: Error: outbox add failed`,
    );
  });
});

describe('drainOutbox', () => {
  const at = new Date('2025-06-03T00:00:00.000Z');

  it('sends every account’s entries oldest first, at most 10 per request, deleting each once sent', async () => {
    const outbox = new MemoryOutbox();
    await outbox.add('222233334444', [event(100), event(101)], new Date('2025-06-02T00:00:00.000Z'));
    await outbox.add(ACCOUNT, [event(3), event(4)], at);
    await outbox.add(ACCOUNT, [event(1), event(2)], new Date('2025-06-01T00:00:00.000Z'));
    await outbox.add(
      ACCOUNT,
      Array.from({ length: 15 }, (_, i) => event(10 + i)),
      new Date('2025-06-04T00:00:00.000Z'),
    );
    const bus = new FlakyBus();
    const result = await drainOutbox({ outbox, events: bus });

    expect(result.sent).toBe(21);
    expect(result.accounts.map((a) => [a.accountId, a.sent, a.more])).toEqual([
      [ACCOUNT, 19, false],
      ['222233334444', 2, false],
    ]);
    expect(ids(bus.accepted)).toEqual([
      'e001',
      'e002',
      'e003',
      'e004',
      ...Array.from({ length: 15 }, (_, i) => `e0${10 + i}`),
      'e100',
      'e101',
    ]);
    expect(bus.requests).toEqual([10, 9, 2]);
    expect(outbox.entries).toEqual([]);
  });

  it('stops an account at the first refused batch and keeps exactly the refused entries', async () => {
    const outbox = new MemoryOutbox();
    await outbox.add(
      ACCOUNT,
      Array.from({ length: 14 }, (_, i) => event(i)),
      at,
    );
    const bus = new FlakyBus();
    bus.refuse = (e) => (e.detail.eventId === 'e003' ? 'InternalFailure' : undefined);
    const result = await drainOutbox({ outbox, events: bus }, { accountId: ACCOUNT });

    const [account] = result.accounts;
    expect(account?.sent).toBe(9);
    expect(account?.failed).toEqual([
      { eventId: 'e003', detailType: 'FindingOpened', errorCode: 'InternalFailure' },
    ]);
    expect(account?.more).toBe(true);
    // The second batch was not tried: nothing after e003's batch overtook it.
    expect(bus.requests).toEqual([10]);
    expect(outbox.kept(ACCOUNT)).toEqual(['e003', 'e010', 'e011', 'e012', 'e013']);

    bus.refuse = () => undefined;
    const again = await drainOutbox({ outbox, events: bus }, { accountId: ACCOUNT });
    expect(again.sent).toBe(5);
    expect(ids(bus.accepted).slice(-5)).toEqual(['e003', 'e010', 'e011', 'e012', 'e013']);
    expect(outbox.entries).toEqual([]);
  });

  it('drops an entry the bus can never take instead of letting it block the rest', async () => {
    const outbox = new MemoryOutbox();
    await outbox.add(ACCOUNT, [event(1), event(2), event(3)], at);
    const bus = new FlakyBus();
    bus.refuse = (e) => (e.detail.eventId === 'e002' ? 'EntryTooLarge' : undefined);
    const result = await drainOutbox({ outbox, events: bus });
    expect(result.dropped).toBe(1);
    expect(result.sent).toBe(2);
    expect(ids(bus.accepted)).toEqual(['e001', 'e003']);
    expect(outbox.entries).toEqual([]);
  });

  it('sends at most `limit` entries of an account and says more are left', async () => {
    const outbox = new MemoryOutbox();
    await outbox.add(
      ACCOUNT,
      Array.from({ length: 25 }, (_, i) => event(i)),
      at,
    );
    const bus = new FlakyBus();
    const result = await drainOutbox({ outbox, events: bus }, { limit: 12 });
    expect(result.accounts[0]).toMatchObject({ sent: 12, more: true });
    expect(bus.requests).toEqual([10, 2]);
    expect(outbox.entries).toHaveLength(13);

    const rest = await drainOutbox({ outbox, events: bus }, { limit: 13 });
    expect(rest.accounts[0]).toMatchObject({ sent: 13, more: false });
  });

  it('keeps entries whose delete failed, to be sent again with the same id', async () => {
    const outbox = new MemoryOutbox();
    await outbox.add(ACCOUNT, [event(1)], at);
    outbox.failNext = 'remove';
    const bus = new FlakyBus();
    await expect(drainOutbox({ outbox, events: bus })).rejects.toThrow('outbox remove failed');
    await drainOutbox({ outbox, events: bus });
    expect(ids(bus.accepted)).toEqual(['e001', 'e001']);
    expect(outbox.entries).toEqual([]);
  });
});
