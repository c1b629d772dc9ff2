import { beforeAll, describe, expect, it } from 'vitest';
import { readExportDirectory } from '../../functions/adapters/export-reader';
import type { ScanRecord } from '../../functions/core/findings-table';
import { accountTrend } from '../../functions/core/governance-trend';
import type { RawAccountData } from '../../functions/core/raw';
import { DEFAULT_SETTINGS } from '../../functions/core/settings';
import { runScan } from '../../functions/use-cases/run-scan';
import { MemoryStore } from '../support/memory-store';

/** The governance measures a stored scan records, across a failing read and the scan after it. */

const DAY_MS = 86_400_000;
// The organization named in the settings counts as read: only the failing source is unread.
const SETTINGS = { ...DEFAULT_SETTINGS, organization: { id: 'o-a1b2c3d4e5', accountIds: [] } };
const T1 = new Date('2025-06-02T08:00:00.000Z');

let demo: RawAccountData;

beforeAll(async () => {
  demo = await readExportDirectory('examples/demo-account');
});

async function scan(store: MemoryStore, raw: RawAccountData, asOf: Date): Promise<ScanRecord> {
  const result = await runScan(
    {
      collect: async () => ({ raw, origin: 'live' }),
      store,
      now: () => asOf,
      randomSuffix: () => `${asOf.getTime().toString(16).slice(-8)}`,
    },
    { settings: SETTINGS, asOf },
  );
  expect(result.outcome).toBe('completed');
  return result.record;
}

/** The demo account as a live collection would see it when the credential report cannot be read. */
function withCredentialReportDenied(raw: RawAccountData): RawAccountData {
  const { credentialReport: _report, accessKeys: _keys, ...rest } = raw;
  return {
    ...rest,
    coverageGaps: [
      ...raw.coverageGaps,
      {
        kind: 'coverage-gap',
        arn: 'arn:aws:iam::111122223333:root',
        accountId: '111122223333',
        source: 'iam:GetCredentialReport',
        category: 'AccessDenied',
        reason: 'Access was denied; no access key or password was read.',
      },
    ],
  };
}

describe('governance measures in the scan record', () => {
  it('marks the measures of a failing source partial, and the recovering scan clears it', async () => {
    const store = new MemoryStore();
    const first = await scan(store, demo, T1);
    const failing = await scan(store, withCredentialReportDenied(demo), new Date(T1.getTime() + DAY_MS));
    const recovered = await scan(store, demo, new Date(T1.getTime() + 2 * DAY_MS));

    const keyMeasures = [
      'accessKeys',
      'unusedAccessKeys',
      'keysPastRotation',
      'credentialAgeMeanDays',
    ] as const;
    for (const id of keyMeasures) {
      expect(first.governance?.measures[id]?.partial, id).toBeUndefined();
      expect(failing.governance?.measures[id]?.partial, id).toEqual(['credential-report']);
      expect(recovered.governance?.measures[id]?.partial, id).toBeUndefined();
    }
    // Without the report no key was read: the failing scan counts none, flagged, never a clean 0.
    expect(first.governance?.measures.accessKeys).toEqual({ value: 10 });
    expect(failing.governance?.measures.accessKeys).toEqual({ value: 0, partial: ['credential-report'] });
    expect(recovered.governance?.measures.accessKeys).toEqual({ value: 10 });
    // Measures that do not read the report are as complete as before.
    expect(failing.governance?.measures.secrets).toEqual(first.governance?.measures.secrets);
    expect(failing.governance?.measures.roles).toEqual({ value: 36 });
    // Key findings were held open, not resolved: open findings are partial, none was resolved.
    expect(failing.governance?.measures.openTotal?.partial).toContain('credential-report');
    expect(failing.governance?.measures.resolvedInScan?.value).toBe(0);
    expect(failing.governance?.measures.resolvedInScan?.partial?.[0]).toMatch(/^\d+ findings held$/);
    expect(recovered.governance?.measures.openTotal?.value).toBe(first.governance?.measures.openTotal?.value);

    const trend = accountTrend('111122223333', [recovered, failing, first]);
    expect(trend.scans.map((s) => s.scanId)).toEqual([first.scanId, failing.scanId, recovered.scanId]);
    expect(trend.scans[1]!.partial).toContain('credential-report');
    expect(trend.scans[2]!.partial).not.toContain('credential-report');
    expect(trend.scans[1]!.measures.accessKeys).toMatchObject({ value: 0, change: -10 });
    expect(trend.scans[2]!.measures.accessKeys).toMatchObject({ value: 10, change: 10 });
  });

  it('measures time to remediate when a later scan resolves findings', async () => {
    const store = new MemoryStore();
    await scan(store, demo, T1);
    // Ten days later every secret is gone: their findings are resolved after ten days open.
    const withoutSecrets: RawAccountData = {
      ...demo,
      secrets: Object.fromEntries(Object.keys(demo.secrets!).map((region) => [region, { SecretList: [] }])),
    };
    const later = await scan(store, withoutSecrets, new Date(T1.getTime() + 10 * DAY_MS));
    const resolved = later.changes.resolved;
    expect(resolved).toBeGreaterThan(0);
    expect(later.governance?.measures.resolvedInScan).toEqual({ value: resolved });
    expect(later.governance?.measures.remediationMeanDays).toEqual({ value: 10 });
    expect(later.governance?.measures.remediationMedianDays).toEqual({ value: 10 });
    expect(later.governance?.measures.closedInWindow).toEqual({ value: resolved });
    expect(later.governance?.measures.secrets).toEqual({ value: 0 });
  });

  it('records no measures for a superseded scan: its data is older than what is stored', async () => {
    const store = new MemoryStore();
    await scan(store, demo, T1);
    const result = await runScan(
      {
        collect: async () => ({ raw: demo, origin: 'live' }),
        store,
        now: () => T1,
        randomSuffix: () => 'old00001',
      },
      { settings: SETTINGS, asOf: new Date(T1.getTime() - DAY_MS) },
    );
    expect(result.outcome).toBe('superseded');
    expect(result.record.governance).toBeUndefined();
  });
});

describe("the report's trend over the stored scans", () => {
  /** The memory store's scan records, newest first, as the table's scan history returns them. */
  const historyOf = (store: MemoryStore) => ({
    scanHistory: async (accountId: string, count: number) => ({
      records: store.records
        .filter((r) => r.accountId === accountId && r.outcome === 'completed')
        .sort((a, b) => b.evaluatedAt.localeCompare(a.evaluatedAt))
        .slice(0, count),
      malformed: [],
      superseded: 0,
    }),
  });

  it('carries the measures of every stored scan, this one last', async () => {
    const store = new MemoryStore();
    await scan(store, demo, T1);
    const result = await runScan(
      {
        collect: async () => ({ raw: withCredentialReportDenied(demo), origin: 'live' }),
        store,
        history: historyOf(store),
        now: () => new Date(T1.getTime() + DAY_MS),
        randomSuffix: () => 'trend001',
      },
      { settings: SETTINGS, asOf: new Date(T1.getTime() + DAY_MS) },
    );
    const [trend] = result.report.trend!;
    expect(trend!.accountId).toBe('111122223333');
    expect(trend!.scans.map((s) => s.scanId)).toEqual([store.records[0]!.scanId, result.scanId]);
    expect(trend!.scans[1]!.measures.standingAdmin).toEqual(
      expect.objectContaining({ value: result.record.governance!.measures.standingAdmin!.value }),
    );
    expect(trend!.scans[1]!.partial).toContain('credential-report');
    expect(result.warnings).toEqual([]);
  });

  it('still stores and reports the scan when the history cannot be read, with a warning', async () => {
    const store = new MemoryStore();
    const result = await runScan(
      {
        collect: async () => ({ raw: demo, origin: 'live' }),
        store,
        history: {
          scanHistory: () => Promise.reject(new Error('ProvisionedThroughputExceededException')),
        },
        now: () => T1,
        randomSuffix: () => 'trend002',
      },
      { settings: SETTINGS, asOf: T1 },
    );
    expect(result.outcome).toBe('completed');
    expect(result.report.trend).toBeUndefined();
    expect(result.warnings).toEqual([
      expect.stringContaining("the scan history for the report's trend could not be read"),
    ]);
    expect(store.records).toHaveLength(1);
  });
});
