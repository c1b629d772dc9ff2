import { describe, expect, it } from 'vitest';
import { evaluateInventory } from '../../../functions/core/engine';
import type { SecretSnapshot } from '../../../functions/core/model';
import { emptyInventory } from '../../../functions/core/model';
import { policyOrganizationUnconfirmed } from '../../../functions/core/rules/policy-organization-unconfirmed';
import {
  ACCOUNT_ID,
  aContext,
  aRole,
  aSecret,
  aSecretWithPolicy,
  aTrustPolicy,
  EXTERNAL_ACCOUNT_ID,
  NOW,
  ORG_ID,
  someSettings,
} from '../../support/builders';

const OTHER_ORG = 'o-otherorg123';
const unknown = aContext({ organization: { accountIds: [] } });

type Statement = Record<string, unknown>;
const heldTo = (org: string, extra: Statement = {}): Statement => ({
  Principal: '*',
  Condition: { StringEquals: { 'aws:PrincipalOrgID': org } },
  ...extra,
});

describe('policy-organization-unconfirmed', () => {
  describe('an organization whose read failed', () => {
    it('reports nothing: the coverage gap of the failed read speaks for it', () => {
      const role = aRole({ trustPolicy: aTrustPolicy(heldTo(ORG_ID)) });
      const inventory = {
        ...emptyInventory(ACCOUNT_ID),
        roles: [role],
        coverageGaps: [
          {
            kind: 'coverage-gap' as const,
            arn: `arn:aws:iam::${ACCOUNT_ID}:root`,
            accountId: ACCOUNT_ID,
            source: 'organizations:DescribeOrganization',
            category: 'AccessDenied',
            reason: 'Access was denied.',
          },
        ],
      };
      const settings = someSettings({ organization: { accountIds: [] } });
      const run = (subject: typeof inventory) =>
        evaluateInventory(subject, { rules: [policyOrganizationUnconfirmed], settings, now: NOW }).findings;
      expect(run(inventory)).toEqual([]);
      expect(run({ ...inventory, coverageGaps: [] }).map((f) => f.result)).toEqual(['fail']);
    });
  });

  describe('roles', () => {
    it.each<[string, 'pass' | 'fail', Statement[]]>([
      ['a wildcard held to an organization', 'fail', [heldTo(ORG_ID)]],
      [
        'an external account held to an organization',
        'fail',
        [heldTo(ORG_ID, { Principal: { AWS: EXTERNAL_ACCOUNT_ID } })],
      ],
      [
        'aws:PrincipalOrgPaths',
        'fail',
        [
          {
            Principal: '*',
            Condition: { StringEquals: { 'aws:PrincipalOrgPaths': `${ORG_ID}/r-ab12/ou-ab12-11111111/` } },
          },
        ],
      ],
      [
        'a web identity assumption held to an organization',
        'fail',
        [heldTo(ORG_ID, { Action: 'sts:AssumeRoleWithWebIdentity' })],
      ],
      ['only sts:TagSession', 'pass', [heldTo(ORG_ID, { Action: 'sts:TagSession' })]],
      ['a wildcard without any condition (trust-wildcard-principal’s finding)', 'pass', [{ Principal: '*' }]],
      ['an account of ours', 'pass', [{ Principal: { AWS: 'arn:aws:iam::111111111111:root' } }]],
      [
        'an organization condition under IfExists (no restriction at all)',
        'pass',
        [{ Principal: '*', Condition: { StringEqualsIfExists: { 'aws:PrincipalOrgID': ORG_ID } } }],
      ],
    ])('%s -> %s', (_label, status, statements) => {
      const role = aRole({ trustPolicy: aTrustPolicy(...statements) });
      expect(policyOrganizationUnconfirmed.evaluate(role, unknown).status).toBe(status);
    });

    it('is not applicable to a trust policy that could not be parsed', () => {
      const role = aRole({ trustPolicy: undefined });
      expect(policyOrganizationUnconfirmed.evaluate(role, unknown).status).toBe('not-applicable');
    });
  });

  describe('secrets', () => {
    const read = { Action: 'secretsmanager:GetSecretValue', Resource: '*', Effect: 'Allow' };
    it.each<[string, 'pass' | 'fail' | 'not-applicable', SecretSnapshot]>([
      ['a wildcard held to an organization', 'fail', aSecretWithPolicy([heldTo(ORG_ID, read)])],
      [
        'a wildcard held to nothing (secret-policy-public’s finding)',
        'pass',
        aSecretWithPolicy([{ Principal: '*', ...read }]),
      ],
      ['no resource policy', 'pass', aSecret()],
      ['a policy that was not read', 'not-applicable', aSecret({ policyState: 'unknown' })],
      ['a policy that could not be parsed', 'not-applicable', aSecret({ policyState: 'present' })],
    ])('%s -> %s', (_label, status, secret) => {
      expect(policyOrganizationUnconfirmed.evaluate(secret, unknown).status).toBe(status);
    });
  });

  it.each([
    ['configured', aContext()],
    [
      'read from the account',
      aContext({ organization: { accountIds: [] }, membership: { status: 'member', id: OTHER_ORG } }),
    ],
    ['read as none', aContext({ organization: { accountIds: [] }, membership: { status: 'none' } })],
  ])('passes once the organization is known (%s)', (_label, ctx) => {
    const role = aRole({ trustPolicy: aTrustPolicy(heldTo(ORG_ID)) });
    expect(policyOrganizationUnconfirmed.evaluate(role, ctx).status).toBe('pass');
  });

  it('gives one finding per resource naming every organization and how to confirm them', () => {
    const role = aRole({
      name: 'org-readers',
      trustPolicy: aTrustPolicy(heldTo(ORG_ID, { Sid: 'Org' }), heldTo(OTHER_ORG)),
    });
    const result = policyOrganizationUnconfirmed.evaluate(role, unknown);
    expect(result).toEqual({
      status: 'fail',
      reason: `Role org-readers admits principals of organizations ${ORG_ID}, ${OTHER_ORG} in statement 0 ("Org") (and 1 more statement), but the account's own organization is not known, so whether that is internal or external access cannot be told; to confirm it, add organization.json (the output of \`aws organizations describe-organization\`) to the export, let the scanner call organizations:DescribeOrganization, or set organization.id in the config.`,
      evidence: {
        organizations: [ORG_ID, OTHER_ORG],
        statements: [
          { statementIndex: 0, sid: 'Org', organizations: [ORG_ID], actions: ['sts:AssumeRole'] },
          { statementIndex: 1, sid: null, organizations: [OTHER_ORG], actions: ['sts:AssumeRole'] },
        ],
      },
    });
  });

  it('names a secret with its region', () => {
    const secret = aSecretWithPolicy([
      heldTo(ORG_ID, { Action: 'secretsmanager:GetSecretValue', Resource: '*', Effect: 'Allow' }),
    ]);
    const result = policyOrganizationUnconfirmed.evaluate(secret, unknown);
    expect(result.status === 'fail' && result.reason).toMatch(
      new RegExp(`^Secret prod/db in eu-west-1 admits principals of organization ${ORG_ID} in statement 0, `),
    );
  });
});
