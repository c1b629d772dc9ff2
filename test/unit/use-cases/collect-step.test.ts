import { describe, expect, it } from 'vitest';
import type { CoverageGap } from '../../../functions/core/model';
import {
  type AccountSource,
  CheckpointMalformedError,
  type CollectionCheckpoint,
  type CollectOptions,
  collectAccount,
  collectAccountStep,
  parseCollectionCheckpoint,
} from '../../../functions/use-cases/collect';

const ACCOUNT = '111122223333';
const NOW = new Date('2026-06-01T12:00:00.000Z');
const roleArn = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const REPORT = [
  'user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated',
  `<root_account>,arn:aws:iam::${ACCOUNT}:root,2020-01-01T00:00:00+00:00,not_supported,N/A,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A`,
  `ci,arn:aws:iam::${ACCOUNT}:user/ci,2024-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,true,2024-01-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A`,
].join('\n');
const inline = [{ PolicyName: 'p', PolicyDocument: { Version: '2012-10-17', Statement: [] } }];

/** An account with five principals holding policies, a secret in each of two regions and a key. */
function fakeSource(): AccountSource & { calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const count = (operation: string, n = 1) => {
    calls[operation] = (calls[operation] ?? 0) + n;
  };
  const gap = (arn: string, source: string): CoverageGap => ({
    kind: 'coverage-gap',
    arn,
    accountId: ACCOUNT,
    source,
    category: 'AccessDenied',
    reason: `${arn} was not read.`,
  });
  return {
    calls,
    async callerIdentity() {
      count('sts:GetCallerIdentity');
      return { accountId: ACCOUNT };
    },
    async homeRegion() {
      return 'eu-west-1';
    },
    async organization() {
      count('organizations:DescribeOrganization');
      return { data: { Organization: null }, gaps: [] };
    },
    async enabledRegions() {
      count('ec2:DescribeRegions');
      return { data: ['eu-west-1', 'us-east-1'], gaps: [] };
    },
    async authorizationDetails() {
      count('iam:GetAccountAuthorizationDetails', 2);
      return {
        data: {
          UserDetailList: [],
          GroupDetailList: [],
          RoleDetailList: ['a', 'b', 'c', 'd', 'e'].map((name) => ({
            RoleName: name,
            Arn: roleArn(name),
            Path: '/',
            RolePolicyList: inline,
          })),
          Policies: [],
        },
        gaps: [],
      };
    },
    async credentialReport() {
      count('iam:GenerateCredentialReport');
      count('iam:GetCredentialReport');
      return { data: { content: REPORT, generatedAt: '2026-06-01T11:00:00.000Z' }, gaps: [] };
    },
    async accessKeys(_, users) {
      count('iam:ListAccessKeys', users.length);
      return {
        data: Object.fromEntries(users.map((user) => [user.userName, { AccessKeyMetadata: [] }])),
        gaps: [],
      };
    },
    async serverCertificates() {
      count('iam:ListServerCertificates');
      return { gaps: [gap(`arn:aws:iam::${ACCOUNT}:root`, 'iam:ListServerCertificates')] };
    },
    async secrets(_, region) {
      count('secretsmanager:ListSecrets');
      return {
        data: {
          SecretList: [{ ARN: `arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:db-AbCdEf`, Name: 'db' }],
        },
        gaps: [],
      };
    },
    async secretPolicies(_, secrets) {
      count('secretsmanager:GetResourcePolicy', secrets.length);
      return { data: secrets.map((secret) => ({ ARN: secret.arn, Name: 'db' })), gaps: [] };
    },
    async serviceLastAccessed(_, arns) {
      count('iam:GenerateServiceLastAccessedDetails', arns.length);
      const data: Record<string, unknown> = {};
      const gaps: CoverageGap[] = [];
      for (const arn of arns) {
        // Role b's job fails: a gap, and b has no data.
        if (arn.endsWith('/b')) gaps.push(gap(arn, 'iam:GetServiceLastAccessedDetails'));
        else
          data[arn] = {
            JobStatus: 'COMPLETED',
            JobCompletionDate: NOW.toISOString(),
            ServicesLastAccessed: [],
          };
      }
      return { data, gaps };
    },
    apiCalls: () => ({ ...calls }),
  };
}

// a: fresh, reused. c: stale and last in line, deferred by the cap (its stale data is kept).
const PREVIOUS: Record<string, unknown> = {
  [roleArn('a')]: { JobStatus: 'COMPLETED', JobCompletionDate: '2026-05-31T00:00:00.000Z' },
  [roleArn('c')]: { JobStatus: 'COMPLETED', JobCompletionDate: '2026-01-01T00:00:00.000Z' },
};

const OPTIONS: CollectOptions = {
  regions: 'all',
  settings: { disabledRules: [] },
  serviceLastAccessed: { maxJobs: 3, previous: PREVIOUS },
};

describe('collection in steps', () => {
  it('resumed one phase (or batch) at a time through JSON checkpoints, returns what one collection returns', async () => {
    const whole = await collectAccount({ source: fakeSource(), now: () => NOW }, OPTIONS);

    const phases: string[][] = [];
    let checkpoint: CollectionCheckpoint | undefined;
    for (let step = 0; step < 30; step++) {
      // A fresh source per step, as a fresh invocation has: its counter starts at zero.
      const result = await collectAccountStep(
        { source: fakeSource(), now: () => NOW },
        { ...OPTIONS, shouldStop: () => true, lastAccessedBatch: 1 },
        checkpoint,
      );
      if (result.done) {
        expect(result.result).toEqual(whole);
        expect(step).toBe(phases.length);
        break;
      }
      checkpoint = parseCollectionCheckpoint(JSON.parse(JSON.stringify(result.checkpoint)));
      phases.push(checkpoint.done);
    }
    expect(phases.at(-1)).toHaveLength(10);
    // Nine phases, service-last-accessed in three batches of one (b, d, e: c is deferred), then
    // the assembly.
    expect(phases.map((done) => done.length)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 10]);
    expect(whole.serviceLastAccessed).toEqual({ generated: 2, reused: 1, deferred: 1 });
    expect(whole.apiCalls['iam:GenerateServiceLastAccessedDetails']).toBe(3);
    expect(whole.raw.serviceLastAccessed?.[roleArn('b')]).toBeUndefined();
    expect(whole.raw.coverageGaps?.map((gap) => gap.arn)).toContain(roleArn('b'));
    expect(whole.raw.serviceLastAccessed?.[roleArn('c')]).toEqual(PREVIOUS[roleArn('c')]);
  });

  it('runs to the end in one step while the budget lasts', async () => {
    const whole = await collectAccount({ source: fakeSource(), now: () => NOW }, OPTIONS);
    const result = await collectAccountStep(
      { source: fakeSource(), now: () => NOW },
      { ...OPTIONS, shouldStop: () => false },
    );
    expect(result).toEqual({ done: true, result: whole });
  });

  it('rejects a malformed checkpoint, saying where', () => {
    const bad = {
      version: 1,
      accountId: ACCOUNT,
      collectedAt: NOW.toISOString(),
      done: ['identity', 'sleeping'],
    };
    expect(() => parseCollectionCheckpoint(bad)).toThrow(CheckpointMalformedError);
    expect(() => parseCollectionCheckpoint(bad)).toThrow(/\$\.done\.1/);
    expect(() => parseCollectionCheckpoint('{}')).toThrow(/the checkpoint is malformed/);
  });
});
