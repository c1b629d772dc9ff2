import { describe, expect, it } from 'vitest';
import { secretPolicyPublic } from '../../../functions/core/rules/secret-policy-public';
import {
  ACCOUNT_ID,
  aContext,
  aSecret,
  aSecretWithPolicy,
  EXTERNAL_ACCOUNT_ID,
  ORG_ACCOUNT_ID,
  ORG_ID,
} from '../../support/builders';

const ctx = aContext();
type Statement = Record<string, unknown>;
const read = (principal: unknown, extra: Statement = {}): Statement => ({
  Effect: 'Allow',
  Principal: principal,
  Action: 'secretsmanager:GetSecretValue',
  Resource: '*',
  ...extra,
});
const orgGuardrail: Statement = {
  Effect: 'Deny',
  Principal: '*',
  Action: 'secretsmanager:*',
  Resource: '*',
  Condition: { StringNotEquals: { 'aws:PrincipalOrgID': ORG_ID } },
};

type Row = [string, 'pass' | 'fail', 'critical' | 'high' | undefined, Statement[]];

describe('secret-policy-public', () => {
  it.each<Row>([
    ['Principal "*" reading the value', 'fail', 'critical', [read('*')]],
    ['Principal {"AWS": "*"}', 'fail', 'critical', [read({ AWS: '*' })]],
    [
      'Allow with NotPrincipal',
      'fail',
      'critical',
      [
        {
          ...read(undefined),
          Principal: undefined,
          NotPrincipal: { AWS: `arn:aws:iam::${ACCOUNT_ID}:root` },
        },
      ],
    ],
    ['Principal "*" with secretsmanager:*', 'fail', 'critical', [read('*', { Action: 'secretsmanager:*' })]],
    [
      'Principal "*" with secretsmanager:Get*',
      'fail',
      'critical',
      [read('*', { Action: 'secretsmanager:Get*' })],
    ],
    [
      'Principal "*" allowed to rewrite the policy',
      'fail',
      'critical',
      [read('*', { Action: 'secretsmanager:PutResourcePolicy' })],
    ],
    [
      'Principal "*" allowed only to describe',
      'fail',
      'high',
      [read('*', { Action: 'secretsmanager:DescribeSecret' })],
    ],
    [
      'an external account reading the value',
      'fail',
      'high',
      [read({ AWS: `arn:aws:iam::${EXTERNAL_ACCOUNT_ID}:root` })],
    ],
    ['an external role', 'fail', 'high', [read({ AWS: `arn:aws:iam::${EXTERNAL_ACCOUNT_ID}:role/partner` })]],
    [
      'a wildcard narrowed to an external account',
      'fail',
      'high',
      [read('*', { Condition: { StringEquals: { 'aws:PrincipalAccount': EXTERNAL_ACCOUNT_ID } } })],
    ],
    [
      'a wildcard narrowed to another organization',
      'fail',
      'high',
      [read('*', { Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-otherorg123' } } })],
    ],
    // Compliant
    ['the scanned account', 'pass', undefined, [read({ AWS: `arn:aws:iam::${ACCOUNT_ID}:role/app` })]],
    ['an organization account', 'pass', undefined, [read({ AWS: ORG_ACCOUNT_ID })]],
    ['a service principal', 'pass', undefined, [read({ Service: 'lambda.amazonaws.com' })]],
    ['a Deny for everyone', 'pass', undefined, [{ ...read('*'), Effect: 'Deny' }]],
    [
      '"*" with aws:PrincipalOrgID = ours',
      'pass',
      undefined,
      [read('*', { Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG_ID } } })],
    ],
    [
      '"*" with aws:PrincipalOrgPaths under ours',
      'pass',
      undefined,
      [
        read('*', {
          Condition: {
            'ForAnyValue:StringLike': { 'aws:PrincipalOrgPaths': `${ORG_ID}/r-ab12/ou-ab12-11111111/*` },
          },
        }),
      ],
    ],
    [
      '"*" with aws:PrincipalAccount = ours',
      'pass',
      undefined,
      [read('*', { Condition: { StringEquals: { 'aws:PrincipalAccount': ACCOUNT_ID } } })],
    ],
    [
      '"*" with aws:SourceAccount = ours',
      'pass',
      undefined,
      [read('*', { Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT_ID } } })],
    ],
    [
      '"*" with aws:PrincipalArn in our account',
      'pass',
      undefined,
      [
        read('*', {
          Condition: { ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${ACCOUNT_ID}:role/app-*` } },
        }),
      ],
    ],
    [
      '"*" with aws:SourceArn of our account',
      'pass',
      undefined,
      [
        read('*', {
          Condition: { ArnEquals: { 'aws:SourceArn': `arn:aws:lambda:eu-west-1:${ACCOUNT_ID}:function:x` } },
        }),
      ],
    ],
    [
      '"*" through a VPC endpoint',
      'pass',
      undefined,
      [read('*', { Condition: { StringEquals: { 'aws:SourceVpce': 'vpce-0123456789abcdef0' } } })],
    ],
    [
      '"*" from a VPC',
      'pass',
      undefined,
      [read('*', { Condition: { StringEquals: { 'aws:SourceVpc': 'vpc-0123456789abcdef0' } } })],
    ],
    [
      '"*" from a bounded network',
      'pass',
      undefined,
      [read('*', { Condition: { IpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '198.51.100.7'] } } })],
    ],
    [
      'an external account with aws:PrincipalOrgID = ours',
      'pass',
      undefined,
      [read({ AWS: EXTERNAL_ACCOUNT_ID }, { Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG_ID } } })],
    ],
    ['"*" closed by a deny guardrail', 'pass', undefined, [read('*'), orgGuardrail]],
    [
      '"*" closed by a deny guardrail with IfExists',
      'pass',
      undefined,
      [
        read('*'),
        { ...orgGuardrail, Condition: { StringNotEqualsIfExists: { 'aws:PrincipalOrgID': ORG_ID } } },
      ],
    ],
    [
      '"*" closed by a deny on accounts',
      'pass',
      undefined,
      [
        read('*'),
        {
          ...orgGuardrail,
          Action: '*',
          Condition: { StringNotEquals: { 'aws:PrincipalAccount': [ACCOUNT_ID, ORG_ACCOUNT_ID] } },
        },
      ],
    ],
    // Near misses
    [
      'aws:PrincipalOrgID StringLike o-*',
      'fail',
      'critical',
      [read('*', { Condition: { StringLike: { 'aws:PrincipalOrgID': 'o-*' } } })],
    ],
    [
      'aws:PrincipalOrgID under ForAllValues',
      'fail',
      'critical',
      [read('*', { Condition: { 'ForAllValues:StringEquals': { 'aws:PrincipalOrgID': ORG_ID } } })],
    ],
    [
      'aws:PrincipalOrgID with IfExists',
      'fail',
      'critical',
      [read('*', { Condition: { StringEqualsIfExists: { 'aws:PrincipalOrgID': ORG_ID } } })],
    ],
    [
      'aws:PrincipalOrgID negated in the Allow',
      'fail',
      'critical',
      [read('*', { Condition: { StringNotEquals: { 'aws:PrincipalOrgID': 'o-otherorg123' } } })],
    ],
    [
      'aws:PrincipalOrgPaths with a wildcard organization',
      'fail',
      'critical',
      [read('*', { Condition: { 'ForAnyValue:StringLike': { 'aws:PrincipalOrgPaths': 'o-*/r-ab12/*' } } })],
    ],
    [
      'aws:PrincipalArn with a wildcard account',
      'fail',
      'critical',
      [read('*', { Condition: { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/app' } } })],
    ],
    [
      'aws:SourceVpce pattern',
      'fail',
      'critical',
      [read('*', { Condition: { StringLike: { 'aws:SourceVpce': 'vpce-*' } } })],
    ],
    [
      'aws:SourceIp 0.0.0.0/0',
      'fail',
      'critical',
      [read('*', { Condition: { IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } } })],
    ],
    [
      'aws:SourceIp /4',
      'fail',
      'critical',
      [read('*', { Condition: { IpAddress: { 'aws:SourceIp': '16.0.0.0/4' } } })],
    ],
    [
      'aws:PrincipalOrgID with Null',
      'fail',
      'critical',
      [read('*', { Condition: { Null: { 'aws:PrincipalOrgID': 'false' } } })],
    ],
    [
      'aws:SecureTransport only',
      'fail',
      'critical',
      [read('*', { Condition: { Bool: { 'aws:SecureTransport': 'true' } } })],
    ],
    [
      'a deny guardrail covering other actions',
      'fail',
      'critical',
      [read('*'), { ...orgGuardrail, Action: 'secretsmanager:DeleteSecret' }],
    ],
    [
      'a deny guardrail naming a foreign organization too',
      'fail',
      'critical',
      [
        read('*'),
        {
          ...orgGuardrail,
          Condition: { StringNotEquals: { 'aws:PrincipalOrgID': [ORG_ID, 'o-otherorg123'] } },
        },
      ],
    ],
    [
      'a deny guardrail under ForAnyValue',
      'fail',
      'critical',
      [
        read('*'),
        { ...orgGuardrail, Condition: { 'ForAnyValue:StringNotEquals': { 'aws:PrincipalOrgID': ORG_ID } } },
      ],
    ],
    [
      'a deny guardrail for one account only',
      'fail',
      'critical',
      [read('*'), { ...orgGuardrail, Principal: { AWS: EXTERNAL_ACCOUNT_ID } }],
    ],
  ])('%s -> %s %s', (_label, status, severity, statements) => {
    const result = secretPolicyPublic.evaluate(aSecretWithPolicy(statements.map(defined)), ctx);
    expect(result.status).toBe(status);
    if (result.status === 'fail') expect(result.severity).toBe(severity);
  });

  it('passes a secret without a policy and skips one whose policy was not read', () => {
    expect(secretPolicyPublic.evaluate(aSecret({ policyState: 'absent' }), ctx).status).toBe('pass');
    expect(secretPolicyPublic.evaluate(aSecret({ policyState: 'unknown' }), ctx).status).toBe(
      'not-applicable',
    );
    expect(
      secretPolicyPublic.evaluate(aSecret({ policyState: 'present', resourcePolicy: undefined }), ctx).status,
    ).toBe('not-applicable');
  });

  it('names the secret, the audience, the actions and the statement, with the conditions that do not restrict', () => {
    const secret = aSecretWithPolicy(
      [
        read({ AWS: `arn:aws:iam::${ACCOUNT_ID}:role/app` }),
        read('*', {
          Sid: 'Shared',
          Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
          Condition: { StringLike: { 'aws:PrincipalOrgID': 'o-*' } },
        }),
      ],
      { name: 'shared/api-key', region: 'us-east-1' },
    );
    expect(secretPolicyPublic.evaluate(secret, ctx)).toEqual({
      status: 'fail',
      reason:
        'Secret shared/api-key in us-east-1 has a resource policy that allows any AWS principal to call secretsmanager:GetSecretValue and 1 other action in statement 1 ("Shared").',
      severity: 'critical',
      evidence: {
        externalAccounts: [],
        statements: [
          {
            statementIndex: 1,
            sid: 'Shared',
            exposure: 'any',
            principals: ['*'],
            externalAccounts: [],
            foreignOrganizations: [],
            actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            conditionsNotRestricting: ['StringLike aws:PrincipalOrgID = o-* (o-* is a wildcard)'],
          },
        ],
      },
    });
  });

  it('names the external account', () => {
    const secret = aSecretWithPolicy([read({ AWS: `arn:aws:iam::${EXTERNAL_ACCOUNT_ID}:role/partner` })]);
    expect(secretPolicyPublic.evaluate(secret, ctx)).toMatchObject({
      status: 'fail',
      severity: 'high',
      reason: `Secret prod/db in eu-west-1 has a resource policy that allows account ${EXTERNAL_ACCOUNT_ID} to call secretsmanager:GetSecretValue in statement 0.`,
      evidence: { externalAccounts: [EXTERNAL_ACCOUNT_ID] },
    });
  });
});

function defined(statement: Statement): Statement {
  return Object.fromEntries(Object.entries(statement).filter(([, value]) => value !== undefined));
}
