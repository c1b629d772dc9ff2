import { describe, expect, it } from 'vitest';
import { type Finding, findingId } from '../../../functions/core/finding';
import type { ServiceLastAccessed, Snapshot } from '../../../functions/core/model';
import { planRemediation } from '../../../functions/core/remediation/plan';
import type { RuleResult } from '../../../functions/core/rule';
import { unusedServicePermissions } from '../../../functions/core/rules/unused-service-permissions';
import { DEFAULT_SETTINGS } from '../../../functions/core/settings';
import {
  ACCOUNT,
  ADMIN,
  doc,
  inline,
  managed,
  POWER_USER,
  S3_FULL,
} from '../../fixtures/policies/principals';
import { aContext, aGroup, aRole, aUser, daysAgo, NOW } from '../../support/builders';

const now = NOW;
const ctx = aContext();
const run = (snapshot: Snapshot): RuleResult => unusedServicePermissions.evaluate(snapshot, ctx);

function failed(result: RuleResult) {
  if (result.status !== 'fail') throw new Error(`expected a failure, got ${JSON.stringify(result)}`);
  return result;
}

/** Service last accessed data: namespace -> days since last access (undefined: never). */
function accessed(
  services: Record<string, number | undefined>,
  generatedAt: Date = now,
): ServiceLastAccessed {
  return {
    generatedAt,
    services: Object.entries(services).map(([namespace, days]) =>
      days === undefined ? { namespace } : { namespace, lastAuthenticatedAt: daysAgo(days) },
    ),
  };
}

const SQS = managed('SqsAccess', doc({ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }), true);

describe('unused-service-permissions', () => {
  it('declares its threshold and mappings', () => {
    expect(unusedServicePermissions.meta).toMatchObject({
      id: 'unused-service-permissions',
      resourceKinds: ['role', 'user'],
      threshold: 'serviceUnusedDays',
      staleness: true,
      compliance: [
        { framework: 'owasp-nhi-2025', control: 'NHI5' },
        { framework: 'nist-csf-2.0', control: 'PR.AA-05' },
      ],
    });
  });

  it('is not applicable without service last accessed data', () => {
    expect(run(aRole({ name: 'app', managedPolicies: [S3_FULL] }))).toEqual({
      status: 'not-applicable',
      reason: 'no service last accessed data',
    });
  });

  it('gives identities younger than the window a grace period', () => {
    const young = aRole({
      name: 'new',
      createdAt: daysAgo(89),
      managedPolicies: [SQS],
      serviceLastAccessed: accessed({ sqs: undefined }),
    });
    expect(run(young)).toEqual({ status: 'not-applicable', reason: 'identity is younger than the window' });
    const old = aRole({
      name: 'old',
      createdAt: daysAgo(90),
      managedPolicies: [SQS],
      serviceLastAccessed: accessed({ sqs: undefined }),
    });
    expect(failed(run(old)).evidence.unusedServices).toEqual(['sqs']);
  });

  it.each([
    [89, 'pass'],
    [90, 'fail'],
    [365, 'fail'],
  ])('a service last used %i days ago is a %s at the 90-day threshold', (days, expected) => {
    const role = aRole({ name: 'app', managedPolicies: [SQS], serviceLastAccessed: accessed({ sqs: days }) });
    expect(run(role).status).toBe(expected);
  });

  it('measures idle time up to when the data was generated', () => {
    // Used 100 days before now, but the data is 30 days old: idle for 70 days when it was generated.
    const role = aRole({
      name: 'app',
      managedPolicies: [SQS],
      serviceLastAccessed: accessed({ sqs: 100 }, daysAgo(30)),
    });
    expect(run(role)).toEqual({ status: 'pass' });
  });

  it('ignores services the data lists but the policies do not grant', () => {
    const role = aRole({
      name: 'app',
      managedPolicies: [S3_FULL],
      serviceLastAccessed: accessed({ s3: 1, kms: undefined }),
    });
    expect(run(role)).toEqual({ status: 'pass' });
  });

  it('proposes detaching a managed policy whose every service is unused', () => {
    const role = aRole({
      name: 'worker',
      managedPolicies: [S3_FULL, SQS],
      serviceLastAccessed: accessed({ s3: 3, sqs: 200 }),
    });
    const result = failed(run(role));
    expect(result.reason).toBe('Role worker has permissions for 1 service it has not used in 90 days: sqs.');
    expect(result.evidence).toMatchObject({
      unusedServices: ['sqs'],
      usedServices: ['s3'],
      thresholdDays: 90,
      dataGeneratedAt: now.toISOString(),
      services: [
        {
          service: 'sqs',
          name: null,
          lastAuthenticatedAt: daysAgo(200).toISOString(),
          idleDays: 200,
          grantedBy: ['managed policy SqsAccess'],
        },
      ],
      removablePolicies: [{ type: 'managed', arn: SQS.arn, name: 'SqsAccess' }],
      remediationPlan: ['Detach managed policy SqsAccess (every service it grants is unused: sqs).'],
      narrowedPolicies: [],
    });
  });

  it('proposes a narrowed document for AdministratorAccess on a role that uses two services', () => {
    const role = aRole({
      name: 'etl',
      managedPolicies: [ADMIN],
      serviceLastAccessed: accessed({
        s3: 1,
        dynamodb: 10,
        ec2: undefined,
        lambda: 120,
        sqs: 91,
        sns: 300,
        kms: 400,
      }),
    });
    const result = failed(run(role));
    expect(result.reason).toBe(
      'Role etl has permissions for 5 services it has not used in 90 days: ec2, kms, lambda, sns, sqs.',
    );
    expect(result.evidence.removablePolicies).toEqual([]);
    expect(result.evidence.narrowedPolicies).toEqual([
      {
        policyType: 'managed',
        policyName: 'AdministratorAccess',
        policyArn: ADMIN.arn,
        removesServices: ['ec2', 'kms', 'lambda', 'sns', 'sqs'],
        document: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: ['dynamodb:*', 's3:*'], Resource: '*' }],
        },
        reviewByHand: [],
      },
    ]);
    expect(result.evidence.remediationPlan).toEqual([
      'Replace managed policy AdministratorAccess with the narrowed document proposed for it (drops ec2, kms, lambda, sns, sqs).',
    ]);
  });

  it('shortens a long list of services in the reason', () => {
    const role = aRole({
      name: 'idle-admin',
      managedPolicies: [ADMIN],
      serviceLastAccessed: accessed({
        a: undefined,
        b: undefined,
        c: undefined,
        d: undefined,
        e: undefined,
        f: undefined,
        g: undefined,
      }),
    });
    const result = failed(run(role));
    expect(result.reason).toBe(
      'Role idle-admin has permissions for 7 services it has not used in 90 days: a, b, c, d, e and 2 more.',
    );
    // Nothing is used at all: the whole policy can go.
    expect(result.evidence.removablePolicies).toEqual([
      { type: 'managed', arn: ADMIN.arn, name: 'AdministratorAccess' },
    ]);
  });

  it('narrows an inline policy action by action and keeps conditions and resources', () => {
    const role = aRole({
      name: 'api',
      inlinePolicies: [
        inline(
          'app',
          doc({
            Sid: 'App',
            Effect: 'Allow',
            Action: ['s3:GetObject', 'sqs:SendMessage', 'dynamodb:*', 'kinesis:PutRecord'],
            Resource: ['arn:aws:s3:::app/*', 'arn:aws:sqs:eu-west-1:111111111111:jobs'],
            Condition: { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } },
          }),
        ),
      ],
      serviceLastAccessed: accessed({ s3: 1, sqs: 95, dynamodb: 2 }),
    });
    const result = failed(run(role));
    expect(result.evidence.narrowedPolicies).toEqual([
      expect.objectContaining({
        policyType: 'inline',
        policyName: 'app',
        policyArn: null,
        removesServices: ['sqs'],
        document: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'App',
              Effect: 'Allow',
              // kinesis is not in the data: it is kept, never assumed unused.
              Action: ['s3:GetObject', 'dynamodb:*', 'kinesis:PutRecord'],
              Resource: ['arn:aws:s3:::app/*', 'arn:aws:sqs:eu-west-1:111111111111:jobs'],
              Condition: { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } },
            },
          ],
        },
      }),
    ]);
  });

  it('turns NotAction into the services still in use', () => {
    const role = aRole({
      name: 'power',
      managedPolicies: [POWER_USER],
      serviceLastAccessed: accessed({ s3: 1, ec2: 200, iam: 300 }),
    });
    const narrowed = failed(run(role)).evidence.narrowedPolicies as { document: { Statement: unknown[] } }[];
    expect(narrowed[0]!.document.Statement).toEqual([
      { Effect: 'Allow', Action: 's3:*', Resource: '*' },
      {
        Effect: 'Allow',
        Action: [
          'organizations:DescribeOrganization',
          'account:ListRegions',
          'account:GetAccountInformation',
        ],
        Resource: '*',
      },
    ]);
  });

  it('spells out a complete service partly excluded by NotAction, and flags others for review', () => {
    const role = aRole({
      name: 'broad',
      inlinePolicies: [
        inline(
          'broad',
          doc({ Effect: 'Allow', NotAction: ['iam:DeleteRole', 's3:DeleteBucket'], Resource: '*' }),
        ),
      ],
      serviceLastAccessed: accessed({ iam: 5, s3: 5, ec2: undefined }),
    });
    const [narrowed] = failed(run(role)).evidence.narrowedPolicies as {
      document: { Statement: { Action: string[] }[] };
      reviewByHand: string[];
    }[];
    const actions = narrowed!.document.Statement[0]!.Action;
    expect(actions).toContain('iam:CreateRole');
    expect(actions).toContain('iam:PassRole');
    expect(actions).not.toContain('iam:DeleteRole');
    expect(actions.some((a) => a.startsWith('ec2:') || a.startsWith('s3:'))).toBe(false);
    expect(narrowed!.reviewByHand).toEqual(['s3']);
  });

  it('does not propose removing a policy that also denies', () => {
    const role = aRole({
      name: 'guarded',
      inlinePolicies: [
        inline(
          'sqs-with-guard',
          doc(
            { Effect: 'Allow', Action: 'sqs:*', Resource: '*' },
            { Sid: 'NoPurge', Effect: 'Deny', Action: 's3:DeleteBucket', Resource: '*' },
          ),
        ),
      ],
      managedPolicies: [S3_FULL],
      serviceLastAccessed: accessed({ sqs: undefined, s3: 1 }),
    });
    const result = failed(run(role));
    expect(result.evidence.removablePolicies).toEqual([]);
    expect(result.evidence.narrowedPolicies).toEqual([
      expect.objectContaining({
        policyName: 'sqs-with-guard',
        document: {
          Version: '2012-10-17',
          Statement: [{ Sid: 'NoPurge', Effect: 'Deny', Action: 's3:DeleteBucket', Resource: '*' }],
        },
      }),
    ]);
  });

  it('points at the group when a user holds unused services through it', () => {
    const queues = aGroup({ name: 'queue-operators', managedPolicies: [SQS] });
    const user = aUser({
      name: 'svc-batch',
      groups: [queues],
      managedPolicies: [S3_FULL],
      serviceLastAccessed: accessed({ s3: 2, sqs: 150 }),
    });
    const result = failed(run(user));
    expect(result.evidence.removablePolicies).toEqual([]);
    expect(result.evidence.remediationPlan).toEqual([
      'Narrow the policies of group queue-operators or remove the user from it (grants unused: sqs).',
    ]);
    expect((result.evidence.services as { grantedBy: string[] }[])[0]!.grantedBy).toEqual([
      'managed policy SqsAccess (group queue-operators)',
    ]);
  });

  it('hands the removable policy to the remediation planner', () => {
    const role = aRole({
      name: 'worker',
      managedPolicies: [S3_FULL, SQS],
      serviceLastAccessed: accessed({ s3: 3, sqs: 200 }),
    });
    const result = failed(run(role));
    const finding: Finding = {
      id: findingId(ACCOUNT, 'unused-service-permissions', role.arn),
      ruleId: 'unused-service-permissions',
      title: unusedServicePermissions.meta.title,
      severity: 'medium',
      baseSeverity: 'medium',
      resourceType: 'role',
      resourceArn: role.arn,
      accountId: ACCOUNT,
      reason: result.reason,
      evidence: result.evidence,
      compliance: unusedServicePermissions.meta.compliance,
      remediation: unusedServicePermissions.meta.remediation,
      result: 'fail',
      riskScore: 0,
    };
    const plan = planRemediation(
      finding,
      { snapshot: role },
      {
        now,
        settings: DEFAULT_SETTINGS,
        protection: { protectedArns: [], breakGlassArns: [], ownArns: [] },
        rules: [unusedServicePermissions],
      },
    );
    expect(plan).toMatchObject({
      outcome: 'plan',
      steps: [{ action: 'detach-managed-policy', principalName: 'worker', policyArn: SQS.arn }],
    });
  });
});
