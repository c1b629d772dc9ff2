import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../../functions/core/model';
import type { RuleResult } from '../../../functions/core/rule';
import { privilegeEscalation } from '../../../functions/core/rules/privilege-escalation';
import {
  ACCOUNT,
  ADMIN,
  doc,
  inline,
  managed,
  POWER_USER,
  policyFixture,
  READ_ONLY,
} from '../../fixtures/policies/principals';
import { aContext, aGroup, aRole, aUser, theRootUser } from '../../support/builders';

const ctx = aContext();
const run = (snapshot: Snapshot): RuleResult => privilegeEscalation.evaluate(snapshot, ctx);

function failed(result: RuleResult) {
  if (result.status !== 'fail') throw new Error(`expected a failure, got ${JSON.stringify(result)}`);
  return result;
}

const passAndLambda = inline(
  'deploy-functions',
  doc(
    { Sid: 'PassAnyRole', Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' },
    {
      Sid: 'ManageFunctions',
      Effect: 'Allow',
      Action: ['lambda:CreateFunction', 'lambda:InvokeFunction'],
      Resource: '*',
    },
  ),
);

describe('privilege-escalation', () => {
  it('declares its metadata', () => {
    expect(privilegeEscalation.meta.id).toBe('privilege-escalation');
    expect(privilegeEscalation.meta.severity).toBe('high');
    expect(privilegeEscalation.meta.compliance).toEqual([
      { framework: 'owasp-nhi-2025', control: 'NHI5' },
      { framework: 'nist-csf-2.0', control: 'PR.AA-05' },
    ]);
  });

  it('fails iam:PassRole with lambda:CreateFunction and names the path and the granting statements', () => {
    const result = failed(run(aRole({ name: 'ci', inlinePolicies: [passAndLambda] })));
    expect(result.severity).toBeUndefined();
    expect(result.reason).toBe(
      'Role ci can escalate its privileges: Pass a role to a new Lambda function and run it (iam-passrole-lambda).',
    );
    expect(result.evidence.pathIds).toEqual(['iam-passrole-lambda']);
    expect(result.evidence.paths).toEqual([
      {
        id: 'iam-passrole-lambda',
        title: 'Pass a role to a new Lambda function and run it',
        category: 'new-passrole',
        status: 'open',
        source: 'https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/',
        permissions: [
          {
            action: 'iam:PassRole',
            on: 'others',
            decision: 'allowed',
            statements: [
              {
                policyType: 'inline',
                policyName: 'deploy-functions',
                statementIndex: 0,
                sid: 'PassAnyRole',
                effect: 'Allow',
                conditional: false,
              },
            ],
            conditionalDenies: [],
          },
          {
            action: 'lambda:CreateFunction',
            on: 'any',
            decision: 'allowed',
            statements: [expect.objectContaining({ sid: 'ManageFunctions', statementIndex: 1 })],
            conditionalDenies: [],
          },
          {
            action: 'lambda:InvokeFunction',
            on: 'any',
            decision: 'allowed',
            statements: [expect.objectContaining({ sid: 'ManageFunctions' })],
            conditionalDenies: [],
          },
        ],
      },
    ]);
  });

  it('passes a near miss: iam:PassRole alone', () => {
    const role = aRole({
      name: 'passer',
      inlinePolicies: [inline('pass', doc({ Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' }))],
    });
    expect(run(role)).toEqual({ status: 'pass' });
  });

  it('passes a user that manages only its own keys and password', () => {
    const user = aUser({
      name: 'alice',
      managedPolicies: [managed('SelfService', policyFixture('manage-own-credentials'), true)],
    });
    expect(run(user)).toEqual({ status: 'pass' });
  });

  it('fails PowerUserAccess on the existing-workload paths', () => {
    const result = failed(run(aRole({ name: 'power', managedPolicies: [POWER_USER] })));
    expect(result.reason).toBe(
      'Role power can escalate its privileges: Replace the code of an existing Lambda function (lambda-update-function-code) and 6 more paths.',
    );
    expect(result.evidence.pathIds).toContain('ssm-send-command');
    expect(result.evidence.pathIds).not.toContain('iam-passrole-lambda');
  });

  it('fails a user through its group’s policies', () => {
    const devs = aGroup({ name: 'devs', inlinePolicies: [passAndLambda] });
    const result = failed(run(aUser({ name: 'bob', groups: [devs] })));
    const permissions = (
      result.evidence.paths as { permissions: { statements: { group?: string }[] }[] }[]
    )[0]!.permissions;
    expect(permissions[0]!.statements[0]!.group).toBe('devs');
  });

  it('reports a path open only under a condition at medium severity', () => {
    const role = aRole({
      name: 'scoped',
      inlinePolicies: [
        inline(
          'scoped',
          doc(
            {
              Effect: 'Allow',
              Action: 'iam:PassRole',
              Resource: '*',
              Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
            },
            { Effect: 'Allow', Action: 'ec2:RunInstances', Resource: '*' },
          ),
        ),
      ],
    });
    const result = failed(run(role));
    expect(result.severity).toBe('medium');
    expect(result.reason).toBe(
      'Role scoped can escalate its privileges under conditions: Pass a role to a new EC2 instance (iam-passrole-ec2).',
    );
    expect(result.evidence.conditionalPathIds).toEqual(['iam-passrole-ec2']);
  });

  it('leaves identities that hold full access to standing-admin', () => {
    expect(run(aRole({ name: 'admin', managedPolicies: [ADMIN] }))).toEqual({
      status: 'not-applicable',
      reason: 'holds full access already; reported by standing-admin',
    });
  });

  it('reports the self-grant path of an identity that is admin-equivalent through it', () => {
    const arn = `arn:aws:iam::${ACCOUNT}:role/ci`;
    const role = aRole({
      name: 'ci',
      inlinePolicies: [
        inline('self', doc({ Effect: 'Allow', Action: 'iam:AttachRolePolicy', Resource: arn })),
      ],
    });
    expect(failed(run(role)).evidence.pathIds).toEqual(['iam-attach-role-policy']);
  });

  it('passes read-only identities and skips the root user', () => {
    expect(run(aRole({ name: 'reader', managedPolicies: [READ_ONLY] }))).toEqual({ status: 'pass' });
    expect(run(theRootUser()).status).toBe('not-applicable');
  });
});
