import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AccountOutcome } from '../../../functions/core/organization-scan';
import {
  formatHtml,
  formatOrganizationHtml,
  formatReport,
  HTML_ROW_COLUMNS,
  type ReportPosture,
} from '../../../functions/core/report';
import { HTML_SCRIPT } from '../../../functions/core/report/html-script';
import { aFinding, aReport } from './fixtures';

const POSTURE: ReportPosture = {
  credentials: {
    accessKeys: { counts: [3, 2, 1, 4, 0, 0, 1], unknown: 0, thresholdDays: 90, inactive: 2 },
    secrets: { counts: [1, 0, 0, 0, 5, 0, 0], unknown: 1, thresholdDays: 90, neverRotated: 4 },
  },
  identities: {
    'admin-equivalent': { recent: 2, stale: 7, never: 1, unknown: 0 },
    'escalation-capable': { recent: 1, stale: 0, never: 0, unknown: 0 },
    other: { recent: 40, stale: 3, never: 6, unknown: 0 },
    unknown: { recent: 0, stale: 0, never: 0, unknown: 0 },
  },
};

const XSS_ARN = 'arn:aws:iam::111122223333:role/</script><script>alert(1)</script>';
const XSS_REASON = 'Role <img src=x onerror=alert(2)> & "friends" </SCRIPT> was last used \u2028 long ago.';

interface Embedded {
  columns: string[];
  profileColumns: string[];
  strings: string[];
  profiles: number[][];
  shapes: string[][];
  rows: unknown[][];
}

function embedded(html: string): Embedded {
  const match = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html);
  expect(match).not.toBeNull();
  return JSON.parse(match![1]!) as Embedded;
}

/** A field of an embedded row, decoded: text from the string table, evidence as an object. */
function cell(data: Embedded, row: unknown[], column: string): unknown {
  const p = data.profileColumns.indexOf(column);
  if (p !== -1) {
    const profile = data.profiles[row[data.columns.indexOf('profile')] as number]!;
    return data.strings[profile[p]!];
  }
  const value = row[data.columns.indexOf(column)];
  if (column === 'evidence') {
    const [shape, ...values] = value as [number, ...unknown[]];
    return Object.fromEntries(data.shapes[shape]!.map((key, i) => [key, values[i]]));
  }
  return ['arn', 'account', 'sub', 'region'].includes(column) && typeof value === 'number'
    ? data.strings[value]
    : value;
}

describe('formatHtml', () => {
  const findings = [
    aFinding({ id: 'a'.repeat(32), severity: 'critical', ruleId: 'role-unused', resourceArn: XSS_ARN }),
    aFinding({ id: 'b'.repeat(32), reason: XSS_REASON }),
    aFinding({
      id: 'c'.repeat(32),
      severity: 'low',
      suppression: { reason: 'break-glass', owner: 'sec', expires: '2099-01-01' },
      attestation: {
        campaignId: 'quarterly.2025-Q2.111122223333',
        by: 'slack:T1/U1',
        at: '2025-05-20T10:00:00.000Z',
        until: '2025-08-18T10:00:00.000Z',
        justification: '<b>still needed</b>',
      },
    }),
  ];
  const html = formatHtml(aReport(findings, { posture: POSTURE }));

  it('is what formatReport gives for the html format', () => {
    expect(formatReport(aReport(findings, { posture: POSTURE }), 'html', { color: false })).toBe(html);
  });

  it('embeds every finding, with the text of every value intact', () => {
    const data = embedded(html);
    expect(data.columns).toEqual([...HTML_ROW_COLUMNS]);
    expect(data.rows).toHaveLength(3);
    const [first, second, third] = data.rows as [unknown[], unknown[], unknown[]];
    expect(cell(data, first, 'arn')).toBe(XSS_ARN);
    expect(cell(data, first, 'rule')).toBe('role-unused');
    expect(cell(data, second, 'reason')).toBe(XSS_REASON);
    expect(cell(data, second, 'evidence')).toEqual({
      createdAt: '2025-02-02T08:00:00.000Z',
      ageDays: 120,
      thresholdDays: 90,
    });
    expect(cell(data, second, 'sub')).toBe('AKIAIOSFODNN7EXAMPLE');
    const suppression = cell(data, third, 'suppression') as number[];
    expect(suppression.map((i) => data.strings[i])).toEqual(['break-glass', 'sec', '2099-01-01']);
    const [by, campaign, until, justification] = cell(data, third, 'attestation') as [
      number,
      number,
      number,
      string,
    ];
    expect([data.strings[by], data.strings[campaign], data.strings[until], justification]).toEqual([
      'slack:T1/U1',
      'quarterly.2025-Q2.111122223333',
      '2025-08-18T10:00:00.000Z',
      '<b>still needed</b>',
    ]);
    expect(cell(data, first, 'attestation')).toBe(0);
  });

  it('keeps repeated values once, in the string table', () => {
    const data = embedded(html);
    expect(data.strings.filter((s) => s === 'arn:aws:iam::111122223333:user/deploy-bot')).toHaveLength(1);
    expect(data.strings.filter((s) => s === 'Rotate the key.')).toHaveLength(1);
    // The two access-key-not-rotated findings share one profile and one evidence shape.
    expect(data.profiles).toHaveLength(2);
    expect(data.shapes).toEqual([['createdAt', 'ageDays', 'thresholdDays']]);
  });

  it('lets no finding text out of its element: no markup from the data reaches the page', () => {
    // The two real script elements, and no other: the data's "</script>" stays escaped.
    expect(html.match(/<\/script/gi)).toHaveLength(2);
    expect(html.match(/<script/gi)).toHaveLength(2);
    expect(html).not.toContain('<img');
    expect(html).not.toContain('alert(1)</script>');
    expect(html).not.toContain('\u2028');
  });

  it('allows only its own inline script and style, and no network request', () => {
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
    const scriptHash = createHash('sha256').update(HTML_SCRIPT).digest('base64');
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'none'");
    expect(csp).toContain(`script-src 'sha256-${scriptHash}'`);
    expect(html).toContain(`<script>${HTML_SCRIPT}</script>`);
    expect(html).not.toMatch(/\b(src|href)="(https?:)?\/\//);
  });

  it('shows the summary counts of the report', () => {
    expect(html).toContain('<h1>iam-posture report · Account 111122223333</h1>');
    expect(html).toMatch(/id="count-total"><b>2<\/b>/);
    expect(html).toMatch(/id="count-critical"><b>1<\/b>/);
    expect(html).toMatch(/id="count-medium"><b>1<\/b>/);
    expect(html).toMatch(/id="count-suppressed"><b>1<\/b>/);
    expect(html).toContain('evaluated as of 2025-06-02T08:00:00.000Z');
  });

  it('draws the charts from the posture: credential ages and privilege × staleness', () => {
    for (const id of ['chart-severity', 'chart-rule', 'chart-key-age', 'chart-secret-age', 'chart-matrix']) {
      expect(html).toContain(`<figure id="${id}">`);
    }
    expect(html).toContain('<title>admin-equivalent, stale (past window): 7</title>');
    expect(html).toContain('<title>90–179 days: 4</title>');
    expect(html).toContain('2 inactive keys not shown');
    expect(html).toContain('4 never rotated; 1 of unknown age');
    // Nothing has unknown privilege or use here, so neither row nor column is drawn.
    expect(html).not.toContain('privilege unknown');
    expect(html).not.toContain('use unknown');
  });

  it('says the posture charts are unavailable for a report without posture', () => {
    const bare = formatHtml(aReport(findings));
    expect(bare).toContain('<figure id="posture-unavailable">');
    expect(bare).toContain('Charts unavailable');
    expect(bare).not.toContain('chart-matrix');
    expect(bare).toContain('<figure id="chart-severity">');
  });

  it('lists what could not be read', () => {
    const withGap = formatHtml(
      aReport([], {
        coverage: [
          {
            arn: 'arn:aws:iam::111122223333:root',
            accountId: '111122223333',
            source: 'secrets.json',
            reason: 'Secrets Manager <ListSecrets> was denied.',
            category: 'AccessDenied',
            count: 3,
          },
        ],
      }),
    );
    expect(withGap).toContain('<table id="coverage-gaps">');
    expect(withGap).toContain('Secrets Manager &lt;ListSecrets&gt; was denied.');
    expect(withGap).toMatch(/<td>AccessDenied<\/td>.*<td>3<\/td>/);
    expect(formatHtml(aReport([]))).toContain('Everything the scan needed was read.');
  });
});

describe('formatOrganizationHtml', () => {
  const outcome = (accountId: string, overrides: Partial<AccountOutcome>): AccountOutcome => ({
    accountId,
    accountName: `name-${accountId}`,
    outcome: 'complete',
    apiCalls: 4,
    findings: 1,
    opened: 0,
    resolved: 0,
    held: 0,
    startedAt: '2025-06-02T08:00:00.000Z',
    finishedAt: '2025-06-02T08:01:00.000Z',
    ...overrides,
  });
  const a = aReport([aFinding({ id: 'a'.repeat(32), accountId: '111111111111', severity: 'low' })], {
    posture: POSTURE,
  });
  a.summary.accountId = '111111111111';
  const b = aReport([aFinding({ id: 'b'.repeat(32), accountId: '222222222222', severity: 'high' })], {
    posture: POSTURE,
  });
  b.summary.accountId = '222222222222';
  const html = formatOrganizationHtml(
    {
      runId: 'run-1',
      startedAt: '2025-06-02T08:00:00.000Z',
      finishedAt: '2025-06-02T08:05:00.000Z',
      counts: { total: 3, complete: 1, partial: 1, failed: 1 },
      accounts: [
        outcome('111111111111', {}),
        outcome('222222222222', { outcome: 'partial', unreadSources: ['iam:GetCredentialReport'] }),
        outcome('333333333333', {
          outcome: 'failed',
          reason: 'assume-denied',
          detail: 'AssumeRole was denied',
        }),
      ],
    },
    [a, b],
  );

  it('puts every account’s findings in one table, in risk order', () => {
    const data = embedded(html);
    expect(data.rows.map((row) => cell(data, row, 'account'))).toEqual(['222222222222', '111111111111']);
    expect(html).toContain('<option value="333333333333">333333333333 (name-333333333333)</option>');
  });

  it('lists the accounts not fully scanned, with why', () => {
    const table = html.slice(html.indexOf('<table id="accounts-incomplete">'), html.indexOf('</table>'));
    expect(table).toContain('<td>222222222222</td><td>name-222222222222</td><td>partial</td>');
    expect(table).toContain('iam:GetCredentialReport');
    expect(table).toContain('<td>failed</td><td>assume-denied: AssumeRole was denied</td>');
    expect(table).not.toContain('111111111111');
    expect(html).toContain('2 accounts were not fully scanned.');
  });

  it('adds the counts and the posture of the accounts', () => {
    expect(html).toMatch(/id="count-total"><b>2<\/b>/);
    expect(html).toContain('3 accounts: 1 complete, 1 partial, 1 failed');
    expect(html).toContain('<title>admin-equivalent, stale (past window): 14</title>');
  });
});
