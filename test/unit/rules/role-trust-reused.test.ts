import { describe, expect, it } from 'vitest';
import type { RuleResult } from '../../../functions/core/rule';
import { roleTrustReused } from '../../../functions/core/rules/role-trust-reused';
import {
  ACCOUNT_ID,
  aContext,
  aRole,
  aTrustPolicy,
  EXTERNAL_ACCOUNT_ID,
  ORG_ACCOUNT_ID,
  oidcTrustStatement,
} from '../../support/builders';

const ctx = aContext();
const GITHUB = 'token.actions.githubusercontent.com';
const GITLAB = 'gitlab.com';
const EKS = 'oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';
const TFC = 'app.terraform.io';

const service = (...names: string[]) => ({ Principal: { Service: names.length === 1 ? names[0] : names } });
const aws = (...values: string[]) => ({ Principal: { AWS: values.length === 1 ? values[0] : values } });
const sub = (issuer: string, values: string | string[], operator = 'StringLike') =>
  oidcTrustStatement(issuer, { [operator]: { [`${issuer}:sub`]: values } });

function evaluate(...statements: Record<string, unknown>[]): RuleResult {
  return roleTrustReused.evaluate(aRole({ name: 'shared', trustPolicy: aTrustPolicy(...statements) }), ctx);
}

const workloads = (result: RuleResult) => (result.status === 'fail' ? result.evidence.workloads : []);

describe('role-trust-reused', () => {
  it.each<[string, Record<string, unknown>[], string[]]>([
    ['one service', [service('ec2.amazonaws.com')], []],
    [
      'two services',
      [service('ec2.amazonaws.com', 'lambda.amazonaws.com')],
      ['service ec2.amazonaws.com', 'service lambda.amazonaws.com'],
    ],
    [
      'two services in two statements',
      [service('ecs-tasks.amazonaws.com'), service('codebuild.amazonaws.com')],
      ['service ecs-tasks.amazonaws.com', 'service codebuild.amazonaws.com'],
    ],
    ['the same service twice', [service('lambda.amazonaws.com'), service('LAMBDA.amazonaws.com')], []],
    [
      'Lambda@Edge: lambda and edgelambda together',
      [service('lambda.amazonaws.com', 'edgelambda.amazonaws.com')],
      [],
    ],
    [
      'Lambda@Edge plus another service',
      [service('lambda.amazonaws.com', 'edgelambda.amazonaws.com', 'ec2.amazonaws.com')],
      ['services lambda.amazonaws.com + edgelambda.amazonaws.com (Lambda@Edge)', 'service ec2.amazonaws.com'],
    ],
    [
      'a service and another account',
      [service('ec2.amazonaws.com'), aws(`arn:aws:iam::${EXTERNAL_ACCOUNT_ID}:root`)],
      ['service ec2.amazonaws.com', `account ${EXTERNAL_ACCOUNT_ID}`],
    ],
    [
      'a service and two other accounts (one outside party)',
      [service('ec2.amazonaws.com'), aws(EXTERNAL_ACCOUNT_ID, `arn:aws:iam::${ORG_ACCOUNT_ID}:role/ci`)],
      ['service ec2.amazonaws.com', `accounts ${ORG_ACCOUNT_ID}, ${EXTERNAL_ACCOUNT_ID}`],
    ],
    ['two other accounts only', [aws(EXTERNAL_ACCOUNT_ID, ORG_ACCOUNT_ID)], []],
    [
      'a service and a role of the same account',
      [service('ec2.amazonaws.com'), aws(`arn:aws:iam::${ACCOUNT_ID}:role/admin`)],
      [],
    ],
    [
      'one repository, several branches',
      [sub(GITHUB, ['repo:acme/app:ref:refs/heads/main', 'repo:acme/app:environment:prod'])],
      [],
    ],
    [
      'two repositories in one condition',
      [sub(GITHUB, ['repo:acme/app:*', 'repo:acme/infra:*'])],
      [`${GITHUB} repository acme/app`, `${GITHUB} repository acme/infra`],
    ],
    [
      'two repositories in two statements',
      [sub(GITHUB, 'repo:acme/app:*'), sub(GITHUB, 'repo:other/tool:ref:refs/heads/main', 'StringEquals')],
      [`${GITHUB} repository acme/app`, `${GITHUB} repository other/tool`],
    ],
    [
      'a narrow condition ANDed with a wide one: the narrow one decides',
      [
        oidcTrustStatement(GITHUB, {
          StringLike: { [`${GITHUB}:sub`]: 'repo:acme/*' },
          StringEquals: { [`${GITHUB}:sub`]: 'repo:acme/app:ref:refs/heads/main' },
        }),
      ],
      [],
    ],
    [
      'a repository and a service',
      [sub(GITHUB, 'repo:acme/app:*'), service('ec2.amazonaws.com')],
      [`${GITHUB} repository acme/app`, 'service ec2.amazonaws.com'],
    ],
    [
      'an unscoped OIDC trust and another account',
      [oidcTrustStatement(GITHUB), aws(EXTERNAL_ACCOUNT_ID)],
      [`${GITHUB} (any subject)`, `account ${EXTERNAL_ACCOUNT_ID}`],
    ],
    [
      'two GitLab projects',
      [sub(GITLAB, ['project_path:grp/api:ref_type:branch:ref:main', 'project_path:grp/web:*'])],
      [`${GITLAB} project grp/api`, `${GITLAB} project grp/web`],
    ],
    [
      'two EKS namespaces',
      [
        sub(
          EKS,
          ['system:serviceaccount:payments:api', 'system:serviceaccount:billing:worker'],
          'StringEquals',
        ),
      ],
      [`${EKS} namespace payments`, `${EKS} namespace billing`],
    ],
    [
      'two service accounts of one EKS namespace',
      [
        sub(
          EKS,
          ['system:serviceaccount:payments:api', 'system:serviceaccount:payments:worker'],
          'StringEquals',
        ),
      ],
      [],
    ],
    [
      'two HCP Terraform workspaces',
      [
        sub(TFC, [
          'organization:acme:project:core:workspace:net:run_phase:*',
          'organization:acme:project:core:workspace:dns:run_phase:*',
        ]),
      ],
      [`${TFC} workspace acme/net`, `${TFC} workspace acme/dns`],
    ],
    ['a wide repository pattern alone (trust-oidc-unscoped’s finding)', [sub(GITHUB, 'repo:acme/*')], []],
    [
      'a Deny statement does not add a workload',
      [service('ec2.amazonaws.com'), { Effect: 'Deny', ...service('lambda.amazonaws.com') }],
      [],
    ],
  ])('%s', (_name, statements, expected) => {
    const result = evaluate(...statements);
    expect(result.status).toBe(expected.length === 0 ? 'pass' : 'fail');
    expect(workloads(result)).toEqual(expected);
  });

  it('names the workloads and statements in its reason and evidence', () => {
    const result = evaluate(
      { Sid: 'Compute', ...service('ec2.amazonaws.com') },
      { Sid: 'Partner', ...aws(`arn:aws:iam::${EXTERNAL_ACCOUNT_ID}:role/partner`) },
    );
    expect(result).toEqual({
      status: 'fail',
      reason: `Role shared is trusted by 2 different workloads (service ec2.amazonaws.com; account ${EXTERNAL_ACCOUNT_ID}) in statement 0 ("Compute"), statement 1 ("Partner").`,
      evidence: {
        workloads: ['service ec2.amazonaws.com', `account ${EXTERNAL_ACCOUNT_ID}`],
        workloadKinds: ['service', 'accounts'],
        statements: [
          { statementIndex: 0, sid: 'Compute' },
          { statementIndex: 1, sid: 'Partner' },
        ],
      },
    });
  });

  it('does not evaluate a service-linked role or an unreadable trust policy', () => {
    const linked = aRole({
      path: '/aws-service-role/x.amazonaws.com/',
      trustPolicy: aTrustPolicy(service('a.amazonaws.com', 'b.amazonaws.com')),
    });
    expect(roleTrustReused.evaluate(linked, ctx).status).toBe('not-applicable');
    expect(roleTrustReused.evaluate(aRole({ trustPolicy: undefined }), ctx).status).toBe('not-applicable');
  });
});
