import { describe, expect, it } from 'vitest';
import { environmentLookup } from '../../../functions/core/environments';
import type { RuleResult } from '../../../functions/core/rule';
import { trustCrossEnvironment } from '../../../functions/core/rules/trust-cross-environment';
import { parseScanSettings } from '../../../functions/core/settings';
import { ACCOUNT_ID, aContext, aRole, aTrustPolicy, type ContextOptions } from '../../support/builders';

const PROD_2 = '333333333333';
const DEV = '444444444444';
const STAGING = '555555555555';
const UNMAPPED = '666666666666';
const OU_DEV = 'ou-ab12-dev00001';
const OU_PROD = 'ou-ab12-prod0001';
const IN_DEV_OU = '777777777777';
const IN_PROD_OU = '888888888888';

const environments = {
  accounts: { [ACCOUNT_ID]: 'prod', [PROD_2]: 'production', [DEV]: 'dev', [STAGING]: 'staging' },
  ous: { [OU_DEV]: 'dev', [OU_PROD]: 'prod' },
  production: ['prod', 'production'],
};
const accountOuPaths = new Map([
  [IN_DEV_OU, ['r-ab12', OU_PROD, OU_DEV]],
  [IN_PROD_OU, ['r-ab12', OU_PROD]],
]);
const prodCtx = aContext({ environments, accountOuPaths });

const aws = (...values: string[]) => ({ Principal: { AWS: values.length === 1 ? values[0] : values } });

function evaluate(statements: Record<string, unknown>[], options: ContextOptions = {}): RuleResult {
  const ctx =
    Object.keys(options).length > 0 ? aContext({ environments, accountOuPaths, ...options }) : prodCtx;
  return trustCrossEnvironment.evaluate(
    aRole({ name: 'deploy', trustPolicy: aTrustPolicy(...statements) }),
    ctx,
  );
}

const crossed = (result: RuleResult) =>
  result.status === 'fail' ? (result.evidence.crossings as { account: string }[]).map((c) => c.account) : [];

describe('trust-cross-environment', () => {
  it.each<[string, Record<string, unknown>[], RuleResult['status'], string[]]>([
    ['a dev account root', [aws(`arn:aws:iam::${DEV}:root`)], 'fail', [DEV]],
    ['a bare dev account id', [aws(DEV)], 'fail', [DEV]],
    ['a dev role', [aws(`arn:aws:iam::${DEV}:role/ci`)], 'fail', [DEV]],
    ['a staging and a dev account', [aws(STAGING, `arn:aws:iam::${DEV}:role/ci`)], 'fail', [STAGING, DEV]],
    ['another production account (named "production")', [aws(PROD_2)], 'pass', []],
    ['the role’s own account', [aws(`arn:aws:iam::${ACCOUNT_ID}:role/admin`)], 'pass', []],
    ['a service principal', [{ Principal: { Service: 'ec2.amazonaws.com' } }], 'pass', []],
    ['an account in a dev OU below a prod OU (the nearest OU wins)', [aws(IN_DEV_OU)], 'fail', [IN_DEV_OU]],
    ['an account in a prod OU', [aws(IN_PROD_OU)], 'pass', []],
    ['an unmapped account', [aws(UNMAPPED)], 'not-applicable', []],
    ['an unmapped and a dev account', [aws(UNMAPPED, DEV)], 'fail', [DEV]],
    [
      'a dev account under sts:ExternalId (not narrowing the environment)',
      [{ ...aws(DEV), Condition: { StringEquals: { 'sts:ExternalId': 'x' } } }],
      'fail',
      [DEV],
    ],
    [
      'a dev and a prod account narrowed by aws:PrincipalAccount to prod',
      [{ ...aws(DEV, PROD_2), Condition: { StringEquals: { 'aws:PrincipalAccount': PROD_2 } } }],
      'pass',
      [],
    ],
    [
      'a dev account narrowed by aws:PrincipalArn to a prod role',
      [
        {
          ...aws(DEV, PROD_2),
          Condition: { ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${PROD_2}:role/*` } },
        },
      ],
      'pass',
      [],
    ],
    [
      'aws:PrincipalAccount under IfExists does not narrow',
      [{ ...aws(DEV), Condition: { StringEqualsIfExists: { 'aws:PrincipalAccount': PROD_2 } } }],
      'fail',
      [DEV],
    ],
    [
      'aws:PrincipalArn over any account does not narrow',
      [{ ...aws(DEV), Condition: { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/deployer' } } }],
      'fail',
      [DEV],
    ],
    [
      'a wildcard principal held to a dev account',
      [{ Principal: '*', Condition: { StringEquals: { 'aws:PrincipalAccount': DEV } } }],
      'fail',
      [DEV],
    ],
    [
      'a wildcard principal without a condition (trust-wildcard-principal’s)',
      [{ Principal: '*' }],
      'pass',
      [],
    ],
    ['a Deny statement naming a dev account', [{ Effect: 'Deny', ...aws(DEV) }], 'pass', []],
    ['a dev account allowed only to tag sessions', [{ ...aws(DEV), Action: 'sts:TagSession' }], 'pass', []],
  ])('%s', (_name, statements, status, accounts) => {
    const result = evaluate(statements);
    expect(result.status).toBe(status);
    expect(crossed(result)).toEqual(accounts);
  });

  it('names the environments, their sources and the unmapped accounts', () => {
    const result = evaluate([{ Sid: 'Ci', ...aws(`arn:aws:iam::${IN_DEV_OU}:role/ci`, UNMAPPED) }]);
    expect(result).toEqual({
      status: 'fail',
      reason: `Role deploy in production account ${ACCOUNT_ID} (prod) is trusted by non-production account ${IN_DEV_OU} (dev) in statement 0 ("Ci").`,
      evidence: {
        environment: 'prod',
        environmentSource: 'account',
        crossings: [
          {
            statementIndex: 0,
            sid: 'Ci',
            account: IN_DEV_OU,
            environment: 'dev',
            environmentSource: `ou:${OU_DEV}`,
            conditions: [],
          },
        ],
        unmappedAccounts: [UNMAPPED],
      },
    });
  });

  it('says which accounts are unmapped instead of passing', () => {
    expect(evaluate([aws(UNMAPPED)])).toEqual({
      status: 'not-applicable',
      reason: `the trusted account ${UNMAPPED} is mapped to no environment, so the trust cannot be judged`,
    });
  });

  it('does not evaluate a role of an unmapped or non-production account', () => {
    const unmapped = evaluate([aws(DEV)], { environments: { ...environments, accounts: { [DEV]: 'dev' } } });
    expect(unmapped).toEqual({
      status: 'not-applicable',
      reason: `account ${ACCOUNT_ID} is mapped to no environment (environments.accounts or environments.ous)`,
    });
    const dev = evaluate([aws(DEV)], {
      environments: { ...environments, accounts: { [ACCOUNT_ID]: 'dev', [DEV]: 'dev' } },
    });
    expect(dev).toEqual({
      status: 'not-applicable',
      reason: `account ${ACCOUNT_ID} is in non-production environment dev`,
    });
  });

  it('finds the scanned account’s environment through its OU path', () => {
    const result = evaluate([aws(DEV)], {
      environments: { ...environments, accounts: { [DEV]: 'dev' } },
      accountOuPaths: new Map([[ACCOUNT_ID, ['r-ab12', OU_PROD]]]),
    });
    expect(crossed(result)).toEqual([DEV]);
    expect(result.status === 'fail' && result.evidence.environmentSource).toBe(`ou:${OU_PROD}`);
  });
});

describe('environments settings', () => {
  it('defaults to nothing mapped and prod as the production environment', () => {
    expect(parseScanSettings({}, 'test').environments).toEqual({
      accounts: {},
      ous: {},
      production: ['prod'],
    });
  });

  it.each([
    [{ accounts: { '12345': 'prod' } }, 'environments.accounts.12345: must be a 12-digit AWS account id'],
    [{ ous: { 'Prod OU': 'prod' } }, 'an OU id looks like ou-ab12-cd34ef56'],
    [{ accounts: { [DEV]: 'has space' } }, `environments.accounts.${DEV}: an environment name is letters`],
    [{ production: [] }, 'environments.production: name at least one production environment'],
    [{ prod: ['prod'] }, 'did you mean production?'],
  ])('rejects %j naming the key', (value, message) => {
    expect(() => parseScanSettings({ environments: value }, 'config.yaml')).toThrow(message);
  });

  it('maps an account by id before its OUs', () => {
    const lookup = environmentLookup(
      { accounts: { [IN_DEV_OU]: 'prod' }, ous: { [OU_DEV]: 'dev' }, production: ['prod'] },
      accountOuPaths,
    );
    expect(lookup(IN_DEV_OU)).toEqual({ name: 'prod', production: true, source: 'account' });
    expect(lookup(UNMAPPED)).toBeUndefined();
  });
});
