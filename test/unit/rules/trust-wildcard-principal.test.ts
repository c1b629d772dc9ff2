import { describe, expect, it } from 'vitest';
import { trustWildcardPrincipal } from '../../../functions/core/rules/trust-wildcard-principal';
import {
  ACCOUNT_ID,
  aContext,
  aRole,
  aTrustPolicy,
  EXTERNAL_ACCOUNT_ID,
  ORG_ACCOUNT_ID,
  ORG_ID,
} from '../../support/builders';

const ctx = aContext();

type Statement = Record<string, unknown>;
const open = (extra: Statement = {}): Statement => ({ Principal: '*', ...extra });

describe('trust-wildcard-principal', () => {
  it.each<[string, 'pass' | 'fail', Statement[]]>([
    ['Principal "*"', 'fail', [open()]],
    ['Principal {"AWS": "*"}', 'fail', [{ Principal: { AWS: '*' } }]],
    [
      'Principal {"AWS": ["*"]} among others',
      'fail',
      [{ Principal: { AWS: [`arn:aws:iam::${ACCOUNT_ID}:root`, '*'] } }],
    ],
    ['Allow with NotPrincipal', 'fail', [{ NotPrincipal: { AWS: `arn:aws:iam::${ACCOUNT_ID}:root` } }]],
    ['action sts:* ', 'fail', [open({ Action: 'sts:*' })]],
    ['action *', 'fail', [open({ Action: '*' })]],
    ['action sts:Assume*', 'fail', [open({ Action: 'sts:Assume*' })]],
    ['NotAction that leaves AssumeRole allowed', 'fail', [open({ NotAction: 'sts:TagSession' })]],
    ['only sts:TagSession', 'pass', [open({ Action: 'sts:TagSession' })]],
    ['Deny with Principal "*"', 'pass', [{ Effect: 'Deny', Principal: '*' }]],
    ['an account principal', 'pass', [{ Principal: { AWS: `arn:aws:iam::${ACCOUNT_ID}:root` } }]],
    ['a service principal', 'pass', [{ Principal: { Service: 'lambda.amazonaws.com' } }]],
    // Restricting conditions
    [
      'aws:PrincipalOrgID = our organization',
      'pass',
      [open({ Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG_ID } } })],
    ],
    [
      'aws:PrincipalOrgID key written in another case',
      'pass',
      [open({ Condition: { StringEquals: { 'AWS:principalorgid': ORG_ID } } })],
    ],
    [
      'aws:PrincipalAccount = the scanned account',
      'pass',
      [open({ Condition: { StringEquals: { 'aws:PrincipalAccount': ACCOUNT_ID } } })],
    ],
    [
      'aws:PrincipalAccount = an organization account',
      'pass',
      [open({ Condition: { StringEquals: { 'aws:PrincipalAccount': [ORG_ACCOUNT_ID, ACCOUNT_ID] } } })],
    ],
    [
      'aws:PrincipalArn with a wildcard after a fixed account',
      'pass',
      [open({ Condition: { ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${ACCOUNT_ID}:role/ci-*` } } })],
    ],
    [
      'aws:SourceVpce fixed',
      'pass',
      [open({ Condition: { StringEquals: { 'aws:SourceVpce': 'vpce-0123456789abcdef0' } } })],
    ],
    [
      'a restricting condition next to a weak one',
      'pass',
      [
        open({
          Condition: {
            StringEquals: { 'sts:ExternalId': 'abc', 'aws:PrincipalOrgID': ORG_ID },
          },
        }),
      ],
    ],
    [
      'a deny guardrail outside the organization',
      'pass',
      [
        open(),
        {
          Effect: 'Deny',
          Principal: '*',
          Action: 'sts:*',
          Condition: { StringNotEquals: { 'aws:PrincipalOrgID': ORG_ID } },
        },
      ],
    ],
    // Near misses
    ['sts:ExternalId only', 'fail', [open({ Condition: { StringEquals: { 'sts:ExternalId': 'abc' } } })]],
    ['aws:SecureTransport only', 'fail', [open({ Condition: { Bool: { 'aws:SecureTransport': 'true' } } })]],
    [
      'aws:PrincipalOrgID StringLike o-*',
      'fail',
      [open({ Condition: { StringLike: { 'aws:PrincipalOrgID': 'o-*' } } })],
    ],
    [
      'aws:PrincipalOrgID under ForAllValues',
      'fail',
      [open({ Condition: { 'ForAllValues:StringEquals': { 'aws:PrincipalOrgID': ORG_ID } } })],
    ],
    [
      'aws:PrincipalOrgID with IfExists',
      'fail',
      [open({ Condition: { StringEqualsIfExists: { 'aws:PrincipalOrgID': ORG_ID } } })],
    ],
    [
      'aws:PrincipalOrgID under a negated operator',
      'fail',
      [open({ Condition: { StringNotEquals: { 'aws:PrincipalOrgID': 'o-zzzzzzzzzz' } } })],
    ],
    [
      'aws:PrincipalArn with a wildcard account',
      'fail',
      [open({ Condition: { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/deployer' } } })],
    ],
    [
      'aws:PrincipalAccount as a policy variable',
      'fail',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not a template
      [open({ Condition: { StringEquals: { 'aws:PrincipalAccount': '${aws:ResourceAccount}' } } })],
    ],
    [
      'one wildcard value among fixed ones',
      'fail',
      [open({ Condition: { StringLike: { 'aws:PrincipalAccount': [ACCOUNT_ID, '*'] } } })],
    ],
    ['aws:SourceIp 0.0.0.0/0', 'fail', [open({ Condition: { IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } } })]],
    [
      'a deny guardrail that does not cover sts:AssumeRole',
      'fail',
      [
        open(),
        {
          Effect: 'Deny',
          Principal: '*',
          Action: 'sts:TagSession',
          Condition: { StringNotEquals: { 'aws:PrincipalOrgID': ORG_ID } },
        },
      ],
    ],
    [
      'a deny with an unrelated extra condition',
      'fail',
      [
        open(),
        {
          Effect: 'Deny',
          Principal: '*',
          Condition: {
            StringNotEquals: { 'aws:PrincipalOrgID': ORG_ID },
            Bool: { 'aws:SecureTransport': 'false' },
          },
        },
      ],
    ],
  ])('%s -> %s', (_label, status, statements) => {
    const role = aRole({ trustPolicy: aTrustPolicy(...statements) });
    expect(trustWildcardPrincipal.evaluate(role, ctx).status).toBe(status);
  });

  it('leaves a wildcard narrowed to a foreign account to trust-external-account-no-external-id', () => {
    const role = aRole({
      trustPolicy: aTrustPolicy(
        open({ Condition: { StringEquals: { 'aws:PrincipalAccount': EXTERNAL_ACCOUNT_ID } } }),
      ),
    });
    expect(trustWildcardPrincipal.evaluate(role, ctx).status).toBe('pass');
  });

  it('names the role and gives the statement, principal and the conditions that do not restrict', () => {
    const role = aRole({
      name: 'shared-reader',
      trustPolicy: aTrustPolicy(
        { Sid: 'Ec2', Principal: { Service: 'ec2.amazonaws.com' } },
        { Sid: 'Anyone', Principal: { AWS: '*' }, Condition: { StringEquals: { 'sts:ExternalId': 'abc' } } },
      ),
    });
    expect(trustWildcardPrincipal.evaluate(role, ctx)).toEqual({
      status: 'fail',
      reason: 'Role shared-reader can be assumed by any AWS principal through * in statement 1 ("Anyone").',
      evidence: {
        statements: [
          {
            statementIndex: 1,
            sid: 'Anyone',
            principals: ['*'],
            actions: ['sts:AssumeRole'],
            conditionsNotRestricting: [
              'StringEquals sts:ExternalId = abc (the key does not identify the caller)',
            ],
          },
        ],
      },
    });
  });

  it('reports every open statement', () => {
    const role = aRole({
      name: 'wide',
      trustPolicy: aTrustPolicy(open(), open({ Action: 'sts:AssumeRoleWithSAML' })),
    });
    const result = trustWildcardPrincipal.evaluate(role, ctx);
    expect(result).toMatchObject({
      status: 'fail',
      reason: 'Role wide can be assumed by any AWS principal through * in statement 0 and 1 more statement.',
    });
    if (result.status !== 'fail') return;
    expect((result.evidence.statements as Record<string, unknown>[]).map((s) => s.actions)).toEqual([
      ['sts:AssumeRole'],
      ['sts:AssumeRoleWithSAML'],
    ]);
  });

  it('is not applicable when the trust policy could not be parsed', () => {
    expect(trustWildcardPrincipal.evaluate(aRole({ trustPolicy: undefined }), ctx).status).toBe(
      'not-applicable',
    );
  });
});
