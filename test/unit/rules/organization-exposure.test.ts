import { describe, expect, it } from 'vitest';
import { evaluationContext } from '../../../functions/core/engine';
import { secretPolicyPublic } from '../../../functions/core/rules/secret-policy-public';
import { findExposures, findUnconfirmedRestrictions } from '../../../functions/core/rules/support/exposure';
import { trustExternalAccountNoExternalId } from '../../../functions/core/rules/trust-external-account-no-external-id';
import { trustWildcardPrincipal } from '../../../functions/core/rules/trust-wildcard-principal';
import {
  ACCOUNT_ID,
  aContext,
  aPolicy,
  aRole,
  aSecretWithPolicy,
  aTrustPolicy,
  EXTERNAL_ACCOUNT_ID,
  NOW,
  ORG_ID,
  someSettings,
} from '../../support/builders';

const OTHER_ORG = 'o-otherorg123';
const MANAGEMENT_ACCOUNT = '333333333333';

/** Our organization read from the account, none configured. */
const known = aContext({
  organization: { accountIds: [] },
  membership: { status: 'member', id: ORG_ID, managementAccountId: MANAGEMENT_ACCOUNT },
});
/** Read: the account is in no organization. */
const none = aContext({ organization: { accountIds: [] }, membership: { status: 'none' } });
/** Neither read nor configured. */
const unknown = aContext({ organization: { accountIds: [] } });

type Statement = Record<string, unknown>;
const everyone = (condition: Record<string, Record<string, unknown>>): Statement => ({
  Effect: 'Allow',
  Principal: '*',
  Action: 'sts:AssumeRole',
  Condition: condition,
});
const orgId = (id: string) => everyone({ StringEquals: { 'aws:PrincipalOrgID': id } });
const orgPath = (id: string) =>
  everyone({ 'ForAnyValue:StringLike': { 'aws:PrincipalOrgPaths': `${id}/r-ab12/*` } });
const sourceOrg = (id: string) => everyone({ StringEquals: { 'aws:SourceOrgID': id } });
const resourceOrg = (id: string) => everyone({ StringEquals: { 'aws:ResourceOrgID': id } });
const guarded = (id: string): Statement[] => [
  { Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole' },
  {
    Effect: 'Deny',
    Principal: '*',
    Action: 'sts:AssumeRole',
    Condition: { StringNotEquals: { 'aws:PrincipalOrgID': id } },
  },
];

type Outcome = 'internal' | 'external' | 'any' | 'unconfirmed';

function outcome(statements: Statement[], ctx: ReturnType<typeof aContext>): Outcome {
  const document = aPolicy(statements);
  const exposures = findExposures(document, ['sts:AssumeRole'], ctx);
  const unconfirmed = findUnconfirmedRestrictions(document, ['sts:AssumeRole'], ctx);
  if (exposures.length > 0 && unconfirmed.length > 0) throw new Error('both exposed and unconfirmed');
  if (unconfirmed.length > 0) return 'unconfirmed';
  return exposures[0]?.kind ?? 'internal';
}

describe('organization-restricted statements', () => {
  it.each<[string, Statement[], Outcome, Outcome, Outcome]>([
    // label, statements, own organization known, not in an organization, unknown
    ['aws:PrincipalOrgID', [orgId(ORG_ID)], 'internal', 'external', 'unconfirmed'],
    ['aws:PrincipalOrgID of another organization', [orgId(OTHER_ORG)], 'external', 'external', 'unconfirmed'],
    ['aws:PrincipalOrgPaths', [orgPath(ORG_ID)], 'internal', 'external', 'unconfirmed'],
    [
      'aws:PrincipalOrgPaths of another organization',
      [orgPath(OTHER_ORG)],
      'external',
      'external',
      'unconfirmed',
    ],
    ['aws:SourceOrgID', [sourceOrg(ORG_ID)], 'internal', 'external', 'unconfirmed'],
    ['a Deny for everyone outside the organization', guarded(ORG_ID), 'internal', 'any', 'unconfirmed'],
    ['a Deny for everyone outside another organization', guarded(OTHER_ORG), 'any', 'any', 'unconfirmed'],
    // The resource's own organization holds no caller back; another one's never matches.
    ['aws:ResourceOrgID of our organization', [resourceOrg(ORG_ID)], 'any', 'internal', 'unconfirmed'],
    [
      'aws:ResourceOrgID of another organization',
      [resourceOrg(OTHER_ORG)],
      'internal',
      'internal',
      'unconfirmed',
    ],
    // Not about organizations: the organization being unknown changes nothing.
    ['no condition', [{ Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole' }], 'any', 'any', 'any'],
    [
      'an external account without a condition',
      [{ Effect: 'Allow', Principal: { AWS: EXTERNAL_ACCOUNT_ID }, Action: 'sts:AssumeRole' }],
      'external',
      'external',
      'external',
    ],
    [
      'an organization condition that is vacuous (IfExists)',
      [everyone({ StringEqualsIfExists: { 'aws:PrincipalOrgID': ORG_ID } })],
      'any',
      'any',
      'any',
    ],
    [
      'aws:PrincipalAccount of ours, next to an organization condition',
      [everyone({ StringEquals: { 'aws:PrincipalOrgID': OTHER_ORG, 'aws:PrincipalAccount': ACCOUNT_ID } })],
      'internal',
      'internal',
      'internal',
    ],
  ])('%s: known %s, none %s, unknown %s', (_label, statements, whenKnown, whenNone, whenUnknown) => {
    expect(outcome(statements, known)).toBe(whenKnown);
    expect(outcome(statements, none)).toBe(whenNone);
    expect(outcome(statements, unknown)).toBe(whenUnknown);
  });

  it('names the organizations an unconfirmed statement is held to, with the actions it grants', () => {
    const document = aPolicy([
      { ...orgId(ORG_ID), Sid: 'Org', Action: ['sts:AssumeRole', 'sts:TagSession'] },
      ...guarded(OTHER_ORG),
    ]);
    const found = findUnconfirmedRestrictions(document, ['sts:AssumeRole'], unknown);
    expect(found.map((r) => [r.statement.index, r.organizations, r.actions])).toEqual([
      [0, [ORG_ID], ['sts:AssumeRole']],
      [1, [OTHER_ORG], ['sts:AssumeRole']],
    ]);
  });
});

describe('the organization in the evaluation context', () => {
  const settings = (id?: string, accountIds: string[] = []) =>
    someSettings({ organization: id ? { id, accountIds } : { accountIds } });
  const context = (s: ReturnType<typeof settings>, membership?: Parameters<typeof evaluationContext>[4]) =>
    evaluationContext(ACCOUNT_ID, s, NOW, () => undefined, membership).organization;

  it('takes the organization read from the account, with its management account', () => {
    expect(
      context(settings(), { status: 'member', id: ORG_ID, managementAccountId: MANAGEMENT_ACCOUNT }),
    ).toEqual({
      id: ORG_ID,
      accountIds: new Set([ACCOUNT_ID, MANAGEMENT_ACCOUNT]),
    });
  });

  it('lets the configured organization win, and adds the configured accounts', () => {
    expect(
      context(settings(OTHER_ORG, [EXTERNAL_ACCOUNT_ID]), {
        status: 'member',
        id: ORG_ID,
        managementAccountId: MANAGEMENT_ACCOUNT,
      }),
    ).toEqual({ id: OTHER_ORG, accountIds: new Set([ACCOUNT_ID, EXTERNAL_ACCOUNT_ID]) });
    expect(context(settings(undefined, [EXTERNAL_ACCOUNT_ID]), { status: 'member', id: ORG_ID })).toEqual({
      id: ORG_ID,
      accountIds: new Set([ACCOUNT_ID, EXTERNAL_ACCOUNT_ID]),
    });
  });

  it('knows an account outside any organization, and only an unread, unconfigured one is unknown', () => {
    expect(context(settings(), { status: 'none' })).toEqual({ accountIds: new Set([ACCOUNT_ID]) });
    expect(context(settings(ORG_ID))).toEqual({ id: ORG_ID, accountIds: new Set([ACCOUNT_ID]) });
    expect(context(settings())).toEqual({ accountIds: new Set([ACCOUNT_ID]), unknown: true });
  });
});

describe('the exposure rules with the organization unknown', () => {
  const statement = {
    Effect: 'Allow',
    Principal: '*',
    Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG_ID } },
  };

  it.each([
    ['known', known, 'pass', 'pass'],
    ['unknown', unknown, 'pass', 'pass'],
  ] as const)(
    'report nothing for a statement held to our organization (%s)',
    (_label, ctx, trust, secret) => {
      const role = aRole({ trustPolicy: aTrustPolicy(statement) });
      const shared = aSecretWithPolicy([
        { ...statement, Action: 'secretsmanager:GetSecretValue', Resource: '*' },
      ]);
      expect(trustExternalAccountNoExternalId.evaluate(role, ctx).status).toBe(trust);
      expect(trustWildcardPrincipal.evaluate(role, ctx).status).toBe(trust);
      expect(secretPolicyPublic.evaluate(shared, ctx).status).toBe(secret);
    },
  );

  it('reports a statement held to another organization as external when ours is known', () => {
    const other = { ...statement, Condition: { StringEquals: { 'aws:PrincipalOrgID': OTHER_ORG } } };
    const role = aRole({ trustPolicy: aTrustPolicy(other) });
    const shared = aSecretWithPolicy([{ ...other, Action: 'secretsmanager:GetSecretValue', Resource: '*' }]);
    expect(trustExternalAccountNoExternalId.evaluate(role, known).status).toBe('fail');
    expect(secretPolicyPublic.evaluate(shared, known)).toMatchObject({ status: 'fail', severity: 'high' });
    expect(trustExternalAccountNoExternalId.evaluate(role, unknown).status).toBe('pass');
    expect(secretPolicyPublic.evaluate(shared, unknown).status).toBe('pass');
  });
});
