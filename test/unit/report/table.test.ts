import { describe, expect, it } from 'vitest';
import { formatTable, shortResource, summaryLine, withMinSeverity } from '../../../functions/core/report';
import { wrap } from '../../../functions/core/report/table';
import { aFinding, aReport } from './fixtures';

const ESC = '\u001b[';

const findings = [
  aFinding({
    id: 'root',
    ruleId: 'root-access-key',
    severity: 'critical',
    resourceType: 'access-key',
    resourceArn: 'arn:aws:iam::111122223333:root',
    subResource: 'slot-1',
    reason: 'The root user has an active access key in slot 1.',
  }),
  aFinding({
    id: 'admin',
    ruleId: 'standing-admin',
    severity: 'high',
    resourceType: 'role',
    resourceArn: 'arn:aws:iam::111122223333:role/ci/terraform',
    subResource: undefined,
    reason: 'Role terraform holds administrator-equivalent permissions through policy AdministratorAccess.',
  }),
  aFinding({ id: 'key' }),
  aFinding({
    id: 'exempt',
    ruleId: 'password-unused',
    severity: 'low',
    resourceType: 'user',
    resourceArn: 'arn:aws:iam::111122223333:user/breakglass',
    subResource: undefined,
    reason: 'User breakglass has not signed in for 300 days.',
    suppression: { reason: 'break-glass account', owner: 'security@example.com', expires: '2025-12-31' },
  }),
];

describe('formatTable', () => {
  const text = formatTable(aReport(findings), { color: false });
  const lines = text.split('\n');

  it('groups findings under severity headings, most severe first, in the given order', () => {
    const headings = lines.filter((l) => /^[A-Z]+ \(\d+\)$/.test(l));
    expect(headings).toEqual(['CRITICAL (1)', 'HIGH (1)', 'MEDIUM (1)', 'SUPPRESSED (1)']);
    expect(text.indexOf('root-access-key')).toBeLessThan(text.indexOf('standing-admin'));
    expect(text.indexOf('standing-admin')).toBeLessThan(text.indexOf('access-key-not-rotated'));
  });

  it('names each resource briefly, with the key for access keys, and gives the reason', () => {
    const ruleWidth = 'access-key-not-rotated'.length;
    const resourceWidth = 'user/deploy-bot [AKIAIOSFODNN7EXAMPLE]'.length;
    expect(lines).toContain(
      `  ${'root-access-key'.padEnd(ruleWidth)}  ${'root [slot-1]'.padEnd(resourceWidth)}  The root user has an active access key in slot 1.`,
    );
    const key = lines.find((l) => l.includes('access-key-not-rotated'));
    expect(key).toContain('user/deploy-bot [AKIAIOSFODNN7EXAMPLE]');
    expect(key).toContain('Access key AKIAIOSFODNN7EXAMPLE of user deploy-bot is 120 days old.');
  });

  it('lists suppressed findings apart, with the exemption', () => {
    const at = lines.indexOf('SUPPRESSED (1)');
    expect(lines[at + 1]).toContain('password-unused');
    expect(lines[at + 2]).toContain('exempt until 2025-12-31 (security@example.com): break-glass account');
  });

  it('shows an owner’s keep answer under the reason, without suppressing the finding', () => {
    const kept = findings.map((f) =>
      f.ruleId === 'standing-admin'
        ? {
            ...f,
            attestation: {
              campaignId: 'quarterly.2025-Q2.111122223333',
              by: 'slack:T1/U1',
              at: '2025-05-20T10:00:00.000Z',
              until: '2025-08-18T10:00:00.000Z',
              justification: 'runs the break-glass runbook',
            },
          }
        : f,
    );
    const shown = formatTable(aReport(kept), { color: false }).split('\n');
    const at = shown.findIndex((l) => l.includes('standing-admin'));
    expect(shown[at + 1]!.trim()).toBe(
      'kept by slack:T1/U1 in review quarterly.2025-Q2.111122223333 until 2025-08-18: runs the break-glass runbook',
    );
    expect(shown.filter((l) => /^[A-Z]+ \(\d+\)$/.test(l))).toEqual([
      'CRITICAL (1)',
      'HIGH (1)',
      'MEDIUM (1)',
      'SUPPRESSED (1)',
    ]);
  });

  it('ends with the summary line', () => {
    expect(lines.at(-2)).toBe('3 findings: 1 critical, 1 high, 1 medium · 1 suppressed · 0 coverage gaps');
    expect(lines.at(-1)).toBe('');
  });

  it('starts with the account, the evaluation time and the resource counts', () => {
    expect(lines[0]).toBe(
      'Account 111122223333 · evaluated as of 2025-06-02T08:00:00.000Z · 3 roles, 2 users, 0 groups, 1 access key, 1 secret, 0 certificates',
    );
  });

  it('has no escape codes unless colour is asked for', () => {
    expect(text).not.toContain(ESC);
    const colored = formatTable(aReport(findings), { color: true });
    expect(colored).toContain(`${ESC}1;91mCRITICAL (1)${ESC}0m`);
    expect(colored).toContain(`${ESC}31mHIGH (1)${ESC}0m`);
    expect(colored.replace(new RegExp(`${ESC.replace('[', '\\[')}[0-9;]*m`, 'g'), '')).toBe(text);
  });

  it('says so when there is nothing to report', () => {
    const empty = formatTable(aReport([]), { color: false });
    expect(empty).toContain('\nNo findings.\n');
    expect(empty.trimEnd().split('\n').at(-1)).toBe('0 findings · 0 coverage gaps');
  });

  it('lists coverage gaps with where they are', () => {
    const report = aReport([], {
      coverage: [
        {
          arn: 'arn:aws:iam::111122223333:role/legacy',
          accountId: '111122223333',
          source: 'authorization-details.json',
          detail: '$.RoleDetailList[4].AssumeRolePolicyDocument.Statement[0].Effect',
          category: 'Malformed',
          reason: 'The trust policy of role legacy is malformed.',
        },
      ],
    });
    const out = formatTable(report, { color: false });
    expect(out).toContain('COVERAGE GAPS (1): the scan could not read everything');
    expect(out).toContain(
      '  authorization-details.json ($.RoleDetailList[4].AssumeRolePolicyDocument.Statement[0].Effect): The trust policy of role legacy is malformed.',
    );
    expect(out).toContain('0 findings · 1 coverage gap\n');
  });

  it('wraps coverage gaps to the width', () => {
    const gap = {
      arn: 'arn:aws:iam::aws:policy/SecurityAudit',
      accountId: '111122223333',
      source: 'authorization-details.json',
      category: 'Missing',
      reason:
        'Managed policy SecurityAudit is attached to role vendor-security-scanner but its document is not in the authorization details.',
    };
    const out = formatTable(aReport([], { coverage: [gap] }), { color: false, width: 80 });
    const lines = out.split('\n');
    const at = lines.findIndex((l) => l.startsWith('COVERAGE GAPS'));
    const gapLines = lines.slice(at + 1, lines.indexOf('', at));
    expect(gapLines.length).toBeGreaterThan(1);
    expect(gapLines.every((l) => l.length <= 80)).toBe(true);
    expect(gapLines[0]!.startsWith('  authorization-details.json: Managed policy')).toBe(true);
    expect(gapLines.slice(1).every((l) => l.startsWith('    '))).toBe(true);
    expect(gapLines.map((l) => l.trim()).join(' ')).toBe(
      `authorization-details.json: ${gap.reason} touches policy/SecurityAudit`,
    );
  });

  it('shows a grouped gap once, with its count, first places and the resources it touches', () => {
    const roles = Array.from({ length: 101 }, (_, i) => `arn:aws:iam::111122223333:role/r${i}`);
    const gap = {
      arn: 'arn:aws:iam::111122223333:root',
      accountId: '111122223333',
      source: 'authorization-details.json',
      detail: '$.RoleDetailList[*].CreateDate',
      category: 'Malformed',
      reason: 'Role r0 has no CreateDate; the role was not analysed.',
      count: 101,
      places: ['$.RoleDetailList[0].CreateDate', '$.RoleDetailList[1].CreateDate'],
      resources: roles,
      resourcesOverflow: false,
    };
    const out = formatTable(aReport([], { coverage: [gap] }), { color: false });
    const lines = out.split('\n');
    const at = lines.findIndex((l) => l.startsWith('COVERAGE GAPS'));
    expect(lines.slice(at, lines.indexOf('', at))).toEqual([
      'COVERAGE GAPS (1): the scan could not read everything',
      '  authorization-details.json ($.RoleDetailList[*].CreateDate), 101 times: Role r0 has no CreateDate; the role was not analysed.',
      '    first at $.RoleDetailList[0].CreateDate, $.RoleDetailList[1].CreateDate',
      '    touches role/r0, role/r1, role/r2 and 98 more',
    ]);
    expect(out.match(/has no CreateDate/g)).toHaveLength(1);
  });

  it.each([
    [
      'a list that overflowed',
      { resources: ['arn:aws:iam::111122223333:role/a'], resourcesOverflow: true },
      'touches role/a and more',
    ],
    [
      'the account',
      { resources: ['arn:aws:iam::111122223333:root', 'arn:aws:iam::111122223333:role/a'] },
      'touches the whole account',
    ],
    ['one resource', { resources: ['arn:aws:iam::111122223333:role/a'] }, 'touches role/a'],
  ])('names the resources of %s', (_name, fields, expected) => {
    const gap = {
      arn: 'arn:aws:iam::111122223333:root',
      accountId: '111122223333',
      source: 'authorization-details.json',
      category: 'Malformed',
      reason: 'Bad.',
      count: 2,
      ...fields,
    };
    expect(formatTable(aReport([], { coverage: [gap] }), { color: false })).toContain(`\n    ${expected}\n`);
  });

  it('wraps long reasons under their column when given a width', () => {
    const out = formatTable(aReport([findings[1]!]), { color: false, width: 100 });
    const rows = out.split('\n').filter((l) => l.startsWith('  '));
    expect(rows.length).toBeGreaterThan(1);
    expect(rows.every((l) => l.length <= 100)).toBe(true);
    const column = rows[0]!.indexOf('Role terraform');
    expect(rows[1]!.slice(0, column).trim()).toBe('');
    expect(rows.map((l) => l.slice(column)).join(' ')).toBe(findings[1]!.reason);
  });

  it('puts the reason under the finding on a narrow terminal', () => {
    const out = formatTable(aReport([findings[1]!]), { color: false, width: 60 });
    const rows = out.split('\n').filter((l) => l.startsWith('  '));
    expect(rows[0]).toBe('  standing-admin  role/ci/terraform');
    expect(rows.slice(1).every((l) => l.startsWith('      ') && l.length <= 60)).toBe(true);
    expect(
      rows
        .slice(1)
        .map((l) => l.trim())
        .join(' '),
    ).toBe(findings[1]!.reason);
  });

  it('marks findings of rules that failed to evaluate', () => {
    const out = formatTable(
      aReport([aFinding({ result: 'error', reason: 'Rule x could not evaluate y: boom' })]),
      {
        color: false,
      },
    );
    expect(out).toContain('[rule error] Rule x could not evaluate y: boom');
  });
});

describe('summaryLine', () => {
  it('says how many findings --min-severity shows', () => {
    const report = withMinSeverity(aReport(findings), 'high');
    expect(report.findings.map((f) => f.id)).toEqual(['root', 'admin']);
    expect(summaryLine(report)).toBe(
      '3 findings: 1 critical, 1 high, 1 medium · 1 suppressed · 0 coverage gaps · showing 2 at high or above',
    );
  });
});

describe('shortResource', () => {
  it.each([
    ['arn:aws:iam::111122223333:role/service-role/orders', 'role/service-role/orders'],
    ['arn:aws:iam::111122223333:root', 'root'],
    ['arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf', 'secret:prod/db-AbCdEf'],
    ['arn:aws:iam::aws:policy/SecurityAudit', 'policy/SecurityAudit'],
    ['not-an-arn', 'not-an-arn'],
  ])('%s -> %s', (arn, short) => {
    expect(shortResource(arn)).toBe(short);
  });
});

describe('wrap', () => {
  it('breaks at spaces and keeps long words whole', () => {
    expect(wrap('aaa bbb ccc', 7)).toEqual(['aaa bbb', 'ccc']);
    expect(wrap('arn:aws:iam::111122223333:role/a-very-long-name end', 10)).toEqual([
      'arn:aws:iam::111122223333:role/a-very-long-name',
      'end',
    ]);
  });
});
