import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  type Assumptions,
  DEFAULT_ASSUMPTIONS,
  DOCUMENTS,
  generatedSections,
  monthlyCost,
  monthlyUsage,
  PRICES,
  renderSections,
  unitPrice,
  usd,
} from '../../scripts/org-cost';
import { normalizeTables } from '../../scripts/readme-catalog';

/** Small enough to work out by hand; every assumption differs from its default. */
const SMALL: Assumptions = {
  identitiesPerAccount: 10,
  scansPerMonth: 1,
  lambdaMemoryMb: 2048,
  scanSecondsPerAccount: 10,
  continuationsPerAccount: 1,
  orchestrationSeconds: 4,
  aggregateSecondsPerAccount: 0.5,
  findingsPerIdentity: 2,
  findingChangeRate: 0.1,
  wruPerChangedFinding: 7,
  wruPerScan: 25,
  findingKb: 2,
  scanRecordKb: 3,
  scanRecordRetentionDays: 30,
  lastAccessedReuseDays: 4,
  lastAccessedMaxJobs: 1,
  lastAccessedItemKb: 1.5,
};

describe('organization scanning cost', () => {
  it('counts the usage of a small case as worked out by hand', () => {
    // 2 accounts, 1 run: 2 account scans, each 2 invocations (one continuation).
    expect(monthlyUsage(2, SMALL)).toEqual({
      // run: Discover + Map + Aggregate = 3; account: item + ScanAccount + Choice + Succeed = 4,
      // continuation: ScanAccount + Choice = 2. 3 + 2 × (4 + 2) = 15.
      transitions: 15,
      // 2 GB × (2 accounts × 2 invocations × 10 s + 4 s + 2 × 0.5 s) = 2 × 45.
      lambdaGbSeconds: 90,
      // 4 scan-account invocations + Discover + Aggregate.
      lambdaRequests: 6,
      // 20 findings, 2 change (7 WRU each) + 25 for the scan record and state + 1 refreshed
      // last-accessed row (budget 1 < 10 / 5) of 1.5 KB = 2 WRU: 41 per account.
      dynamoWru: 82,
      // findings 20 × 2 KB / 4 KB = 10 (strongly consistent) + cache 10 × 1.5 KB / 4 KB / 2 = 1.875.
      dynamoRru: 23.75,
      // (40 KB findings + 15 KB cache + 30 days × 1 scan / 30 × 3 KB records) × 2 accounts.
      dynamoStorageGb: 116 / 1024 / 1024,
      // run: 5; account: outcome 1 + checkpoint 1.
      s3Puts: 9,
      s3Gets: 6,
      // per account: ScanCompleted + 2 changed findings; OrganizationScanCompleted.
      events: 7,
      identities: 20,
    });
  });

  it('prices the small case as worked out by hand', () => {
    const cost = monthlyCost(2, SMALL);
    expect(cost.usd.stepFunctions).toBeCloseTo(15 * 0.000025, 12);
    expect(cost.usd.lambda).toBeCloseTo(90 * 0.0000133334 + 6 * 0.0000002, 12);
    expect(cost.usd.dynamo).toBeCloseTo(82 * 0.000000625 + 23.75 * 0.000000125 + (116 / 1048576) * 0.45, 12);
    expect(cost.usd.s3).toBeCloseTo(9 * 0.000005 + 6 * 0.0000004, 12);
    expect(cost.usd.eventBridge).toBeCloseTo(7 * 0.000001, 12);
    expect(cost.usd.total).toBeCloseTo(
      cost.usd.stepFunctions + cost.usd.lambda + cost.usd.dynamo + cost.usd.s3 + cost.usd.eventBridge,
      12,
    );
    expect(cost.usd.accessAnalyzer).toBe(4);
  });

  it('prices the managed analyzer at $0.20 per role or user: 10,000 identities are $2,000 a month', () => {
    expect(PRICES.accessAnalyzerIdentityMonth.usd).toBe(0.2);
    expect(monthlyCost(10, { ...DEFAULT_ASSUMPTIONS, identitiesPerAccount: 1000 }).usd.accessAnalyzer).toBe(
      2000,
    );
  });

  it('refreshes one eighth of the last-accessed results a day, never more than the budget', () => {
    const wru = (a: Partial<Assumptions>) =>
      monthlyUsage(1, { ...DEFAULT_ASSUMPTIONS, ...a, scansPerMonth: 1 }).dynamoWru;
    // 300 identities: 6 changed findings × 7 + 25 + 37.5 rows × 2 WRU.
    expect(wru({})).toBe(42 + 25 + 75);
    // 5,000 identities: 625 would be due, the budget of 100 caps it.
    expect(wru({ identitiesPerAccount: 5000 })).toBe(100 * 7 + 25 + 100 * 2);
  });

  it('keeps every price with its source, in one place', () => {
    for (const price of Object.values(PRICES)) {
      expect(price.source).toMatch(/^https:\/\/aws\.amazon\.com\//);
      expect(price.usd).toBeGreaterThan(0);
    }
    expect(unitPrice(PRICES.stepFunctionsTransition)).toBeCloseTo(0.000025, 15);
    expect(unitPrice(PRICES.dynamoWrite)).toBeCloseTo(0.000000625, 15);
    expect(unitPrice(PRICES.lambdaRequest)).toBeCloseTo(0.0000002, 15);
  });

  it('formats dollars: whole from $100, cents below, one significant digit below a cent', () => {
    expect([usd(0), usd(0.0016), usd(0.3), usd(15.756), usd(600), usd(60000)]).toEqual([
      '$0.00',
      '$0.002',
      '$0.30',
      '$15.76',
      '$600',
      '$60,000',
    ]);
  });

  it('fails on a document without the markers of a table it must hold', () => {
    expect(() => renderSections('# nothing here\n', generatedSections(), ['org-cost'])).toThrow(
      'no <!-- generated:org-cost --> ... <!-- /generated:org-cost --> section',
    );
  });

  it.each(Object.entries(DOCUMENTS))(
    '%s has the tables the script generates (npx tsx scripts/org-cost.ts --write)',
    async (name, required) => {
      const text = await readFile(new URL(`../../${name}`, import.meta.url), 'utf8');
      expect(normalizeTables(text)).toBe(
        normalizeTables(renderSections(text, generatedSections(), required)),
      );
    },
  );
});
