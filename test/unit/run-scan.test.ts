import { beforeAll, describe, expect, it } from 'vitest';
import { readExportDirectory } from '../../functions/adapters/export-reader';
import type { RawAccountData } from '../../functions/core/raw';
import { DEFAULT_SETTINGS } from '../../functions/core/settings';
import {
  type CollectedInput,
  type EventsOutcome,
  RunScanError,
  runScan,
  type ScanEvent,
  unreadDataSets,
} from '../../functions/use-cases/run-scan';
import { someSettings } from '../support/builders';
import { MemoryStore } from '../support/memory-store';

/**
 * An in-memory store with the commit semantics of the DynamoDB one: a commit applies only if the
 * account state is still the one the scan read.
 */
class RecordedEvents {
  readonly sent: ScanEvent[] = [];
  failing = false;
  async publish(events: readonly ScanEvent[]): Promise<EventsOutcome> {
    this.sent.push(...events);
    const failed = this.failing
      ? events.map((e, index) => ({ index, detailType: e.detailType, errorCode: 'InternalFailure' }))
      : [];
    return {
      events: events.length,
      published: events.length - failed.length,
      failed,
      requests: 1,
      failedEntryCount: failed.length,
    };
  }
}

const NOW = new Date('2025-06-03T00:00:00.000Z');
let demo: RawAccountData;

beforeAll(async () => {
  demo = await readExportDirectory('examples/demo-account');
});

function deps(
  store: MemoryStore,
  raw: RawAccountData,
  events?: RecordedEvents,
  origin: CollectedInput['origin'] = 'export',
) {
  let n = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    deps: {
      collect: async () => ({ raw, origin }),
      store,
      ...(events ? { events } : {}),
      now: () => NOW,
      randomSuffix: () => `beef${String(++n).padStart(4, '0')}`,
      sleep: async (ms: number) => {
        sleeps.push(ms);
      },
    },
  };
}

describe('runScan', () => {
  it('stores every finding of a first scan and announces each opened one, then the scan', async () => {
    const store = new MemoryStore();
    const events = new RecordedEvents();
    const result = await runScan(deps(store, demo, events).deps, { settings: DEFAULT_SETTINGS });

    expect(result.outcome).toBe('completed');
    expect(result.accountId).toBe('111122223333');
    expect(result.scanId).toBe('20250603T000000.000Z-beef0001');
    expect(store.findings.size).toBe(result.report.findings.length);
    expect(result.record.changes.opened + result.record.changes.suppressed).toBe(
      result.report.findings.length,
    );
    expect(result.record).toMatchObject({
      outcome: 'completed',
      origin: 'export',
      evaluatedAt: '2025-06-02T08:00:00.000Z',
      coverageGapCount: result.report.coverage.length,
      attempts: 1,
      unchanged: 0,
    });
    expect(result.record.findings.total).toBe(result.report.summary.total);

    const types = events.sent.map((e) => e.detailType);
    expect(types.filter((t) => t === 'FindingOpened')).toHaveLength(result.record.changes.opened);
    expect(types.at(-1)).toBe('ScanCompleted');
    const opened = events.sent[0]!;
    expect(opened.detail).toMatchObject({
      version: 1,
      scanId: result.scanId,
      accountId: '111122223333',
      change: 'opened',
    });
    expect(opened.resources).toEqual([(opened.detail.finding as { resourceArn: string }).resourceArn]);
    expect(events.sent.at(-1)!.detail).toMatchObject({
      version: 1,
      scanId: result.scanId,
      outcome: 'completed',
    });
  });

  it('summarises the API calls of a live collection in its report and its scan record', async () => {
    const store = new MemoryStore();
    const apiCalls = { 'iam:GetAccountAuthorizationDetails': 2, 'sts:GetCallerIdentity': 1 };
    const { deps: live } = deps(store, demo, undefined, 'live');
    const result = await runScan(
      { ...live, collect: async () => ({ raw: demo, origin: 'live', apiCalls }) },
      { settings: DEFAULT_SETTINGS },
    );
    const summary = { total: 3, byOperation: apiCalls };
    expect(result.report.summary.apiCalls).toEqual(summary);
    expect(result.record.apiCalls).toEqual(summary);
  });

  it('has no API-call summary in the report of an export', async () => {
    const result = await runScan(deps(new MemoryStore(), demo).deps, { settings: DEFAULT_SETTINGS });
    expect(result.report.summary.apiCalls).toBeUndefined();
    expect(result.record.apiCalls).toEqual({ total: 0, byOperation: {} });
  });

  it('changes nothing on a rescan of the same data', async () => {
    const store = new MemoryStore();
    await runScan(deps(store, demo).deps, { settings: DEFAULT_SETTINGS });
    const before = structuredClone([...store.findings.values()]);
    const events = new RecordedEvents();
    const result = await runScan(deps(store, demo, events).deps, { settings: DEFAULT_SETTINGS });
    expect(result.changes).toEqual([]);
    expect(result.record.unchanged).toBe(before.length);
    expect([...store.findings.values()]).toEqual(before);
    expect(events.sent.map((e) => e.detailType)).toEqual(['ScanCompleted']);
  });

  it('holds secret findings open when a rescanned export has no secrets.json', async () => {
    const store = new MemoryStore();
    await runScan(deps(store, demo).deps, { settings: DEFAULT_SETTINGS });
    const { secrets: _secrets, ...withoutSecrets } = demo;
    const result = await runScan(deps(store, withoutSecrets).deps, { settings: DEFAULT_SETTINGS });
    const secretIds = [...store.findings.values()]
      .filter((f) => f.resourceType === 'secret')
      .map((f) => f.id);
    expect(secretIds.length).toBeGreaterThan(0);
    expect(result.held.map((h) => h.id).sort()).toEqual([...secretIds].sort());
    expect(result.record.heldFindingIds.sort()).toEqual([...secretIds].sort());
    expect(result.changes.filter((c) => c.kind === 'resolved')).toEqual([]);
    expect(secretIds.every((id) => store.findings.get(id)!.status === 'open')).toBe(true);
  });

  it('says in the scan record which data sets were not read, the reads depending on them included', async () => {
    const store = new MemoryStore();
    // The organization counts as read when the settings name it.
    const settings = { ...DEFAULT_SETTINGS, organization: { id: 'o-a1b2c3d4e5', accountIds: [] } };
    await runScan(deps(store, demo, undefined, 'live').deps, { settings });
    // Only a scan given a way to read the just-in-time or review state reads it.
    expect(store.records[0]!.unread).toEqual(['jit-state', 'review-state']);
    const withoutDetails: RawAccountData = {
      ...demo,
      authorizationDetails: [],
      coverageGaps: [
        {
          kind: 'coverage-gap',
          arn: '',
          accountId: '111122223333',
          source: 'iam:GetAccountAuthorizationDetails',
          category: 'AccessDenied',
          reason: 'Access was denied; no user, group, role or policy was read.',
        },
      ],
    };
    const result = await runScan(deps(store, withoutDetails, undefined, 'live').deps, {
      settings,
    });
    expect(result.record.unread).toEqual([
      'authorization-details',
      'service-last-accessed',
      'jit-state',
      'review-state',
    ]);
    expect(result.changes.filter((c) => c.kind === 'resolved')).toEqual([]);
  });

  it('re-reads and reconciles again when the account changed between its read and its commit', async () => {
    const store = new MemoryStore();
    const run = deps(store, demo);
    store.beforeCommit = () => {
      // Another scan commits first.
      store.state = {
        accountId: '111122223333',
        sequence: 7,
        observedAt: '2025-06-01T00:00:00.000Z',
        updatedAt: '',
      };
      store.beforeCommit = undefined;
    };
    const result = await runScan(run.deps, { settings: DEFAULT_SETTINGS });
    expect(result.record.attempts).toBe(2);
    expect(store.commits).toBe(2);
    expect(run.sleeps).toHaveLength(1);
    expect(run.sleeps[0]).toBeGreaterThanOrEqual(100);
    expect(run.sleeps[0]).toBeLessThan(200);
    expect(store.findings.size).toBe(result.report.findings.length);
  });

  it('gives up after maxAttempts conflicts, naming the scan and account', async () => {
    const store = new MemoryStore();
    let sequence = 0;
    store.beforeCommit = () => {
      store.state = {
        accountId: '111122223333',
        sequence: ++sequence,
        observedAt: '2025-06-01T00:00:00.000Z',
        updatedAt: '',
      };
    };
    await expect(
      runScan(deps(store, demo).deps, { settings: DEFAULT_SETTINGS, maxAttempts: 3 }),
    ).rejects.toThrow(
      new RunScanError(
        'scan 20250603T000000.000Z-beef0001 of account 111122223333 could not be stored: the account kept changing during 3 attempts',
      ),
    );
    expect(store.commits).toBe(3);
  });

  it('records a scan of data older than what is stored as superseded, changing nothing', async () => {
    const store = new MemoryStore();
    store.state = {
      accountId: '111122223333',
      sequence: 3,
      observedAt: '2025-06-10T00:00:00.000Z',
      updatedAt: '',
    };
    const events = new RecordedEvents();
    const result = await runScan(deps(store, demo, events).deps, { settings: DEFAULT_SETTINGS });
    expect(result.outcome).toBe('superseded');
    expect(store.commits).toBe(0);
    expect(store.findings.size).toBe(0);
    expect(store.records.map((r) => r.outcome)).toEqual(['superseded']);
    expect(events.sent.map((e) => e.detailType)).toEqual(['ScanCompleted']);
  });

  it('reports events that could not be published as warnings, without failing the scan', async () => {
    const store = new MemoryStore();
    const events = new RecordedEvents();
    events.failing = true;
    const result = await runScan(deps(store, demo, events).deps, { settings: DEFAULT_SETTINGS });
    expect(result.outcome).toBe('completed');
    expect(result.warnings).toContain('event ScanCompleted was not published: InternalFailure');
    expect(result.events?.failed).toHaveLength(events.sent.length);
  });

  it('refuses to store data that names no account', async () => {
    const raw: RawAccountData = {
      authorizationDetails: [{ UserDetailList: [], GroupDetailList: [], RoleDetailList: [], Policies: [] }],
      credentialReport: 'user,arn,user_creation_time\n',
      coverageGaps: [],
      sources: demo.sources,
    };
    const store = new MemoryStore();
    await expect(runScan(deps(store, raw).deps, { settings: DEFAULT_SETTINGS })).rejects.toBeInstanceOf(
      RunScanError,
    );
    expect(store.commits).toBe(0);
  });
});

describe('unreadDataSets', () => {
  const readJit = { read: true as const, eligibilities: [], breakGlass: [] };
  const readReviews = { read: true as const, campaigns: [], items: [], attestations: [] };
  const organization = { Organization: { Id: 'o-a1b2c3d4e5', MasterAccountId: '444455556666' } };
  const configured = someSettings();

  it('names the optional documents an export left out', () => {
    const { secrets: _s, serverCertificates: _c, ...raw } = demo;
    expect(unreadDataSets({ raw, origin: 'export' }, configured)).toEqual([
      'secrets',
      'server-certificates',
      'jit-state',
      'review-state',
    ]);
  });

  it('does not count service-last-accessed data a live collection did not need', () => {
    const { serviceLastAccessed: _sla, ...raw } = demo;
    const own = { jit: readJit, reviews: readReviews };
    expect(unreadDataSets({ raw, origin: 'live', ...own }, configured)).toEqual([]);
    expect(unreadDataSets({ raw, origin: 'export', ...own }, configured)).toEqual(['service-last-accessed']);
  });

  it('counts the organization as read from organization.json or from the settings', () => {
    const own = { jit: readJit, reviews: readReviews };
    expect(unreadDataSets({ raw: demo, origin: 'export', ...own }, DEFAULT_SETTINGS)).toEqual([
      'organization',
    ]);
    expect(
      unreadDataSets({ raw: { ...demo, organization }, origin: 'export', ...own }, DEFAULT_SETTINGS),
    ).toEqual([]);
    expect(unreadDataSets({ raw: demo, origin: 'export', ...own }, configured)).toEqual([]);
  });

  it('counts the just-in-time and review state as read only when the scan read it, even if the read failed', () => {
    expect(unreadDataSets({ raw: demo, origin: 'live' }, configured)).toEqual(['jit-state', 'review-state']);
    // A failed read is a coverage gap (which holds the findings), not an unread data set.
    const failed = { read: false as const, reason: 'denied' };
    expect(unreadDataSets({ raw: demo, origin: 'live', jit: failed, reviews: failed }, configured)).toEqual(
      [],
    );
    expect(unreadDataSets({ raw: demo, origin: 'live', reviews: failed }, configured)).toEqual(['jit-state']);
  });
});
