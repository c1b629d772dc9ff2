import {
  GetAccessKeyLastUsedCommand,
  GetGroupCommand,
  GetLoginProfileCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedGroupPoliciesCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupPoliciesCommand,
  ListGroupsForUserCommand,
  ListMFADevicesCommand,
  ListRolePoliciesCommand,
  ListUserPoliciesCommand,
  ListUserTagsCommand,
  NoSuchEntityException,
} from '@aws-sdk/client-iam';
import {
  DescribeSecretCommand,
  ResourceNotFoundException,
  RotateSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsLiveStateReader, LiveStateReadError } from '../../../functions/adapters/aws/live-state-reader';
import { AwsRemediationExecutor } from '../../../functions/adapters/aws/remediation-executor';
import type { Finding } from '../../../functions/core/finding';
import type { UserSnapshot } from '../../../functions/core/model';
import { ACCOUNT, anAccessKey, aRole, aSecret, findingFor } from './builders';

const iam = mockClient(IAMClient);
const secrets = mockClient(SecretsManagerClient);
const created = new Date('2023-01-01T00:00:00Z');
const encoded = (document: unknown) => encodeURIComponent(JSON.stringify(document));
const ADMIN = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

const clock = { now: () => 0, sleep: async () => {} };
const reader = () =>
  new AwsLiveStateReader(
    new IAMClient({ region: 'us-east-1' }),
    () => new SecretsManagerClient({ region: 'eu-west-1' }),
    { clock },
  );

beforeEach(() => {
  iam.reset();
  secrets.reset();
});

function stubUser(keys: { id: string; status: 'Active' | 'Inactive'; created: Date; used?: Date }[]): void {
  iam.on(GetUserCommand).resolves({
    User: {
      Path: '/bots/',
      UserName: 'deploy-bot',
      UserId: 'AIDA1',
      Arn: `arn:aws:iam::${ACCOUNT}:user/bots/deploy-bot`,
      CreateDate: created,
    },
  });
  iam
    .on(ListUserTagsCommand)
    .resolvesOnce({ Tags: [{ Key: 'team', Value: 'platform' }], IsTruncated: true, Marker: 'm1' })
    .resolvesOnce({ Tags: [{ Key: 'iam-posture:protected', Value: 'true' }] });
  iam.on(ListAttachedUserPoliciesCommand).resolves({ AttachedPolicies: [] });
  iam.on(ListUserPoliciesCommand).resolves({ PolicyNames: [] });
  iam.on(ListGroupsForUserCommand).resolves({ Groups: [] });
  iam.on(GetLoginProfileCommand).rejects(new NoSuchEntityException({ message: 'no profile', $metadata: {} }));
  iam.on(ListMFADevicesCommand).resolves({ MFADevices: [] });
  iam.on(ListAccessKeysCommand).resolves({
    AccessKeyMetadata: keys.map((k) => ({
      UserName: 'deploy-bot',
      AccessKeyId: k.id,
      Status: k.status,
      CreateDate: k.created,
    })),
  });
  for (const key of keys) {
    iam.on(GetAccessKeyLastUsedCommand, { AccessKeyId: key.id }).resolves({
      AccessKeyLastUsed: key.used
        ? { LastUsedDate: key.used, ServiceName: 's3', Region: 'eu-west-1' }
        : { ServiceName: 'N/A', Region: 'N/A' },
    });
  }
}

describe('AwsLiveStateReader', () => {
  const keyFinding = (keyId: string): Finding => ({
    ...findingFor(anAccessKey({ keyId }), 'access-key-unused'),
    resourceArn: `arn:aws:iam::${ACCOUNT}:user/bots/deploy-bot`,
    subResource: keyId,
  });

  it('reads an access key and its owner as the credential report and the rules see them', async () => {
    const newer = new Date('2024-03-01T00:00:00Z');
    stubUser([
      { id: 'AKIANEWER', status: 'Active', created: newer },
      { id: 'AKIAOLDER', status: 'Inactive', created: created, used: new Date('2024-01-02T00:00:00Z') },
    ]);
    const fresh = await reader().read(keyFinding('AKIANEWER'));
    expect(fresh.snapshot).toEqual({
      kind: 'access-key',
      arn: `arn:aws:iam::${ACCOUNT}:user/bots/deploy-bot`,
      accountId: ACCOUNT,
      userName: 'deploy-bot',
      isRoot: false,
      slot: 2,
      keyId: 'AKIANEWER',
      active: true,
      createdAt: newer,
      userCreatedAt: created,
    });
    expect(fresh.owner).toMatchObject({
      kind: 'user',
      name: 'deploy-bot',
      path: '/bots/',
      tags: { team: 'platform', 'iam-posture:protected': 'true' },
      credentials: { passwordEnabled: false, mfaActive: false },
    });
    expect(
      fresh.owner?.credentials?.accessKeys.map((k) => [k.keyId, k.slot, k.active, k.lastUsedService]),
    ).toEqual([
      ['AKIAOLDER', 1, false, 's3'],
      ['AKIANEWER', 2, true, undefined],
    ]);
    // Both pages of tags were read (the protection tag is on the second).
    expect(iam.commandCalls(ListUserTagsCommand)).toHaveLength(2);
  });

  it('answers "gone" for a deleted key or user, not an error', async () => {
    stubUser([{ id: 'AKIAOTHER', status: 'Active', created }]);
    expect((await reader().read(keyFinding('AKIAGONE'))).snapshot).toBeUndefined();
    iam.on(GetUserCommand).rejects(new NoSuchEntityException({ message: 'no user', $metadata: {} }));
    expect(await reader().read(keyFinding('AKIAGONE'))).toEqual({});
  });

  it('reads a role with its last use, tags, and every policy document', async () => {
    const role = aRole({ name: 'ci' });
    iam.on(GetRoleCommand).resolves({
      Role: {
        Path: '/',
        RoleName: 'ci',
        RoleId: 'AROA1',
        Arn: role.arn,
        CreateDate: created,
        AssumeRolePolicyDocument: encoded({ Version: '2012-10-17', Statement: [] }),
        RoleLastUsed: { LastUsedDate: new Date('2024-05-01T00:00:00Z'), Region: 'eu-west-1' },
        Tags: [{ Key: 'owner', Value: 'ci' }],
      },
    });
    iam.on(ListAttachedRolePoliciesCommand).resolves({
      AttachedPolicies: [
        { PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess', PolicyName: 'AdministratorAccess' },
      ],
    });
    iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: ['inline'] });
    iam.on(GetRolePolicyCommand).resolves({ PolicyDocument: encoded(ADMIN) });
    iam
      .on(GetPolicyCommand)
      .resolves({ Policy: { PolicyName: 'AdministratorAccess', DefaultVersionId: 'v3' } });
    iam
      .on(GetPolicyVersionCommand, { VersionId: 'v3' })
      .resolves({ PolicyVersion: { Document: encoded(ADMIN) } });

    const fresh = await reader().read(findingFor(role, 'role-unused'));
    expect(fresh.snapshot).toMatchObject({
      kind: 'role',
      name: 'ci',
      roleId: 'AROA1',
      createdAt: created,
      lastUsedAt: new Date('2024-05-01T00:00:00Z'),
      lastUsedRegion: 'eu-west-1',
      tags: { owner: 'ci' },
      managedPolicies: [
        {
          arn: 'arn:aws:iam::aws:policy/AdministratorAccess',
          name: 'AdministratorAccess',
          awsManaged: true,
          document: {
            version: '2012-10-17',
            statements: [expect.objectContaining({ effect: 'Allow', actions: ['*'] })],
          },
        },
      ],
      inlinePolicies: [{ name: 'inline', document: expect.objectContaining({ version: '2012-10-17' }) }],
    });
  });

  it('fails closed: a read that is denied is an error, never an empty or partial snapshot', async () => {
    const role = aRole({ name: 'ci' });
    iam
      .on(GetRoleCommand)
      .resolves({ Role: { Path: '/', RoleName: 'ci', RoleId: 'A', Arn: role.arn, CreateDate: created } });
    iam
      .on(ListAttachedRolePoliciesCommand)
      .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDenied' }));
    await expect(reader().read(findingFor(role, 'role-unused'))).rejects.toThrow(LiveStateReadError);
    await expect(reader().read(findingFor(role, 'role-unused'))).rejects.toThrow(
      `The live state of ${role.arn} could not be read: AccessDenied: not authorized.`,
    );
  });

  it('fails closed on a document the normalizer finds malformed, naming it as a scan would', async () => {
    const role = aRole({ name: 'ci' });
    iam.on(GetRoleCommand).resolves({
      Role: {
        Path: '/',
        RoleName: 'ci',
        RoleId: 'A',
        Arn: role.arn,
        CreateDate: created,
        AssumeRolePolicyDocument: encoded({ Version: '2012-10-17', Statement: [] }),
      },
    });
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [] });
    iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: ['broken'] });
    iam.on(GetRolePolicyCommand).resolves({ PolicyDocument: encodeURIComponent('{"Statement": 1') });
    await expect(reader().read(findingFor(role, 'role-unused'))).rejects.toThrow(
      new RegExp(
        `^The live state of ${role.arn} is incomplete: Inline policy broken of role ci is malformed`,
      ),
    );
  });

  it("maps a user with its groups' policies, fetching a policy they share once", async () => {
    const shared = `arn:aws:iam::${ACCOUNT}:policy/shared`;
    stubUser([]);
    iam
      .on(ListGroupsForUserCommand)
      .resolves({ Groups: [{ GroupName: 'ops', GroupId: 'G', Arn: '', Path: '/', CreateDate: created }] });
    iam.on(GetGroupCommand).resolves({
      Group: {
        GroupName: 'ops',
        GroupId: 'G',
        Arn: `arn:aws:iam::${ACCOUNT}:group/ops`,
        Path: '/',
        CreateDate: created,
      },
      Users: [],
    });
    iam
      .on(ListAttachedGroupPoliciesCommand)
      .resolves({ AttachedPolicies: [{ PolicyArn: shared, PolicyName: 'shared' }] });
    iam.on(ListGroupPoliciesCommand).resolves({ PolicyNames: [] });
    iam
      .on(ListAttachedUserPoliciesCommand)
      .resolves({ AttachedPolicies: [{ PolicyArn: shared, PolicyName: 'shared' }] });
    iam.on(GetPolicyCommand).resolves({ Policy: { PolicyName: 'shared', DefaultVersionId: 'v1' } });
    iam.on(GetPolicyVersionCommand).resolves({ PolicyVersion: { Document: encoded(ADMIN) } });
    const user = (
      await reader().read({ ...keyFinding('AKIAUNUSED'), resourceType: 'user', subResource: undefined })
    ).snapshot as UserSnapshot;
    expect(user.groups.map((g) => [g.name, g.createdAt, g.managedPolicies.map((p) => p.name)])).toEqual([
      ['ops', created, ['shared']],
    ]);
    expect(user.managedPolicies[0]).toBe(user.groups[0]?.managedPolicies[0]);
    expect(user.managedPolicies[0]?.document?.statements).toHaveLength(1);
    expect(iam.commandCalls(GetPolicyCommand)).toHaveLength(1);
  });

  it('reads a secret in its region and treats a deleted or missing one as gone', async () => {
    const secret = aSecret();
    secrets.on(DescribeSecretCommand).resolvesOnce({
      ARN: secret.arn,
      Name: secret.name,
      RotationEnabled: true,
      RotationRules: { AutomaticallyAfterDays: 30 },
      LastRotatedDate: created,
      CreatedDate: created,
      Tags: [{ Key: 'iam-posture:protected', Value: 'true' }],
    });
    const finding = findingFor(secret, 'secret-not-rotated');
    expect((await reader().read(finding)).snapshot).toEqual({
      kind: 'secret',
      arn: secret.arn,
      accountId: ACCOUNT,
      name: secret.name,
      region: 'eu-west-1',
      createdAt: created,
      lastRotatedAt: created,
      rotationEnabled: true,
      rotationIntervalDays: 30,
      policyState: 'unknown',
      tags: { 'iam-posture:protected': 'true' },
    });
    secrets
      .on(DescribeSecretCommand)
      .resolvesOnce({ ARN: secret.arn, Name: secret.name, DeletedDate: created });
    expect(await reader().read(finding)).toEqual({});
    secrets
      .on(DescribeSecretCommand)
      .rejects(new ResourceNotFoundException({ message: 'gone', $metadata: {} }));
    expect(await reader().read(finding)).toEqual({});
  });
});

describe('AwsRemediationExecutor: rotate-secret', () => {
  const secretId = aSecret().arn;
  const step = { action: 'rotate-secret' as const, secretId, region: 'eu-west-1' };
  const executor = (timeoutMs = 10_000) => {
    let now = 0;
    return new AwsRemediationExecutor(
      new IAMClient({ region: 'us-east-1' }),
      () => new SecretsManagerClient({ region: 'eu-west-1' }),
      {
        clock: {
          now: () => now,
          sleep: async (ms) => {
            now += ms;
          },
        },
        rotation: { timeoutMs },
      },
    );
  };

  it('records the staging labels, rotates, and waits until AWSCURRENT moves to the new version', async () => {
    secrets
      .on(DescribeSecretCommand)
      .resolvesOnce({ VersionIdsToStages: { v1: ['AWSCURRENT'], v0: ['AWSPREVIOUS'] } })
      .resolvesOnce({ VersionIdsToStages: { v1: ['AWSCURRENT'], v2: ['AWSPENDING'], v0: ['AWSPREVIOUS'] } })
      .resolves({ VersionIdsToStages: { v2: ['AWSCURRENT', 'AWSPENDING'], v1: ['AWSPREVIOUS'], v0: [] } });
    const run = executor();
    const before = await run.captureBefore(step);
    expect(before).toEqual({ ...step, currentVersionId: 'v1', previousVersionId: 'v0' });
    await run.apply(step);
    expect(secrets.commandCalls(RotateSecretCommand).map((c) => c.args[0].input)).toEqual([
      { SecretId: secretId },
    ]);
    expect(await run.verify(step, before)).toBeUndefined();
    expect(secrets.commandCalls(DescribeSecretCommand)).toHaveLength(3);
  });

  it('reports a rotation that does not complete in time', async () => {
    secrets
      .on(DescribeSecretCommand)
      .resolves({ VersionIdsToStages: { v1: ['AWSCURRENT'], v2: ['AWSPENDING'] } });
    const before = { ...step, currentVersionId: 'v1' };
    expect(await executor(2_000).verify(step, before)).toMatch(/was not rotated within 2 s/);
  });

  it('puts every label back on its recorded version, AWSCURRENT first', async () => {
    let stages: Record<string, string[]> = { v2: ['AWSCURRENT'], v1: ['AWSPREVIOUS'], v0: [] };
    secrets
      .on(DescribeSecretCommand)
      .callsFake(async () => ({ VersionIdsToStages: structuredClone(stages) }));
    secrets.on(UpdateSecretVersionStageCommand).callsFake(async (input) => {
      // As Secrets Manager does: moving AWSCURRENT moves AWSPREVIOUS to the version it left.
      const next = Object.fromEntries(
        Object.entries(stages).map(([v, l]) => [v, l.filter((x) => x !== input.VersionStage)]),
      );
      if (input.MoveToVersionId) next[input.MoveToVersionId]!.push(input.VersionStage);
      if (input.VersionStage === 'AWSCURRENT' && input.RemoveFromVersionId) {
        for (const labels of Object.values(next))
          labels.splice(0, labels.length, ...labels.filter((x) => x !== 'AWSPREVIOUS'));
        next[input.RemoveFromVersionId]!.push('AWSPREVIOUS');
      }
      stages = next;
      return {};
    });
    const before = { ...step, currentVersionId: 'v1', previousVersionId: 'v0' };
    const run = executor();
    await run.restore(before);
    expect(secrets.commandCalls(UpdateSecretVersionStageCommand).map((c) => c.args[0].input)).toEqual([
      { SecretId: secretId, VersionStage: 'AWSCURRENT', RemoveFromVersionId: 'v2', MoveToVersionId: 'v1' },
      { SecretId: secretId, VersionStage: 'AWSPREVIOUS', RemoveFromVersionId: 'v2', MoveToVersionId: 'v0' },
    ]);
    expect(await run.verifyRestored(before)).toBeUndefined();
    expect(stages).toEqual({ v2: [], v1: ['AWSCURRENT'], v0: ['AWSPREVIOUS'] });
  });
});
