import { describe, expect, it } from 'vitest';
import { type Finding, findingId } from '../../../functions/core/finding';
import type { Snapshot } from '../../../functions/core/model';
import { planRemediation } from '../../../functions/core/remediation/plan';
import type { RuleResult } from '../../../functions/core/rule';
import { standingAdmin } from '../../../functions/core/rules/standing-admin';
import { DEFAULT_SETTINGS } from '../../../functions/core/settings';
import {
  ACCOUNT,
  ADMIN,
  doc,
  IAM_FULL,
  inline,
  managed,
  POWER_USER,
  policyFixture,
  READ_ONLY,
} from '../../fixtures/policies/principals';
import { aContext, aGroup, aRole, aUser, daysAgo, NOW, theRootUser } from '../../support/builders';

const now = NOW;
const ctx = aContext();
const run = (snapshot: Snapshot): RuleResult => standingAdmin.evaluate(snapshot, ctx);

function failed(result: RuleResult) {
  if (result.status !== 'fail') throw new Error(`expected a failure, got ${JSON.stringify(result)}`);
  return result;
}

describe('standing-admin', () => {
  it('declares its kinds and compliance mappings', () => {
    expect(standingAdmin.meta.id).toBe('standing-admin');
    expect(standingAdmin.meta.resourceKinds).toEqual(['role', 'user', 'group']);
    expect(standingAdmin.meta.compliance).toEqual([
      { framework: 'owasp-nhi-2025', control: 'NHI5' },
      { framework: 'cis-aws-3.0', control: '1.16' },
      { framework: 'aws-fsbp', control: 'IAM.1' },
      { framework: 'nist-csf-2.0', control: 'PR.AA-05' },
    ]);
    expect(standingAdmin.meta.remediation.action).toBe('detach-managed-policy');
  });

  it('fails a role holding AdministratorAccess and proposes detaching it', () => {
    const result = failed(run(aRole({ name: 'deployer', managedPolicies: [ADMIN, READ_ONLY] })));
    expect(result.reason).toBe(
      'Role deployer holds administrator-equivalent permissions (full access, `*` on `*`) through policy AdministratorAccess.',
    );
    expect(result.evidence).toMatchObject({
      basis: 'full-access',
      grantingPolicies: ['policy AdministratorAccess'],
      viaGroups: [],
      selfGrant: null,
      removablePolicies: [
        { type: 'managed', arn: 'arn:aws:iam::aws:policy/AdministratorAccess', name: 'AdministratorAccess' },
      ],
    });
    expect(result.evidence.statements).toEqual([
      expect.objectContaining({ policyName: 'AdministratorAccess', statementIndex: 0, effect: 'Allow' }),
    ]);
  });

  it('fails full IAM access and an inline grant, proposing to delete the inline policy', () => {
    const result = failed(
      run(
        aRole({
          name: 'ops',
          inlinePolicies: [inline('ops-iam', doc({ Effect: 'Allow', Action: 'iam:*', Resource: '*' }))],
        }),
      ),
    );
    expect(result.evidence.basis).toBe('iam-full-access');
    expect(result.evidence.removablePolicies).toEqual([{ type: 'inline', name: 'ops-iam' }]);
    expect(failed(run(aRole({ name: 'iam-admin', managedPolicies: [IAM_FULL] }))).evidence.basis).toBe(
      'iam-full-access',
    );
  });

  it('proposes removing only the policies that grant the admin access', () => {
    const role = aRole({
      name: 'ops',
      inlinePolicies: [
        inline('ops-iam', doc({ Effect: 'Allow', Action: 'iam:*', Resource: '*' })),
        inline('pass-any-role', doc({ Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' })),
      ],
    });
    const result = failed(run(role));
    expect(result.evidence.removablePolicies).toEqual([{ type: 'inline', name: 'ops-iam' }]);
    expect(result.evidence.grantingPolicies).toEqual(['inline policy ops-iam']);
  });

  it('fails a user who is admin through a group, with nothing removable on the user', () => {
    const admins = aGroup({ name: 'Admins', managedPolicies: [ADMIN] });
    const result = failed(run(aUser({ name: 'alice', groups: [admins] })));
    expect(result.reason).toBe(
      'User alice holds administrator-equivalent permissions (full access, `*` on `*`) through group Admins (policy AdministratorAccess).',
    );
    expect(result.evidence.viaGroups).toEqual(['Admins']);
    expect(result.evidence.removablePolicies).toEqual([]);
    // The group itself is reported too.
    expect(failed(run(admins)).reason).toBe(
      'Group Admins holds administrator-equivalent permissions (full access, `*` on `*`) through policy AdministratorAccess.',
    );
  });

  it('fails an identity that can grant itself any policy', () => {
    const arn = `arn:aws:iam::${ACCOUNT}:role/ci`;
    const result = failed(
      run(
        aRole({
          name: 'ci',
          inlinePolicies: [
            inline('self', doc({ Effect: 'Allow', Action: 'iam:PutRolePolicy', Resource: arn })),
          ],
        }),
      ),
    );
    expect(result.evidence).toMatchObject({
      basis: 'self-grant',
      selfGrant: `iam:PutRolePolicy on ${arn}`,
      removablePolicies: [{ type: 'inline', name: 'self' }],
    });
  });

  it.each([
    ['PowerUserAccess', () => aRole({ name: 'power', managedPolicies: [POWER_USER] })],
    ['ReadOnly-like', () => aRole({ name: 'reader', managedPolicies: [READ_ONLY] })],
    [
      'admin only with MFA',
      () =>
        aRole({
          name: 'mfa',
          managedPolicies: [managed('Mfa', policyFixture('conditional-admin-mfa'), true)],
        }),
    ],
    [
      'time-bound admin',
      () =>
        aRole({ name: 'jit', managedPolicies: [managed('Jit', policyFixture('time-bound-admin'), true)] }),
    ],
    [
      'admin capped by a permissions boundary',
      () =>
        aRole({
          name: 'capped',
          managedPolicies: [ADMIN],
          permissionsBoundary: managed('Cap', policyFixture('boundary-s3-only'), true),
        }),
    ],
    [
      'admin with a deny-all quarantine',
      () =>
        aRole({
          name: 'quarantined',
          managedPolicies: [ADMIN],
          inlinePolicies: [inline('q', policyFixture('deny-all'))],
        }),
    ],
  ])('passes %s', (_name, build) => {
    expect(run(build())).toEqual({ status: 'pass' });
  });

  it('does not evaluate the root user or service-linked roles', () => {
    expect(run(theRootUser()).status).toBe('not-applicable');
    expect(
      run(
        aRole({
          name: 'AWSServiceRoleForSupport',
          path: '/aws-service-role/support.amazonaws.com/',
          managedPolicies: [ADMIN],
        }),
      ),
    ).toEqual({
      status: 'not-applicable',
      reason: 'service-linked role (managed by AWS)',
    });
  });

  it('gives the remediation planner the policy to detach on an unused role', () => {
    const role = aRole({
      name: 'dormant',
      managedPolicies: [ADMIN],
      lastUsedAt: daysAgo(200),
    });
    const result = failed(run(role));
    const finding: Finding = {
      id: findingId(ACCOUNT, 'standing-admin', role.arn),
      ruleId: 'standing-admin',
      title: standingAdmin.meta.title,
      severity: 'high',
      baseSeverity: 'high',
      resourceType: 'role',
      resourceArn: role.arn,
      accountId: ACCOUNT,
      reason: result.reason,
      evidence: result.evidence,
      compliance: standingAdmin.meta.compliance,
      remediation: standingAdmin.meta.remediation,
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
        rules: [standingAdmin],
      },
    );
    expect(plan).toMatchObject({
      outcome: 'plan',
      steps: [
        {
          action: 'detach-managed-policy',
          principalType: 'role',
          principalName: 'dormant',
          policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
        },
      ],
    });
  });
});
