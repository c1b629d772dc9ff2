import { describe, expect, it } from 'vitest';
import { EXPORT_FILES, type RawAccountData } from '../../../functions/core/raw';
import { DEFAULT_SETTINGS } from '../../../functions/core/settings';
import { analyzeAccount } from '../../../functions/use-cases/analyze';

const HEADER =
  'user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated';
const ROOT =
  '<root_account>,arn:aws:iam::111122223333:root,2019-01-01T00:00:00+00:00,not_supported,2025-05-01T00:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A';

/** One owned role last used on 2025-03-01, so whether `role-unused` fails depends on the evaluation time. */
function raw(account?: unknown): RawAccountData {
  return {
    authorizationDetails: [
      {
        RoleDetailList: [
          {
            Path: '/',
            RoleName: 'batch',
            Arn: 'arn:aws:iam::111122223333:role/batch',
            CreateDate: '2024-01-01T00:00:00Z',
            AssumeRolePolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
              ],
            },
            RolePolicyList: [],
            AttachedManagedPolicies: [
              { PolicyName: 'Missing', PolicyArn: 'arn:aws:iam::111122223333:policy/Missing' },
            ],
            RoleLastUsed: { LastUsedDate: '2025-03-01T00:00:00Z', Region: 'us-east-1' },
            Tags: [{ Key: 'owner', Value: 'data-team' }],
          },
        ],
      },
    ],
    credentialReport: `${HEADER}\n${ROOT}\n`,
    ...(account === undefined ? {} : { account }),
    coverageGaps: [],
    sources: { ...EXPORT_FILES },
  };
}

const ruleIds = (report: ReturnType<typeof analyzeAccount>) => report.findings.map((f) => f.ruleId).sort();

describe('analyzeAccount', () => {
  it('evaluates as of --as-of when given', () => {
    const report = analyzeAccount(raw({ AccountId: '111122223333', CollectedAt: '2025-04-01T00:00:00Z' }), {
      settings: DEFAULT_SETTINGS,
      asOf: new Date('2025-07-01T00:00:00Z'),
      now: new Date('2026-01-01T00:00:00Z'),
    });
    expect(report.summary.evaluatedAt).toBe('2025-07-01T00:00:00.000Z');
    expect(ruleIds(report)).toEqual(['role-unused', 'scan-coverage-gap']);
  });

  it('else as of the collection time of the data', () => {
    const report = analyzeAccount(raw({ AccountId: '111122223333', CollectedAt: '2025-04-01T00:00:00Z' }), {
      settings: DEFAULT_SETTINGS,
      now: new Date('2026-01-01T00:00:00Z'),
    });
    expect(report.summary.evaluatedAt).toBe('2025-04-01T00:00:00.000Z');
    expect(ruleIds(report)).toEqual(['scan-coverage-gap']);
  });

  it('else as of now', () => {
    const report = analyzeAccount(raw(), {
      settings: DEFAULT_SETTINGS,
      now: new Date('2026-01-01T00:00:00Z'),
    });
    expect(report.summary.evaluatedAt).toBe('2026-01-01T00:00:00.000Z');
    expect(report.summary.accountId).toBe('111122223333');
  });

  it('summarises the API calls of a live collection last in the summary, with their total', () => {
    const apiCalls = { 'iam:ListRoles': 3, 'sts:GetCallerIdentity': 1 };
    const options = { settings: DEFAULT_SETTINGS, now: new Date('2026-01-01T00:00:00Z') };
    const report = analyzeAccount(raw(), { ...options, apiCalls });
    expect(report.summary.apiCalls).toEqual({ total: 4, byOperation: apiCalls });
    expect(Object.keys(report.summary).at(-1)).toBe('apiCalls');
    expect(analyzeAccount(raw(), options).summary).not.toHaveProperty('apiCalls');
  });

  it('lists the coverage gaps of the inventory', () => {
    const report = analyzeAccount(raw(), {
      settings: DEFAULT_SETTINGS,
      now: new Date('2025-04-01T00:00:00Z'),
    });
    expect(report.coverage).toEqual([
      expect.objectContaining({
        arn: 'arn:aws:iam::111122223333:policy/Missing',
        accountId: '111122223333',
        source: 'authorization-details.json',
        category: 'Missing',
      }),
    ]);
    expect(report.coverage[0]).not.toHaveProperty('kind');
    expect(report.summary.coverageGaps).toBe(1);
  });

  it('computes the posture unless told the output never shows it, with the same findings', () => {
    const options = { settings: DEFAULT_SETTINGS, now: new Date('2025-04-01T00:00:00Z') };
    const withPosture = analyzeAccount(raw(), options);
    const without = analyzeAccount(raw(), { ...options, posture: false });
    expect(withPosture.posture?.identities).toBeDefined();
    expect(without.posture).toBeUndefined();
    expect(without.findings).toEqual(withPosture.findings);
    expect(without.summary).toEqual(withPosture.summary);
  });

  it('applies the settings: thresholds and disabled rules', () => {
    const report = analyzeAccount(raw(), {
      settings: {
        ...DEFAULT_SETTINGS,
        thresholds: { ...DEFAULT_SETTINGS.thresholds, roleUnusedDays: 30 },
        disabledRules: ['scan-coverage-gap'],
      },
      now: new Date('2025-04-01T00:00:00Z'),
    });
    expect(ruleIds(report)).toEqual(['role-unused']);
    expect(report.findings[0]!.evidence).toMatchObject({ idleDays: 31, thresholdDays: 30 });
    expect(report.findings[0]!.owner).toEqual({ id: 'data-team', source: 'tag:owner' });
  });

  it('passes OU paths on to the environments mapped by OU', () => {
    const settings = {
      ...DEFAULT_SETTINGS,
      environments: { accounts: {}, ous: { 'ou-ab12-prod0001': 'prod' }, production: ['prod'] },
    };
    const trusting = raw();
    const role = (trusting.authorizationDetails as { RoleDetailList: Record<string, unknown>[] }[])[0]!
      .RoleDetailList[0]!;
    role.AssumeRolePolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: '444455556666' }, Action: 'sts:AssumeRole' }],
    };
    const options = {
      settings: {
        ...settings,
        environments: { ...settings.environments, accounts: { '444455556666': 'dev' } },
      },
      now: new Date('2025-03-02T00:00:00Z'),
    };
    expect(ruleIds(analyzeAccount(trusting, options))).not.toContain('trust-cross-environment');
    const withOus = analyzeAccount(trusting, {
      ...options,
      accountOuPaths: new Map([['111122223333', ['r-ab12', 'ou-ab12-prod0001']]]),
    });
    expect(ruleIds(withOus)).toContain('trust-cross-environment');
  });
});
