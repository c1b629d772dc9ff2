import { describe, expect, it } from 'vitest';
import { actionKey, compilePolicy } from '../../functions/core/policy/compile';
import {
  ANY_RESOURCE,
  allowedActions,
  evaluateActions,
  evaluatePrincipal,
  principalPolicies,
} from '../../functions/core/policy/evaluate';
import {
  ADMIN,
  doc,
  IAM_FULL,
  inline,
  managed,
  POWER_USER,
  policyFixture,
  READ_ONLY,
  S3_FULL,
} from '../fixtures/policies/principals';
import { aGroup, aRole, aUser } from '../support/builders';

const BUCKET_OBJECT = 'arn:aws:s3:::reports/2024/q1.csv';

describe('evaluate: known policies', () => {
  it.each([
    // [policy, action, resource, decision]
    ['AdministratorAccess', ADMIN, 'iam:CreateUser', '*', 'allowed'],
    [
      'AdministratorAccess',
      ADMIN,
      'ec2:RunInstances',
      'arn:aws:ec2:eu-west-1:111111111111:instance/*',
      'allowed',
    ],
    ['AdministratorAccess', ADMIN, 'unknownservice:AnyAction', '*', 'allowed'],
    ['IAMFullAccess', IAM_FULL, 'iam:CreateUser', '*', 'allowed'],
    ['IAMFullAccess', IAM_FULL, 'iam:*', '*', 'allowed'],
    ['IAMFullAccess', IAM_FULL, 'organizations:DescribeOrganization', '*', 'allowed'],
    ['IAMFullAccess', IAM_FULL, 'organizations:LeaveOrganization', '*', 'implicit-deny'],
    ['IAMFullAccess', IAM_FULL, 's3:GetObject', BUCKET_OBJECT, 'implicit-deny'],
    ['PowerUserAccess', POWER_USER, 's3:GetObject', BUCKET_OBJECT, 'allowed'],
    ['PowerUserAccess', POWER_USER, 'lambda:UpdateFunctionCode', '*', 'allowed'],
    ['PowerUserAccess', POWER_USER, 'iam:CreateUser', '*', 'implicit-deny'],
    ['PowerUserAccess', POWER_USER, 'iam:PassRole', '*', 'implicit-deny'],
    ['PowerUserAccess', POWER_USER, 'iam:CreateServiceLinkedRole', '*', 'allowed'],
    ['PowerUserAccess', POWER_USER, 'organizations:ListAccounts', '*', 'implicit-deny'],
    ['PowerUserAccess', POWER_USER, 'account:ListRegions', '*', 'allowed'],
    ['PowerUserAccess', POWER_USER, 'iam:*', '*', 'implicit-deny'],
    ['PowerUserAccess', POWER_USER, '*', '*', 'implicit-deny'],
    ['ReadOnly-like', READ_ONLY, 'ec2:DescribeInstances', '*', 'allowed'],
    ['ReadOnly-like', READ_ONLY, 'ec2:RunInstances', '*', 'implicit-deny'],
    ['ReadOnly-like', READ_ONLY, 's3:PutObject', BUCKET_OBJECT, 'implicit-deny'],
    ['ReadOnly-like', READ_ONLY, 'iam:GetRole', '*', 'allowed'],
    ['ReadOnly-like', READ_ONLY, 'iam:PutRolePolicy', '*', 'implicit-deny'],
    ['s3:* on *', S3_FULL, 's3:PutObject', BUCKET_OBJECT, 'allowed'],
    ['s3:* on *', S3_FULL, 's3:*', '*', 'allowed'],
    ['s3:* on *', S3_FULL, '*', '*', 'implicit-deny'],
    ['s3:* on *', S3_FULL, 'sqs:SendMessage', '*', 'implicit-deny'],
  ])('%s: %s on %s is %s', (_name, policy, action, resource, expected) => {
    const role = aRole({ name: 'subject', managedPolicies: [policy] });
    expect(evaluatePrincipal(role, action, resource).decision).toBe(expected);
  });

  it('names the granting statement', () => {
    const d = evaluatePrincipal(aRole({ name: 'subject', managedPolicies: [POWER_USER] }), 'iam:ListRoles');
    expect(d.statements).toEqual([
      {
        policyType: 'managed',
        policyName: 'PowerUserAccess',
        policyArn: 'arn:aws:iam::aws:policy/PowerUserAccess',
        statementIndex: 1,
        effect: 'Allow',
        conditional: false,
      },
    ]);
  });
});

describe('evaluate: actions', () => {
  it('compares service and action names case-insensitively', () => {
    const role = aRole({
      name: 'subject',
      inlinePolicies: [inline('mixed', doc({ Effect: 'Allow', Action: 'IAM:getRole', Resource: '*' }))],
    });
    expect(evaluatePrincipal(role, 'iam:GetRole').decision).toBe('allowed');
    expect(evaluatePrincipal(role, 'Iam:GETROLE').decision).toBe('allowed');
    expect(evaluatePrincipal(role, 'iam:GetRolePolicy').decision).toBe('implicit-deny');
  });

  it('supports * and ? wildcards in actions', () => {
    const role = aRole({
      name: 'subject',
      inlinePolicies: [
        inline('wild', doc({ Effect: 'Allow', Action: ['s3:Get*', 'sqs:?eleteMessage'], Resource: '*' })),
      ],
    });
    expect(evaluatePrincipal(role, 's3:GetObject').decision).toBe('allowed');
    expect(evaluatePrincipal(role, 's3:PutObject').decision).toBe('implicit-deny');
    expect(evaluatePrincipal(role, 'sqs:DeleteMessage').decision).toBe('allowed');
    expect(evaluatePrincipal(role, 'sqs:DeleteMessageBatch').decision).toBe('implicit-deny');
    // An action pattern is answered for every action it denotes: s3:Get* is not all of s3.
    expect(evaluatePrincipal(role, 's3:Get*').decision).toBe('allowed');
    expect(evaluatePrincipal(role, 's3:*').decision).toBe('implicit-deny');
  });

  it('answers which actions of a list are allowed', () => {
    const policies = principalPolicies(aRole({ name: 'subject', managedPolicies: [POWER_USER] }));
    expect(
      allowedActions(policies, ['s3:GetObject', 'iam:CreateUser', 'lambda:CreateFunction', 'iam:ListRoles']),
    ).toEqual(['s3:GetObject', 'lambda:CreateFunction', 'iam:ListRoles']);
    const all = evaluateActions(policies, ['iam:PassRole', 'ec2:RunInstances']);
    expect([...all.entries()].map(([a, d]) => [a, d.decision])).toEqual([
      ['iam:PassRole', 'implicit-deny'],
      ['ec2:RunInstances', 'allowed'],
    ]);
  });
});

describe('evaluate: deny, boundary, groups', () => {
  it('lets an explicit deny win over allow-all', () => {
    const role = aRole({
      name: 'subject',
      managedPolicies: [ADMIN],
      inlinePolicies: [inline('iam-posture-quarantine', policyFixture('deny-all'))],
    });
    const d = evaluatePrincipal(role, 's3:GetObject', BUCKET_OBJECT);
    expect(d.decision).toBe('denied');
    expect(d.statements).toEqual([
      expect.objectContaining({
        policyName: 'iam-posture-quarantine',
        sid: 'IamPostureQuarantine',
        effect: 'Deny',
      }),
    ]);
    expect(evaluatePrincipal(role, '*').decision).toBe('denied');
  });

  it('allows only what both the identity policies and the permissions boundary allow', () => {
    const boundary = managed('DeveloperBoundary', policyFixture('boundary-s3-only'), true);
    const role = aRole({ name: 'subject', managedPolicies: [ADMIN], permissionsBoundary: boundary });
    const s3 = evaluatePrincipal(role, 's3:PutObject', BUCKET_OBJECT);
    expect(s3.decision).toBe('allowed');
    expect(s3.statements.map((s) => [s.policyName, s.boundary ?? false])).toEqual([
      ['AdministratorAccess', false],
      ['DeveloperBoundary', true],
    ]);
    const iam = evaluatePrincipal(role, 'iam:CreateUser');
    expect(iam).toMatchObject({ decision: 'implicit-deny', blockedByBoundary: true });
    // The boundary grants nothing by itself.
    const bare = aRole({ name: 'bare', permissionsBoundary: boundary });
    expect(evaluatePrincipal(bare, 's3:PutObject', BUCKET_OBJECT).decision).toBe('implicit-deny');
  });

  it('includes the policies of a user’s groups', () => {
    const admins = aGroup({ name: 'Admins', managedPolicies: [ADMIN] });
    const user = aUser({ name: 'alice', groups: [admins] });
    const d = evaluatePrincipal(user, 'iam:CreateAccessKey', 'arn:aws:iam::111111111111:user/bob');
    expect(d.decision).toBe('allowed');
    expect(d.statements[0]).toMatchObject({ policyName: 'AdministratorAccess', group: 'Admins' });
    expect(evaluatePrincipal(aUser({ name: 'carol' }), 'iam:CreateAccessKey').decision).toBe('implicit-deny');
  });

  it('reports managed policies whose document could not be read', () => {
    const role = aRole({
      name: 'subject',
      managedPolicies: [managed('Unreadable', undefined, true), S3_FULL],
    });
    expect(principalPolicies(role).unreadable).toEqual([
      { type: 'managed', name: 'Unreadable', arn: 'arn:aws:iam::111111111111:policy/Unreadable' },
    ]);
    expect(evaluatePrincipal(role, 's3:GetObject', BUCKET_OBJECT).decision).toBe('allowed');
  });
});

describe('evaluate: conditions', () => {
  it('reports an allow that depends on a condition as conditional, not allowed', () => {
    const mfa = aRole({
      name: 'subject',
      managedPolicies: [managed('AdminWithMfa', policyFixture('conditional-admin-mfa'), true)],
    });
    const d = evaluatePrincipal(mfa, 'iam:CreateUser');
    expect(d.decision).toBe('conditional');
    expect(d.statements).toEqual([expect.objectContaining({ sid: 'AdminWithMfa', conditional: true })]);
    const timeBound = aRole({
      name: 'subject',
      managedPolicies: [managed('BreakGlass', policyFixture('time-bound-admin'), true)],
    });
    expect(evaluatePrincipal(timeBound, 's3:GetObject', BUCKET_OBJECT).decision).toBe('conditional');
  });

  it('prefers an unconditional grant and lists only it', () => {
    const role = aRole({
      name: 'subject',
      managedPolicies: [S3_FULL, managed('AdminWithMfa', policyFixture('conditional-admin-mfa'), true)],
    });
    const d = evaluatePrincipal(role, 's3:GetObject', BUCKET_OBJECT);
    expect(d.decision).toBe('allowed');
    expect(d.statements.map((s) => s.policyName)).toEqual(['AmazonS3FullAccess']);
  });

  it('reports a conditional deny without removing an unconditional allow', () => {
    const role = aRole({
      name: 'subject',
      managedPolicies: [ADMIN, managed('EuOnly', policyFixture('conditional-deny-outside-regions'), true)],
    });
    const ec2 = evaluatePrincipal(role, 'ec2:RunInstances');
    expect(ec2.decision).toBe('allowed');
    expect(ec2.conditionalDenies).toEqual([
      expect.objectContaining({ sid: 'DenyOutsideEu', effect: 'Deny' }),
    ]);
    // NotAction excludes IAM from the regional deny.
    expect(evaluatePrincipal(role, 'iam:CreateUser').conditionalDenies).toEqual([]);
  });

  it('treats a request-dependent policy variable as a condition', () => {
    const role = aRole({
      name: 'subject',
      inlinePolicies: [
        inline(
          'by-source-identity',
          doc({
            Effect: 'Allow',
            Action: 's3:GetObject',
            // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable
            Resource: 'arn:aws:s3:::shared/${aws:SourceIdentity}/*',
          }),
        ),
      ],
    });
    expect(evaluatePrincipal(role, 's3:GetObject', 'arn:aws:s3:::shared/alice/report.csv').decision).toBe(
      'conditional',
    );
  });
});

describe('evaluate: resources', () => {
  it('honours NotResource in an Allow', () => {
    const role = aRole({
      name: 'subject',
      inlinePolicies: [inline('buckets', policyFixture('not-resource-s3'))],
    });
    expect(evaluatePrincipal(role, 's3:GetObject', BUCKET_OBJECT).decision).toBe('allowed');
    expect(evaluatePrincipal(role, 's3:GetObject', 'arn:aws:s3:::payroll/salaries.csv').decision).toBe(
      'implicit-deny',
    );
    // Not every resource, but at least one.
    expect(evaluatePrincipal(role, 's3:GetObject', '*').decision).toBe('implicit-deny');
    expect(evaluatePrincipal(role, 's3:GetObject', ANY_RESOURCE).decision).toBe('allowed');
  });

  it('honours NotResource in a Deny', () => {
    const role = aRole({
      name: 'subject',
      inlinePolicies: [inline('only-data', policyFixture('deny-not-resource'))],
    });
    expect(evaluatePrincipal(role, 's3:GetObject', 'arn:aws:s3:::data/a.csv').decision).toBe('allowed');
    const other = evaluatePrincipal(role, 's3:GetObject', 'arn:aws:s3:::other/a.csv');
    expect(other.decision).toBe('denied');
    expect(other.statements).toEqual([expect.objectContaining({ sid: 'OnlyTheDataBucket' })]);
  });

  it('answers `*` as every resource: a deny on one resource does not change it, that resource is denied', () => {
    const role = aRole({
      name: 'subject',
      managedPolicies: [S3_FULL],
      inlinePolicies: [
        inline('protect', doc({ Effect: 'Deny', Action: 's3:*', Resource: 'arn:aws:s3:::payroll/*' })),
      ],
    });
    expect(evaluatePrincipal(role, 's3:GetObject', '*').decision).toBe('allowed');
    expect(evaluatePrincipal(role, 's3:GetObject', 'arn:aws:s3:::payroll/x').decision).toBe('denied');
    // A grant limited to one bucket is not a grant on every resource, but is on some.
    const scoped = aRole({
      name: 'scoped',
      inlinePolicies: [
        inline('one', doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::reports/*' })),
      ],
    });
    expect(evaluatePrincipal(scoped, 's3:GetObject', '*').decision).toBe('implicit-deny');
    expect(evaluatePrincipal(scoped, 's3:GetObject', ANY_RESOURCE).decision).toBe('allowed');
    expect(evaluatePrincipal(scoped, 's3:GetObject', BUCKET_OBJECT).decision).toBe('allowed');
  });

  it('kills an "any resource" grant only when a deny covers every granted resource', () => {
    const role = aRole({
      name: 'subject',
      inlinePolicies: [
        inline(
          'p',
          doc(
            { Effect: 'Allow', Action: 'iam:PassRole', Resource: 'arn:aws:iam::111111111111:role/app-*' },
            { Effect: 'Deny', Action: 'iam:PassRole', Resource: 'arn:aws:iam::111111111111:role/*' },
          ),
        ),
      ],
    });
    expect(evaluatePrincipal(role, 'iam:PassRole', ANY_RESOURCE).decision).toBe('denied');
  });

  it('substitutes principal variables: the user name and principal tags', () => {
    const own = aUser({
      name: 'alice',
      managedPolicies: [managed('SelfService', policyFixture('manage-own-credentials'), true)],
    });
    expect(
      evaluatePrincipal(own, 'iam:CreateAccessKey', 'arn:aws:iam::111111111111:user/alice').decision,
    ).toBe('allowed');
    expect(evaluatePrincipal(own, 'iam:CreateAccessKey', 'arn:aws:iam::111111111111:user/bob').decision).toBe(
      'implicit-deny',
    );
    // A role has no user name: the statement matches nothing.
    const role = aRole({
      name: 'subject',
      managedPolicies: [managed('SelfService', policyFixture('manage-own-credentials'), true)],
    });
    expect(evaluatePrincipal(role, 'iam:CreateAccessKey', ANY_RESOURCE).decision).toBe('implicit-deny');

    const tagged = aRole({
      name: 'team-role',
      tags: { Team: 'blue' },
      inlinePolicies: [
        inline(
          'team-bucket',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable
          doc({ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::team-${aws:PrincipalTag/team}/*' }),
        ),
      ],
    });
    expect(evaluatePrincipal(tagged, 's3:GetObject', 'arn:aws:s3:::team-blue/x').decision).toBe('allowed');
    expect(evaluatePrincipal(tagged, 's3:GetObject', 'arn:aws:s3:::team-red/x').decision).toBe(
      'implicit-deny',
    );
  });
});

describe('compilation', () => {
  it('compiles a document once and shares it between principals', () => {
    const document = policyFixture('s3-full-access');
    expect(compilePolicy(document)).toBe(compilePolicy(document));
    const shared = managed('Shared', document, true);
    const a = principalPolicies(aRole({ name: 'a', managedPolicies: [shared] }));
    const b = principalPolicies(aRole({ name: 'b', managedPolicies: [shared] }));
    expect(a.identity[0]!.policy).toBe(b.identity[0]!.policy);
    expect(principalPolicies(a.principal)).toBe(a);
  });

  it('memoizes the statements that apply to an action', () => {
    const policy = compilePolicy(policyFixture('power-user-access'));
    const first = policy.statementsFor(actionKey('sqs:SendMessage'));
    expect(first.map((s) => s.statement.index)).toEqual([0]);
    expect(policy.statementsFor(actionKey('SQS:sendmessage'))).toBe(first);
    expect(policy.statementsFor(actionKey('iam:ListRoles')).map((s) => s.statement.index)).toEqual([1]);
  });
});
