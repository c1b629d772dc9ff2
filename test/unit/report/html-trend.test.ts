import { describe, expect, it } from 'vitest';
import type { ScanRecord } from '../../../functions/core/findings-table';
import type { GovernanceMeasures } from '../../../functions/core/governance';
import { accountTrend } from '../../../functions/core/governance-trend';
import { formatHtml } from '../../../functions/core/report';
import { MAX_TREND_ACCOUNTS, renderTrendSection } from '../../../functions/core/report/html-trend';
import { aScanRecord } from '../../support/builders';
import { aReport } from './fixtures';

function measured(
  scanId: string,
  evaluatedAt: string,
  measures: GovernanceMeasures['measures'] | undefined,
  accountId = '111122223333',
): ScanRecord {
  return aScanRecord({
    scanId,
    accountId,
    evaluatedAt,
    ...(measures ? { governance: { version: 1, measures, remediationWindowDays: 90 } } : {}),
  });
}

/** The figure of one measure, as rendered. */
function figure(html: string, id: string): string {
  const match = new RegExp(`<figure id="trend-${id}">[\\s\\S]*?</figure>`).exec(html);
  expect(match, `figure trend-${id}`).not.toBeNull();
  return match![0];
}

const THREE_SCANS = accountTrend('111122223333', [
  measured('s1', '2026-09-01T00:00:00.000Z', { standingAdmin: { value: 5 }, openHigh: { value: 9 } }),
  measured('s2', '2026-10-01T00:00:00.000Z', {
    standingAdmin: { value: 3, partial: ['credential-report'] },
    openHigh: { value: 4 },
  }),
  measured('s3', '2026-11-01T00:00:00.000Z', { standingAdmin: { value: 2 }, openHigh: { value: 4 } }),
]);

describe('the HTML report over time', () => {
  it('draws each measure as a line through every scan, a partial value as a hollow point', () => {
    const html = formatHtml(aReport([], { trend: [THREE_SCANS] }));
    const admin = figure(html, 'standingAdmin');
    expect(admin.match(/<circle class="complete"/g)).toHaveLength(2);
    expect(admin.match(/<circle class="partial"[^>]*fill="#fff"/g)).toHaveLength(1);
    expect(admin).toContain('(partial: credential-report)');
    // One unbroken line through the three points; the newest at the right edge.
    const polylines = [...admin.matchAll(/<polyline[^>]*points="([^"]+)"/g)].map((m) => m[1]!.split(' '));
    expect(polylines).toHaveLength(1);
    expect(polylines[0]).toHaveLength(3);
    const ys = polylines[0]!.map((p) => Number(p.split(',')[1]));
    expect(ys[0]).toBeLessThan(ys[2]!); // 5 is drawn above 2
    expect(admin).toContain('latest: 2.');
    expect(admin).toContain('2026-09-01');
    expect(admin).toContain('2026-11-01');
  });

  it('breaks the line at a scan without the value instead of drawing zero', () => {
    const trend = accountTrend('111122223333', [
      measured('s1', '2026-09-01T00:00:00.000Z', { keysPastRotation: { value: 4 } }),
      measured('s2', '2026-09-02T00:00:00.000Z', { keysPastRotation: { value: 3 } }),
      measured('s3', '2026-09-03T00:00:00.000Z', undefined),
      measured('s4', '2026-09-04T00:00:00.000Z', { keysPastRotation: { value: 1 } }),
    ]);
    const keys = figure(renderTrendSection([trend]), 'keysPastRotation');
    expect([...keys.matchAll(/<polyline/g)]).toHaveLength(1);
    expect([...keys.matchAll(/<circle /g)]).toHaveLength(3);
    expect(keys).not.toMatch(/· 0</);
  });

  it('gives each account a line and a legend, and counts the accounts not drawn', () => {
    const trends = Array.from({ length: MAX_TREND_ACCOUNTS + 2 }, (_, i) => {
      const account = String(100000000000 + i);
      return accountTrend(account, [
        measured('a', '2026-09-01T00:00:00.000Z', { openCritical: { value: i } }, account),
        measured('b', '2026-10-01T00:00:00.000Z', { openCritical: { value: i + 1 } }, account),
      ]);
    });
    const section = renderTrendSection(trends);
    expect([...figure(section, 'openCritical').matchAll(/<polyline/g)]).toHaveLength(MAX_TREND_ACCOUNTS);
    expect(section).toContain('100000000000');
    expect(section).not.toContain('100000000009');
    expect(section).toContain('2 more accounts not drawn');
  });

  it('says why there is no chart when the report was written without the store, or before any measures', () => {
    expect(formatHtml(aReport([]))).toContain(
      'No scan history: this report was written without the findings store',
    );
    const unmeasured = accountTrend('111122223333', [measured('s1', '2026-09-01T00:00:00.000Z', undefined)]);
    const section = renderTrendSection([unmeasured]);
    expect(section).toContain('No stored scan carries governance measures yet.');
    expect(section).not.toContain('<svg');
  });

  it('escapes an account id it is handed', () => {
    const trend = accountTrend('<b>x</b>', [
      measured('s1', '2026-09-01T00:00:00.000Z', { standingAdmin: { value: 1 } }, '<b>x</b>'),
    ]);
    const other = accountTrend('111122223333', [
      measured('s1', '2026-09-01T00:00:00.000Z', { standingAdmin: { value: 1 } }),
    ]);
    const section = renderTrendSection([trend, other]);
    expect(section).toContain('&lt;b&gt;x&lt;/b&gt;');
    expect(section).not.toContain('<b>x</b>');
  });
});
