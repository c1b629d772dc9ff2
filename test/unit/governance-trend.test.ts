import { describe, expect, it } from 'vitest';
import type { ScanRecord } from '../../functions/core/findings-table';
import type { GovernanceMeasures, Measure, MeasureId } from '../../functions/core/governance';
import { accountTrend, formatTrend } from '../../functions/core/governance-trend';
import { governanceTrend } from '../../functions/use-cases/trend';
import type { ScanHistory, ScanHistoryReader } from '../../functions/use-cases/trend-ports';
import { aScanRecord } from '../support/builders';

const ACCOUNT = '111122223333';

function aRecord(
  scanId: string,
  evaluatedAt: string,
  measures?: Partial<Record<MeasureId, Measure>>,
): ScanRecord {
  const governance: GovernanceMeasures | undefined = measures
    ? { version: 1, measures, remediationWindowDays: 90 }
    : undefined;
  return aScanRecord({
    scanId,
    accountId: ACCOUNT,
    startedAt: evaluatedAt,
    finishedAt: evaluatedAt,
    evaluatedAt,
    ...(governance ? { governance } : {}),
  });
}

const OLD = aRecord('20260101T000000.000Z-00000001', '2026-01-01T00:00:00.000Z');
const FIRST = aRecord('20260201T000000.000Z-00000002', '2026-02-01T00:00:00.000Z', {
  roles: { value: 4 },
  standingAdmin: { value: 2 },
  accessKeys: { value: 3 },
  credentialAgeMeanDays: { value: 120.5 },
  remediationMeanDays: { note: 'nothing resolved' },
});
const SECOND = aRecord('20260301T000000.000Z-00000003', '2026-03-01T00:00:00.000Z', {
  roles: { value: 5 },
  standingAdmin: { value: 1 },
  accessKeys: { value: 0, partial: ['credential-report'] },
  credentialAgeMeanDays: { value: 30, partial: ['credential-report'] },
  remediationMeanDays: { value: 12.5 },
});
const THIRD = aRecord('20260401T000000.000Z-00000004', '2026-04-01T00:00:00.000Z', {
  roles: { value: 5 },
  standingAdmin: { value: 0 },
  accessKeys: { value: 2 },
  credentialAgeMeanDays: { value: 150.2 },
  remediationMeanDays: { value: 3 },
});

describe('accountTrend', () => {
  it('orders scans oldest first and gives each value its change since the scan before', () => {
    const trend = accountTrend(ACCOUNT, [THIRD, FIRST, SECOND]);
    expect(trend.scans.map((scan) => scan.scanId)).toEqual([FIRST.scanId, SECOND.scanId, THIRD.scanId]);
    expect(trend.scans.map((scan) => scan.measures.standingAdmin)).toEqual([
      { value: 2 },
      { value: 1, change: -1 },
      { value: 0, change: -1 },
    ]);
    expect(trend.scans.map((scan) => scan.measures.roles?.change)).toEqual([undefined, 1, 0]);
    expect(trend.scans.map((scan) => scan.measures.credentialAgeMeanDays?.change)).toEqual([
      undefined,
      -90.5,
      120.2,
    ]);
    // No value before: no change, even though the value now is 12.5.
    expect(trend.scans[1]!.measures.remediationMeanDays).toEqual({ value: 12.5 });
  });

  it('marks a scan partial with what was not read, and a scan without measures as not recorded', () => {
    const trend = accountTrend(ACCOUNT, [OLD, FIRST, SECOND]);
    expect(trend.scans.map((scan) => [scan.recorded, scan.partial])).toEqual([
      [false, []],
      [true, []],
      [true, ['credential-report']],
    ]);
    // A scan stored before the measures existed is no baseline: the next one has no change.
    expect(trend.scans[1]!.measures.roles).toEqual({ value: 4 });
  });
});

describe('formatTrend', () => {
  it('prints a table of measures by scan, with changes, partial marks and notes', () => {
    const text = formatTrend(
      [accountTrend(ACCOUNT, [OLD, FIRST, SECOND, THIRD], { superseded: 1 })],
      'table',
    );
    const lines = text.split('\n');
    expect(lines[0]).toBe(`Account ${ACCOUNT}: the last 4 scans, oldest first`);
    expect(text).toContain(
      `1  ${OLD.scanId}  2026-01-01 00:00Z  measures not recorded (stored by an earlier version)`,
    );
    expect(text).toContain(`2  ${FIRST.scanId}  2026-02-01 00:00Z  complete`);
    expect(text).toContain(`3  ${SECOND.scanId}  2026-03-01 00:00Z  PARTIAL: credential-report`);
    const row = (label: string) => lines.find((line) => line.startsWith(`${label}  `))?.split(/\s{2,}/);
    expect(row('standing admin')).toEqual(['standing admin', '-', '2', '1 (-1)', '0 (-1)']);
    expect(row('active access keys')).toEqual(['active access keys', '-', '3', '0* (-3)', '2 (+2)']);
    expect(row('roles')).toEqual(['roles', '-', '4', '5 (+1)', '5 (0)']);
    expect(row('remediation mean (d)')).toEqual(['remediation mean (d)', '-', '-', '12.5', '3 (-9.5)']);
    expect(text).toContain('* partial: the scan did not fully read');
    expect(text).toContain('1 superseded scan (of data older than what was stored) not shown');
  });

  it('says clearly when an account or the table has no scans', () => {
    expect(formatTrend([accountTrend(ACCOUNT, [])], 'table')).toBe(
      `Account ${ACCOUNT}: no scans recorded.\n`,
    );
    expect(formatTrend([], 'table')).toBe('No scans recorded in this table.\n');
    expect(JSON.parse(formatTrend([], 'json'))).toEqual({ accounts: [] });
  });

  it('writes one CSV row per scan and measure, oldest first', () => {
    const csv = formatTrend([accountTrend(ACCOUNT, [SECOND, FIRST])], 'csv');
    const rows = csv.trimEnd().split('\r\n');
    expect(rows[0]).toBe('account,scanId,evaluatedAt,measure,value,change,partial,note');
    expect(rows).toContain(`${ACCOUNT},${FIRST.scanId},2026-02-01T00:00:00.000Z,accessKeys,3,,,`);
    expect(rows).toContain(
      `${ACCOUNT},${SECOND.scanId},2026-03-01T00:00:00.000Z,accessKeys,0,-3,credential-report,`,
    );
    expect(rows).toContain(
      `${ACCOUNT},${FIRST.scanId},2026-02-01T00:00:00.000Z,remediationMeanDays,,,,nothing resolved`,
    );
    // Measures a record does not hold are rows without a value, never zeros.
    expect(rows).toContain(`${ACCOUNT},${FIRST.scanId},2026-02-01T00:00:00.000Z,secrets,,,,`);
  });

  it('writes JSON with every scan, its marks and its measures', () => {
    const json = JSON.parse(formatTrend([accountTrend(ACCOUNT, [FIRST, SECOND])], 'json'));
    expect(json.accounts[0].accountId).toBe(ACCOUNT);
    expect(json.accounts[0].scans[1]).toMatchObject({
      scanId: SECOND.scanId,
      recorded: true,
      partial: ['credential-report'],
      measures: { accessKeys: { value: 0, change: -3, partial: ['credential-report'] } },
    });
  });
});

describe('governanceTrend', () => {
  class Reader implements ScanHistoryReader {
    readonly asked: [string, number][] = [];
    constructor(private readonly histories: Record<string, ScanHistory>) {}
    async listAccounts() {
      return Object.keys(this.histories);
    }
    async scanHistory(accountId: string, count: number) {
      this.asked.push([accountId, count]);
      return this.histories[accountId] ?? { records: [], malformed: [], superseded: 0 };
    }
  }

  it('reads every account of the table by default, each its own trend, and names malformed records', async () => {
    const reader = new Reader({
      '222222222222': { records: [], malformed: [], superseded: 0 },
      [ACCOUNT]: {
        records: [SECOND, FIRST],
        malformed: [
          { key: { PK: `ACCOUNT#${ACCOUNT}`, SK: 'SCAN#x' }, issues: ['attempts: expected number'] },
        ],
        superseded: 2,
      },
    });
    const trends = await governanceTrend(reader, { accounts: [], last: 5 });
    expect(trends.map((t) => [t.accountId, t.scans.length, t.superseded])).toEqual([
      [ACCOUNT, 2, 2],
      ['222222222222', 0, 0],
    ]);
    expect(trends[0]!.malformed).toEqual([
      `ACCOUNT#${ACCOUNT} / SCAN#x is malformed: attempts: expected number`,
    ]);
    expect(reader.asked).toEqual([
      [ACCOUNT, 5],
      ['222222222222', 5],
    ]);
  });

  it('reads only the accounts asked for, once each, even one with no scans', async () => {
    const reader = new Reader({ [ACCOUNT]: { records: [FIRST], malformed: [], superseded: 0 } });
    const trends = await governanceTrend(reader, { accounts: ['333333333333', '333333333333'], last: 10 });
    expect(trends.map((t) => [t.accountId, t.scans.length])).toEqual([['333333333333', 0]]);
    expect(reader.asked).toEqual([['333333333333', 10]]);
  });
});
