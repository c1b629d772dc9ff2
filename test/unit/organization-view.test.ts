import { describe, expect, it } from 'vitest';
import type { ScanRecord, StoredAccountOutcome } from '../../functions/core/findings-table';
import { inView, latestScanOf, scanRecordOutcome } from '../../functions/core/organization-view';
import type { Severity } from '../../functions/core/rule';
import type { MalformedItem } from '../../functions/use-cases/findings-ports';
import { type OrganizationViewReader, organizationView } from '../../functions/use-cases/organization-view';

const ACCOUNT = '111122223333';

function aScanRecord(overrides: Partial<ScanRecord> = {}): ScanRecord {
  return {
    scanId: '20240601T120000.000Z-aaaa0001',
    accountId: ACCOUNT,
    outcome: 'completed',
    origin: 'live',
    startedAt: '2024-06-01T12:00:00.000Z',
    finishedAt: '2024-06-01T12:01:00.000Z',
    evaluatedAt: '2024-06-01T12:00:00.000Z',
    findings: {
      total: 0,
      bySeverity: { critical: 0, high: 0, medium: 0, low: 0, informational: 0 },
      suppressed: 0,
      errors: 0,
    },
    changes: {
      opened: 0,
      reopened: 0,
      resolved: 0,
      'severity-changed': 0,
      suppressed: 0,
      'suppression-changed': 0,
      unsuppressed: 0,
    },
    unchanged: 0,
    held: 0,
    heldFindingIds: [],
    coverageGapCount: 0,
    coverageGaps: [],
    apiCalls: { total: 0, byOperation: {} },
    warnings: [],
    attempts: 1,
    ...overrides,
  };
}

function anOutcome(overrides: Partial<StoredAccountOutcome> = {}): StoredAccountOutcome {
  return {
    accountId: ACCOUNT,
    accountName: 'payments',
    parentId: 'ou-ab12-cd34ef56',
    ouPath: ['r-ab12', 'ou-ab12-00000000', 'ou-ab12-cd34ef56'],
    outcome: 'failed',
    reason: 'assume-denied',
    detail: 'AccessDenied',
    apiCalls: 0,
    findings: 0,
    opened: 0,
    resolved: 0,
    held: 0,
    startedAt: '2024-06-02T00:00:00.000Z',
    finishedAt: '2024-06-02T00:01:00.000Z',
    runId: 'run-2',
    ...overrides,
  };
}

describe('scanRecordOutcome', () => {
  it('is complete only when every source was read', () => {
    expect(scanRecordOutcome(aScanRecord())).toEqual({
      outcome: 'complete',
      at: '2024-06-01T12:01:00.000Z',
      source: 'scan',
      scanId: '20240601T120000.000Z-aaaa0001',
    });
    expect(scanRecordOutcome(aScanRecord({ unread: ['secrets'], coverageGapCount: 2 }))).toMatchObject({
      outcome: 'partial',
      detail: 'not read: secrets; 2 coverage gaps',
    });
    expect(scanRecordOutcome(aScanRecord({ coverageGapCount: 1 }))).toMatchObject({
      outcome: 'partial',
      detail: '1 coverage gap',
    });
  });
});

describe('latestScanOf', () => {
  it('keeps the newer of the run outcome and the scan record', () => {
    const failedLater = anOutcome();
    expect(latestScanOf(failedLater, aScanRecord())).toMatchObject({
      outcome: 'failed',
      source: 'organization-run',
    });
    const scannedLater = aScanRecord({ finishedAt: '2024-06-03T00:00:00.000Z' });
    expect(latestScanOf(failedLater, scannedLater)).toMatchObject({ outcome: 'complete', source: 'scan' });
    expect(latestScanOf(undefined, undefined)).toBeUndefined();
  });

  it("keeps the run's outcome for the run's own scan", () => {
    const partial = anOutcome({
      outcome: 'partial',
      reason: undefined,
      detail: undefined,
      unreadSources: ['ListSecrets'],
      scanId: 'S1',
      finishedAt: '2024-06-02T00:00:00.000Z',
    });
    expect(
      latestScanOf(partial, aScanRecord({ scanId: 'S1', finishedAt: '2024-06-02T00:00:01.000Z' })),
    ).toMatchObject({
      outcome: 'partial',
      detail: 'not read: ListSecrets',
      source: 'organization-run',
      scanId: 'S1',
    });
  });
});

describe('inView', () => {
  it('matches an OU at the parent or any ancestor, and accounts by id', () => {
    const outcome = anOutcome();
    expect(inView(ACCOUNT, outcome, {})).toBe(true);
    expect(inView(ACCOUNT, outcome, { ous: ['ou-ab12-00000000'] })).toBe(true);
    expect(inView(ACCOUNT, outcome, { ous: ['ou-ab12-cd34ef56'] })).toBe(true);
    expect(inView(ACCOUNT, outcome, { ous: ['ou-zz99-99999999'] })).toBe(false);
    expect(inView(ACCOUNT, undefined, { ous: ['r-ab12'] })).toBe(false);
    expect(inView(ACCOUNT, outcome, { accounts: ['999999999999'] })).toBe(false);
  });
});

describe('organizationView', () => {
  const zero: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0, informational: 0 };

  it('lists a damaged scan record as malformed and still shows the account and every other one', async () => {
    const damaged: MalformedItem = {
      key: { PK: `ACCOUNT#${ACCOUNT}`, SK: 'SCAN#x' },
      issues: ['outcome: bad'],
    };
    const reader: OrganizationViewReader = {
      listAccountOutcomes: async () => ({
        outcomes: [anOutcome({ accountId: '444455556666' })],
        malformed: [],
      }),
      listAccounts: async () => [ACCOUNT],
      latestScan: async (accountId) => {
        if (accountId === ACCOUNT)
          throw Object.assign(new Error('malformed'), { name: 'MalformedItemError', item: damaged });
        return undefined;
      },
      openFindingCounts: async (accountId) => (accountId === ACCOUNT ? { ...zero, high: 2 } : zero),
    };
    const view = await organizationView(reader);
    expect(view.malformed).toEqual([damaged]);
    expect(view.accounts.map((a) => [a.accountId, a.openFindings.total, a.latestScan?.outcome])).toEqual([
      [ACCOUNT, 2, undefined],
      ['444455556666', 0, 'failed'],
    ]);
  });

  it('lets a store failure through rather than showing accounts as unscanned', async () => {
    const reader: OrganizationViewReader = {
      listAccountOutcomes: async () => ({ outcomes: [], malformed: [] }),
      listAccounts: async () => [ACCOUNT],
      latestScan: async () => {
        throw Object.assign(new Error('throttled'), { name: 'FindingsStoreError' });
      },
      openFindingCounts: async () => zero,
    };
    await expect(organizationView(reader)).rejects.toThrow('throttled');
  });
});
