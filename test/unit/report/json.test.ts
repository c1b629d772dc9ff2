import { describe, expect, it } from 'vitest';
import { formatJson } from '../../../functions/core/report';
import { aFinding, aReport } from './fixtures';

describe('formatJson', () => {
  it('prints one document with findings, summary and coverage', () => {
    const report = aReport([aFinding()], {
      coverage: [
        {
          arn: 'arn:aws:iam::aws:policy/SecurityAudit',
          accountId: '111122223333',
          source: 'authorization-details.json',
          category: 'Missing',
          reason: 'Managed policy SecurityAudit is attached but its document is not in the export.',
        },
      ],
    });
    const document = JSON.parse(formatJson(report));
    expect(Object.keys(document)).toEqual(['findings', 'summary', 'coverage']);
    expect(document.summary.total).toBe(1);
    expect(document.coverage).toEqual([
      {
        source: 'authorization-details.json',
        category: 'Missing',
        reason: 'Managed policy SecurityAudit is attached but its document is not in the export.',
        arn: 'arn:aws:iam::aws:policy/SecurityAudit',
        accountId: '111122223333',
        detail: null,
        count: 1,
        places: [],
        resources: ['arn:aws:iam::aws:policy/SecurityAudit'],
        resourcesOverflow: false,
      },
    ]);
  });

  it('gives a grouped gap its count, first places and resources', () => {
    const grouped = {
      arn: 'arn:aws:iam::111122223333:root',
      accountId: '111122223333',
      source: 'credential-report.csv',
      detail: 'line *',
      category: 'Malformed',
      reason: 'Credential report line 3 is malformed.',
      count: 2,
      places: ['line 3', 'line 9'],
      resources: ['arn:aws:iam::111122223333:user/a', 'arn:aws:iam::111122223333:user/b'],
      resourcesOverflow: false,
    };
    const [entry] = JSON.parse(formatJson(aReport([], { coverage: [grouped] }))).coverage;
    expect(entry).toEqual({
      source: 'credential-report.csv',
      category: 'Malformed',
      reason: 'Credential report line 3 is malformed.',
      arn: 'arn:aws:iam::111122223333:root',
      accountId: '111122223333',
      detail: 'line *',
      count: 2,
      places: ['line 3', 'line 9'],
      resources: ['arn:aws:iam::111122223333:user/a', 'arn:aws:iam::111122223333:user/b'],
      resourcesOverflow: false,
    });
  });

  it('gives every finding the contract fields, absent values as null', () => {
    const [finding] = JSON.parse(
      formatJson(aReport([aFinding({ subResource: undefined, remediation: { summary: 'Delete it.' } })])),
    ).findings;
    expect(finding).toMatchObject({
      id: '0123456789abcdef0123456789abcdef',
      ruleId: 'access-key-not-rotated',
      severity: 'medium',
      resourceType: 'access-key',
      resourceArn: 'arn:aws:iam::111122223333:user/deploy-bot',
      subResource: null,
      accountId: '111122223333',
      region: null,
      reason: 'Access key AKIAIOSFODNN7EXAMPLE of user deploy-bot is 120 days old.',
      evidence: { createdAt: '2025-02-02T08:00:00.000Z', ageDays: 120, thresholdDays: 90 },
      compliance: [
        { framework: 'cis-aws-3.0', control: '1.14' },
        { framework: 'aws-fsbp', control: 'IAM.3' },
      ],
      remediation: { summary: 'Delete it.', action: null },
      suppression: null,
      owner: null,
    });
  });

  it('carries the owner and where it came from', () => {
    const owner = { id: 'team-payments', source: 'pattern:arn:aws:iam::*:role/payments-*' };
    const [finding] = JSON.parse(formatJson(aReport([aFinding({ owner })]))).findings;
    expect(finding.owner).toEqual(owner);
  });

  it('keeps the order of the findings', () => {
    const ids = ['a', 'b', 'c'].map((id) => aFinding({ id }));
    const document = JSON.parse(formatJson(aReport(ids)));
    expect(document.findings.map((f: { id: string }) => f.id)).toEqual(['a', 'b', 'c']);
  });
});
