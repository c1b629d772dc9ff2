import { AwsSecurityFinding$, Resource$ } from '@aws-sdk/client-securityhub';
import { beforeAll, describe, expect, it } from 'vitest';
import { readExportDirectory } from '../../../functions/adapters/export-reader';
import {
  AsffMappingError,
  asffFindingId,
  formatAsff,
  formatReport,
  inBatches,
  TRUNCATION_MARKER,
  toAsffFinding,
  truncate,
} from '../../../functions/core/report';
import { DEFAULT_SETTINGS } from '../../../functions/core/settings';
import { analyzeAccount } from '../../../functions/use-cases/analyze';
import { asffProblems, REQUIRED_FINDING_MEMBERS, REQUIRED_RESOURCE_MEMBERS } from '../../support/asff-model';
import { aFinding, aReport } from './fixtures';

const OBSERVED = '2025-06-02T08:00:00.000Z';
const FIRST_SEEN = '2025-03-01T10:00:00.000Z';
const CONTEXT = { region: 'eu-west-1', observedAt: OBSERVED };

describe('the ASFF model the tests check against', () => {
  it('requires exactly the members the SDK schema of AwsSecurityFinding and Resource marks required', () => {
    const [, , , , findingMembers, , findingRequired] = AwsSecurityFinding$;
    expect(REQUIRED_FINDING_MEMBERS.map(([name]) => name)).toEqual(findingMembers.slice(0, findingRequired));
    const [, , , , resourceMembers, , resourceRequired] = Resource$;
    expect([...REQUIRED_RESOURCE_MEMBERS]).toEqual(resourceMembers.slice(0, resourceRequired));
  });

  it('reports a finding without its required members and with an oversized title', () => {
    const finding = toAsffFinding(aFinding(), CONTEXT) as unknown as Record<string, unknown>;
    const { Resources: _r, CreatedAt: _c, ...rest } = finding;
    expect(asffProblems({ ...rest, Title: 'x'.repeat(257) })).toEqual([
      'CreatedAt is required',
      'Resources is required',
      'Title length 257 is outside 1..256',
    ]);
  });
});

describe('toAsffFinding', () => {
  it('maps an access key finding to every attribute Security Hub shows', () => {
    const asff = toAsffFinding(aFinding(), {
      ...CONTEXT,
      lifecycle: { status: 'open', firstSeenAt: FIRST_SEEN },
    });
    expect(asff).toEqual({
      SchemaVersion: '2018-10-08',
      Id: 'iam-posture/111122223333/eu-west-1/0123456789abcdef0123456789abcdef',
      ProductArn: 'arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default',
      ProductName: 'iam-posture',
      GeneratorId: 'access-key-not-rotated',
      AwsAccountId: '111122223333',
      Types: [
        'Software and Configuration Checks/AWS Security Best Practices',
        'Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark',
      ],
      CreatedAt: FIRST_SEEN,
      UpdatedAt: OBSERVED,
      FirstObservedAt: FIRST_SEEN,
      LastObservedAt: OBSERVED,
      Severity: { Label: 'MEDIUM', Original: 'medium' },
      Title: 'Access keys are rotated within the rotation window',
      Description: expect.stringMatching(
        /^Access key AKIAIOSFODNN7EXAMPLE of user deploy-bot is 120 days old\. \S/,
      ),
      Remediation: {
        Recommendation: {
          Text: 'Rotate the key.',
          Url: expect.stringMatching(/^https:\/\//),
        },
      },
      ProductFields: {
        'iam-posture/RuleId': 'access-key-not-rotated',
        'iam-posture/FindingId': '0123456789abcdef0123456789abcdef',
        'iam-posture/Status': 'open',
        'iam-posture/Result': 'fail',
        'iam-posture/ResourceArn': 'arn:aws:iam::111122223333:user/deploy-bot',
        'iam-posture/SubResource': 'AKIAIOSFODNN7EXAMPLE',
        'iam-posture/BaseSeverity': 'medium',
        'iam-posture/RiskScore': '310',
        'iam-posture/RemediationAction': 'deactivate-access-key',
        'iam-posture/Evidence': '{"createdAt":"2025-02-02T08:00:00.000Z","ageDays":120,"thresholdDays":90}',
      },
      Resources: [
        { Type: 'AwsIamAccessKey', Id: 'AKIAIOSFODNN7EXAMPLE', Partition: 'aws', Region: 'eu-west-1' },
        {
          Type: 'AwsIamUser',
          Id: 'arn:aws:iam::111122223333:user/deploy-bot',
          Partition: 'aws',
          Region: 'eu-west-1',
        },
      ],
      Compliance: {
        Status: 'FAILED',
        RelatedRequirements: [
          'CIS Amazon Web Services Foundations Benchmark v3.0.0/1.14',
          'AWS Foundational Security Best Practices/IAM.3',
        ],
      },
      Workflow: { Status: 'NEW' },
      RecordState: 'ACTIVE',
      FindingProviderFields: {
        Severity: { Label: 'MEDIUM', Original: 'medium' },
        Types: [
          'Software and Configuration Checks/AWS Security Best Practices',
          'Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark',
        ],
      },
    });
    expect(asffProblems(asff as unknown as Record<string, unknown>)).toEqual([]);
  });

  it('keeps the first-seen time as CreatedAt and FirstObservedAt whenever it is imported', () => {
    const later = toAsffFinding(aFinding(), {
      region: 'eu-west-1',
      observedAt: '2025-09-01T00:00:00.000Z',
      lifecycle: { status: 'open', firstSeenAt: FIRST_SEEN },
    });
    expect(later.CreatedAt).toBe(FIRST_SEEN);
    expect(later.FirstObservedAt).toBe(FIRST_SEEN);
    expect(later.UpdatedAt).toBe('2025-09-01T00:00:00.000Z');
    expect(later.LastObservedAt).toBe('2025-09-01T00:00:00.000Z');
  });

  it('is first seen when observed when nothing is known of its lifecycle', () => {
    const asff = toAsffFinding(aFinding(), CONTEXT);
    expect([asff.CreatedAt, asff.FirstObservedAt, asff.UpdatedAt]).toEqual([OBSERVED, OBSERVED, OBSERVED]);
  });

  it('never dates an update before the creation', () => {
    const asff = toAsffFinding(aFinding(), {
      region: 'eu-west-1',
      observedAt: '2025-01-01T00:00:00.000Z',
      lifecycle: { status: 'open', firstSeenAt: FIRST_SEEN },
    });
    expect(asff.UpdatedAt).toBe(FIRST_SEEN);
    expect(asff.LastObservedAt).toBe(FIRST_SEEN);
  });

  it.each([
    ['open', 'NEW', 'ACTIVE', 'FAILED'],
    ['suppressed', 'SUPPRESSED', 'ACTIVE', 'FAILED'],
    ['resolved', 'RESOLVED', 'ARCHIVED', 'PASSED'],
    ['remediated', 'RESOLVED', 'ARCHIVED', 'PASSED'],
  ] as const)('a %s finding is %s, %s, compliance %s', (status, workflow, record, compliance) => {
    const asff = toAsffFinding(aFinding(), { ...CONTEXT, lifecycle: { status, firstSeenAt: FIRST_SEEN } });
    expect([asff.Workflow.Status, asff.RecordState, asff.Compliance.Status]).toEqual([
      workflow,
      record,
      compliance,
    ]);
    expect(asff.ProductFields['iam-posture/Status']).toBe(status);
  });

  it('is SUPPRESSED when an exemption covers it and the store is not known', () => {
    const asff = toAsffFinding(
      aFinding({ suppression: { reason: 'break-glass', owner: 'sec@example.com', expires: '2026-01-01' } }),
      CONTEXT,
    );
    expect(asff.Workflow.Status).toBe('SUPPRESSED');
    expect(asff.ProductFields['iam-posture/SuppressionOwner']).toBe('sec@example.com');
  });

  it('marks a rule error and a coverage gap WARNING: the resource is not known to fail or pass', () => {
    expect(toAsffFinding(aFinding({ result: 'error' }), CONTEXT).Compliance.Status).toBe('WARNING');
    const gap = toAsffFinding(
      aFinding({
        ruleId: 'scan-coverage-gap',
        resourceType: 'coverage-gap',
        resourceArn: '',
        compliance: [],
        subResource: 'iam:GetCredentialReport',
      }),
      CONTEXT,
    );
    expect(gap.Compliance).toEqual({ Status: 'WARNING' });
    expect(gap.Resources).toEqual([
      { Type: 'Other', Id: 'arn:aws:iam::111122223333:root', Partition: 'aws', Region: 'eu-west-1' },
    ]);
  });

  it.each([
    ['role', 'arn:aws:iam::111122223333:role/ci', 'AwsIamRole'],
    ['user', 'arn:aws:iam::111122223333:user/bot', 'AwsIamUser'],
    ['group', 'arn:aws:iam::111122223333:group/ops', 'AwsIamGroup'],
    ['secret', 'arn:aws:secretsmanager:us-east-2:111122223333:secret:db-AbCdEf', 'AwsSecretsManagerSecret'],
    ['server-certificate', 'arn:aws:iam::111122223333:server-certificate/web', 'Other'],
  ] as const)('names a %s resource %s', (kind, arn, type) => {
    const asff = toAsffFinding(
      aFinding({
        resourceType: kind,
        resourceArn: arn,
        ...(kind === 'secret' ? { region: 'us-east-2' } : {}),
      }),
      CONTEXT,
    );
    expect(asff.Resources).toEqual([
      { Type: type, Id: arn, Partition: 'aws', Region: kind === 'secret' ? 'us-east-2' : 'eu-west-1' },
    ]);
  });

  it('names a key known only by its credential report slot under its user', () => {
    const asff = toAsffFinding(aFinding({ subResource: 'slot-2' }), CONTEXT);
    expect(asff.Resources[0]).toEqual({
      Type: 'AwsIamAccessKey',
      Id: 'arn:aws:iam::111122223333:user/deploy-bot/access-key/slot-2',
      Partition: 'aws',
      Region: 'eu-west-1',
    });
  });

  it('takes the partition from the region it imports into', () => {
    const asff = toAsffFinding(
      aFinding({ resourceArn: 'arn:aws-us-gov:iam::111122223333:user/deploy-bot' }),
      {
        region: 'us-gov-west-1',
        observedAt: OBSERVED,
      },
    );
    expect(asff.ProductArn).toBe(
      'arn:aws-us-gov:securityhub:us-gov-west-1:111122223333:product/111122223333/default',
    );
    expect(asff.Resources.map((r) => r.Partition)).toEqual(['aws-us-gov', 'aws-us-gov']);
  });

  it('gives the same finding the same id, and another account or region another one', () => {
    const id = toAsffFinding(aFinding(), CONTEXT).Id;
    expect(toAsffFinding(aFinding({ reason: 'changed' }), CONTEXT).Id).toBe(id);
    expect(toAsffFinding(aFinding(), { ...CONTEXT, region: 'eu-west-2' }).Id).not.toBe(id);
    expect(asffFindingId({ id: 'abc', accountId: '444455556666' }, 'eu-west-1')).toBe(
      'iam-posture/444455556666/eu-west-1/abc',
    );
  });

  it('cuts long texts to the model limits with a marker and never throws on huge evidence', () => {
    const asff = toAsffFinding(
      aFinding({
        title: 'T'.repeat(1000),
        reason: 'R'.repeat(5000),
        remediation: { summary: 'S'.repeat(2000) },
        evidence: { policy: 'P'.repeat(1_000_000), statements: [{ action: 'iam:*' }] },
      }),
      CONTEXT,
    );
    expect(asff.Title).toHaveLength(256);
    expect(asff.Title.endsWith(TRUNCATION_MARKER)).toBe(true);
    expect(asff.Description).toHaveLength(1024);
    expect(asff.Description.endsWith(TRUNCATION_MARKER)).toBe(true);
    expect(asff.Remediation?.Recommendation.Text).toHaveLength(512);
    expect(asff.ProductFields['iam-posture/Evidence']).toHaveLength(2048);
    expect(asff.ProductFields['iam-posture/Evidence']?.startsWith('{"policy":"PPP')).toBe(true);
    expect(asffProblems(asff as unknown as Record<string, unknown>)).toEqual([]);
  });

  it('leaves out a remediation without text and falls back to the rule id for an empty title', () => {
    const asff = toAsffFinding(aFinding({ title: ' ', remediation: { summary: '' } }), CONTEXT);
    expect(asff.Title).toBe('access-key-not-rotated');
    expect(asff.Remediation).toBeUndefined();
    expect(asffProblems(asff as unknown as Record<string, unknown>)).toEqual([]);
  });

  it('refuses an account id or region Security Hub cannot take, naming the finding', () => {
    expect(() => toAsffFinding(aFinding({ accountId: 'unknown' }), CONTEXT)).toThrow(
      new AsffMappingError(
        'finding 0123456789abcdef0123456789abcdef: account id "unknown" is not a 12-digit AWS account id',
      ),
    );
    expect(() => toAsffFinding(aFinding(), { ...CONTEXT, region: 'Europe' })).toThrow(
      /finding 0123456789abcdef0123456789abcdef: "Europe" is not an AWS region/,
    );
  });
});

describe('truncate', () => {
  it('keeps a text at the limit and never splits a surrogate pair', () => {
    expect(truncate('abc', 3)).toBe('abc');
    const cut = truncate(`${'a'.repeat(10)}😀${'b'.repeat(20)}`, 10 + TRUNCATION_MARKER.length + 1);
    expect(cut).toBe(`${'a'.repeat(10)}${TRUNCATION_MARKER}`);
  });
});

describe('inBatches', () => {
  it('splits into calls of at most 100 findings', () => {
    const items = Array.from({ length: 250 }, (_, i) => i);
    expect(inBatches(items).map((batch) => batch.length)).toEqual([100, 100, 50]);
    expect(inBatches(items).flat()).toEqual(items);
    expect(inBatches(items.slice(0, 100))).toHaveLength(1);
    expect(inBatches([])).toEqual([]);
    expect(() => inBatches(items, 0)).toThrow(RangeError);
  });
});

describe('formatAsff', () => {
  let demoFindings: Record<string, unknown>[];

  beforeAll(async () => {
    const report = analyzeAccount(await readExportDirectory('examples/demo-account'), {
      settings: DEFAULT_SETTINGS,
      now: new Date('2025-06-03T00:00:00.000Z'),
    });
    demoFindings = JSON.parse(formatAsff(report, { region: 'us-east-1' }));
  });

  it('turns every finding of the demo account into a finding the API model accepts', () => {
    expect(demoFindings.length).toBeGreaterThan(10);
    const problems = demoFindings.flatMap((finding) =>
      asffProblems(finding).map((problem) => `${String(finding.Id)}: ${problem}`),
    );
    expect(problems).toEqual([]);
    expect(new Set(demoFindings.map((finding) => finding.Id)).size).toBe(demoFindings.length);
  });

  it('is a JSON array for batch-import-findings, with the stored lifecycle where given', () => {
    const report = aReport([aFinding(), aFinding({ id: 'f2', ruleId: 'role-unused' })]);
    const text = formatReport(report, 'asff', {
      color: false,
      asff: {
        region: 'eu-west-1',
        lifecycle: new Map([['f2', { status: 'suppressed' as const, firstSeenAt: FIRST_SEEN }]]),
      },
    });
    expect(text.endsWith(']\n')).toBe(true);
    const parsed = JSON.parse(text) as {
      GeneratorId: string;
      CreatedAt: string;
      Workflow: { Status: string };
    }[];
    expect(parsed.map((f) => [f.GeneratorId, f.CreatedAt, f.Workflow.Status])).toEqual([
      ['access-key-not-rotated', report.summary.evaluatedAt, 'NEW'],
      ['role-unused', FIRST_SEEN, 'SUPPRESSED'],
    ]);
  });

  it('needs the region to import into', () => {
    expect(() => formatReport(aReport([aFinding()]), 'asff', { color: false })).toThrow(AsffMappingError);
  });
});
