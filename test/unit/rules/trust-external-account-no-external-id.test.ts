import { describe, expect, it } from 'vitest';
import { trustExternalAccountNoExternalId } from '../../../functions/core/rules/trust-external-account-no-external-id';
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
const external = (principal: string, extra: Statement = {}): Statement => ({
  Principal: { AWS: principal },
  ...extra,
});
const withExternalId = { Condition: { StringEquals: { 'sts:ExternalId': 'a1b2c3' } } };

describe('trust-external-account-no-external-id', () => {
  it.each<[string, 'pass' | 'fail', Statement[]]>([
    ['a bare external account id', 'fail', [external(EXTERNAL_ACCOUNT_ID)]],
    ['an external account root ARN', 'fail', [external(`arn:aws:iam::${EXTERNAL_ACCOUNT_ID}:root`)]],
    ['an external role ARN', 'fail', [external(`arn:aws:iam::${EXTERNAL_ACCOUNT_ID}:role/vendor`)]],
    ['an external user ARN', 'fail', [external(`arn:aws:iam::${EXTERNAL_ACCOUNT_ID}:user/vendor`)]],
    [
      'an external account in the GovCloud partition',
      'fail',
      [external(`arn:aws-us-gov:iam::${EXTERNAL_ACCOUNT_ID}:root`)],
    ],
    [
      'an external account among internal ones',
      'fail',
      [{ Principal: { AWS: [`arn:aws:iam::${ACCOUNT_ID}:root`, EXTERNAL_ACCOUNT_ID] } }],
    ],
    ['action sts:*', 'fail', [external(EXTERNAL_ACCOUNT_ID, { Action: 'sts:*' })]],
    ['action *', 'fail', [external(EXTERNAL_ACCOUNT_ID, { Action: '*' })]],
    [
      'a wildcard principal narrowed to an external account',
      'fail',
      [{ Principal: '*', Condition: { StringEquals: { 'aws:PrincipalAccount': EXTERNAL_ACCOUNT_ID } } }],
    ],
    [
      'a wildcard principal narrowed to another organization',
      'fail',
      [{ Principal: '*', Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-otherorg123' } } }],
    ],
    // Compliant
    ['sts:ExternalId StringEquals', 'pass', [external(EXTERNAL_ACCOUNT_ID, withExternalId)]],
    [
      'sts:ExternalId key written in another case',
      'pass',
      [external(EXTERNAL_ACCOUNT_ID, { Condition: { StringEquals: { 'STS:externalid': 'a1b2c3' } } })],
    ],
    [
      'sts:ExternalId StringLike without a wildcard',
      'pass',
      [external(EXTERNAL_ACCOUNT_ID, { Condition: { StringLike: { 'sts:ExternalId': 'a1b2c3' } } })],
    ],
    ['the scanned account', 'pass', [external(`arn:aws:iam::${ACCOUNT_ID}:root`)]],
    ['an organization account', 'pass', [external(`arn:aws:iam::${ORG_ACCOUNT_ID}:role/deployer`)]],
    [
      'aws:PrincipalOrgID equal to our organization',
      'pass',
      [external(EXTERNAL_ACCOUNT_ID, { Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG_ID } } })],
    ],
    ['a unique id left by a deleted principal', 'pass', [external('AROAEXAMPLEDELETED001')]],
    ['a service principal', 'pass', [{ Principal: { Service: 'ec2.amazonaws.com' } }]],
    ['only sts:TagSession', 'pass', [external(EXTERNAL_ACCOUNT_ID, { Action: 'sts:TagSession' })]],
    ['a Deny statement', 'pass', [external(EXTERNAL_ACCOUNT_ID, { Effect: 'Deny' })]],
    ['an unrestricted wildcard principal (trust-wildcard-principal)', 'pass', [{ Principal: '*' }]],
    // Near misses
    [
      'sts:ExternalId StringLike *',
      'fail',
      [external(EXTERNAL_ACCOUNT_ID, { Condition: { StringLike: { 'sts:ExternalId': '*' } } })],
    ],
    [
      'sts:ExternalId with IfExists',
      'fail',
      [
        external(EXTERNAL_ACCOUNT_ID, {
          Condition: { StringEqualsIfExists: { 'sts:ExternalId': 'a1b2c3' } },
        }),
      ],
    ],
    [
      'sts:ExternalId under ForAllValues',
      'fail',
      [
        external(EXTERNAL_ACCOUNT_ID, {
          Condition: { 'ForAllValues:StringEquals': { 'sts:ExternalId': 'a1b2c3' } },
        }),
      ],
    ],
    [
      'sts:ExternalId under a negated operator',
      'fail',
      [external(EXTERNAL_ACCOUNT_ID, { Condition: { StringNotEquals: { 'sts:ExternalId': 'a1b2c3' } } })],
    ],
    [
      'sts:ExternalId only required to exist',
      'fail',
      [external(EXTERNAL_ACCOUNT_ID, { Condition: { Null: { 'sts:ExternalId': 'false' } } })],
    ],
    [
      'sts:ExternalId empty',
      'fail',
      [external(EXTERNAL_ACCOUNT_ID, { Condition: { StringEquals: { 'sts:ExternalId': '' } } })],
    ],
    [
      'aws:PrincipalOrgID equal to another organization',
      'fail',
      [
        external(EXTERNAL_ACCOUNT_ID, {
          Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-otherorg123' } },
        }),
      ],
    ],
    [
      'the external id in another statement',
      'fail',
      [
        external(EXTERNAL_ACCOUNT_ID),
        external(EXTERNAL_ACCOUNT_ID, { Action: 'sts:TagSession', ...withExternalId }),
      ],
    ],
  ])('%s -> %s', (_label, status, statements) => {
    const role = aRole({ trustPolicy: aTrustPolicy(...statements) });
    expect(trustExternalAccountNoExternalId.evaluate(role, ctx).status).toBe(status);
  });

  it('treats every other account as external when no organization is configured', () => {
    const role = aRole({ trustPolicy: aTrustPolicy(external(`arn:aws:iam::${ORG_ACCOUNT_ID}:root`)) });
    const alone = aContext({ organization: { accountIds: [] } });
    expect(trustExternalAccountNoExternalId.evaluate(role, alone).status).toBe('fail');
    expect(trustExternalAccountNoExternalId.evaluate(role, ctx).status).toBe('pass');
  });

  it('names the role, the account and the statement', () => {
    const role = aRole({
      name: 'vendor-audit',
      trustPolicy: aTrustPolicy(
        { Sid: 'Vendor', Principal: { AWS: `arn:aws:iam::${EXTERNAL_ACCOUNT_ID}:role/scanner` } },
        external(`arn:aws:iam::${EXTERNAL_ACCOUNT_ID}:root`, withExternalId),
      ),
    });
    expect(trustExternalAccountNoExternalId.evaluate(role, ctx)).toEqual({
      status: 'fail',
      reason: `Role vendor-audit trusts account ${EXTERNAL_ACCOUNT_ID} without requiring sts:ExternalId in statement 0 ("Vendor").`,
      evidence: {
        externalAccounts: [EXTERNAL_ACCOUNT_ID],
        foreignOrganizations: [],
        statements: [
          {
            statementIndex: 0,
            sid: 'Vendor',
            principals: [`arn:aws:iam::${EXTERNAL_ACCOUNT_ID}:role/scanner`],
            externalAccounts: [EXTERNAL_ACCOUNT_ID],
            conditions: [],
          },
        ],
      },
    });
  });

  it('is not applicable when the trust policy could not be parsed', () => {
    expect(trustExternalAccountNoExternalId.evaluate(aRole({ trustPolicy: undefined }), ctx).status).toBe(
      'not-applicable',
    );
  });
});
