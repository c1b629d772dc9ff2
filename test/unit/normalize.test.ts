import { describe, expect, it } from 'vitest';
import { readCredentialReportCsv } from '../../functions/core/credential-report';
import type { CoverageGap, Inventory } from '../../functions/core/model';
import {
  normalize,
  normalizeIdentities,
  parseAwsTimestamp,
  TimestampFormatError,
} from '../../functions/core/normalize';
import { EXPORT_FILES, type RawAccountData } from '../../functions/core/raw';

const ACCOUNT = '123456789012';
const HEADER =
  'user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated';

const trust = (principal: unknown) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole' }],
});
const allow = (action: string) => ({
  Version: '2012-10-17',
  Statement: { Effect: 'Allow', Action: action, Resource: '*' },
});

function aRole(name: string, extra: Record<string, unknown> = {}) {
  return {
    Path: '/',
    RoleName: name,
    RoleId: `AROA${name.toUpperCase()}`,
    Arn: `arn:aws:iam::${ACCOUNT}:role/${name}`,
    CreateDate: '2024-01-01T00:00:00Z',
    AssumeRolePolicyDocument: trust({ Service: 'lambda.amazonaws.com' }),
    RolePolicyList: [],
    AttachedManagedPolicies: [],
    Tags: [],
    RoleLastUsed: {},
    ...extra,
  };
}

function aUser(name: string, extra: Record<string, unknown> = {}) {
  return {
    Path: '/',
    UserName: name,
    Arn: `arn:aws:iam::${ACCOUNT}:user/${name}`,
    CreateDate: '2023-01-01T00:00:00Z',
    UserPolicyList: [],
    GroupList: [],
    AttachedManagedPolicies: [],
    Tags: [],
    ...extra,
  };
}

function aManagedPolicy(arn: string, versions: { id: string; isDefault: boolean; document: unknown }[]) {
  return {
    PolicyName: arn.slice(arn.lastIndexOf('/') + 1),
    Arn: arn,
    Path: '/',
    DefaultVersionId: versions.find((v) => v.isDefault)?.id,
    PolicyVersionList: versions.map((v) => ({
      Document: v.document,
      VersionId: v.id,
      IsDefaultVersion: v.isDefault,
    })),
  };
}

/** A credential report row in header order; unspecified columns are absent values. */
function reportRow(values: Record<string, string>): string {
  const defaults: Record<string, string> = {
    password_enabled: 'false',
    mfa_active: 'false',
    access_key_1_active: 'false',
    access_key_2_active: 'false',
    cert_1_active: 'false',
    cert_2_active: 'false',
  };
  return HEADER.split(',')
    .map((column) => values[column] ?? defaults[column] ?? 'N/A')
    .join(',');
}

const rootRow = reportRow({
  user: '<root_account>',
  arn: `arn:aws:iam::${ACCOUNT}:root`,
  user_creation_time: '2019-01-01T00:00:00+00:00',
  password_enabled: 'not_supported',
  password_last_changed: 'not_supported',
  password_next_rotation: 'not_supported',
  mfa_active: 'true',
});

function userRow(name: string, values: Record<string, string> = {}): string {
  return reportRow({
    user: name,
    arn: `arn:aws:iam::${ACCOUNT}:user/${name}`,
    user_creation_time: '2023-01-01T00:00:00+00:00',
    ...values,
  });
}

function raw(overrides: Partial<RawAccountData> = {}): RawAccountData {
  return {
    authorizationDetails: [{ UserDetailList: [], GroupDetailList: [], RoleDetailList: [], Policies: [] }],
    credentialReport: `${HEADER}\n${rootRow}\n`,
    coverageGaps: [],
    sources: { ...EXPORT_FILES },
    ...overrides,
  };
}

function gapsOf(inventory: Inventory, source?: string): CoverageGap[] {
  return inventory.coverageGaps.filter((gap) => source === undefined || gap.source === source);
}

describe('normalize', () => {
  describe('roles', () => {
    const deployArn = `arn:aws:iam::${ACCOUNT}:policy/deploy`;
    const boundaryArn = `arn:aws:iam::${ACCOUNT}:policy/boundary`;
    const inventory = normalize(
      raw({
        authorizationDetails: [
          {
            RoleDetailList: [
              aRole('ci-deploy', {
                Path: '/ci/',
                CreateDate: '2023-01-15T10:00:00+00:00',
                RoleLastUsed: { LastUsedDate: 1717200000, Region: 'eu-west-1' },
                AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(trust({ AWS: '999999999999' }))),
                RolePolicyList: [{ PolicyName: 'inline-a', PolicyDocument: allow('s3:GetObject') }],
                AttachedManagedPolicies: [{ PolicyName: 'deploy', PolicyArn: deployArn }],
                PermissionsBoundary: {
                  PermissionsBoundaryType: 'Policy',
                  PermissionsBoundaryArn: boundaryArn,
                },
                Tags: [
                  { Key: 'owner', Value: 'platform' },
                  { Key: 'iam-posture:protected', Value: 'true' },
                ],
              }),
              aRole('worker', { AttachedManagedPolicies: [{ PolicyName: 'deploy', PolicyArn: deployArn }] }),
            ],
            Policies: [
              aManagedPolicy(deployArn, [
                { id: 'v1', isDefault: false, document: allow('*') },
                { id: 'v2', isDefault: true, document: allow('lambda:UpdateFunctionCode') },
              ]),
              aManagedPolicy(boundaryArn, [{ id: 'v1', isDefault: true, document: allow('s3:*') }]),
            ],
          },
        ],
      }),
    );

    it('reads name, path, id, dates, last use and tags', () => {
      const role = inventory.roles[0]!;
      expect(role).toMatchObject({
        kind: 'role',
        arn: `arn:aws:iam::${ACCOUNT}:role/ci-deploy`,
        accountId: ACCOUNT,
        name: 'ci-deploy',
        path: '/ci/',
        roleId: 'AROACI-DEPLOY',
        createdAt: new Date('2023-01-15T10:00:00Z'),
        lastUsedAt: new Date(1717200000 * 1000),
        lastUsedRegion: 'eu-west-1',
        tags: { owner: 'platform', 'iam-posture:protected': 'true' },
      });
    });

    it('leaves last use undefined for a role never used', () => {
      expect(inventory.roles[1]?.lastUsedAt).toBeUndefined();
      expect(inventory.roles[1]?.lastUsedRegion).toBeUndefined();
    });

    it('parses the trust policy, URL-encoded or not', () => {
      expect(inventory.roles[0]?.trustPolicy?.statements[0]?.principals).toEqual([
        { kind: 'aws', value: '999999999999' },
      ]);
      expect(inventory.roles[1]?.trustPolicy?.statements[0]?.principals).toEqual([
        { kind: 'service', value: 'lambda.amazonaws.com' },
      ]);
    });

    it('reads inline policies', () => {
      expect(inventory.roles[0]?.inlinePolicies).toEqual([
        {
          name: 'inline-a',
          document: {
            version: '2012-10-17',
            statements: [
              { effect: 'Allow', actions: ['s3:GetObject'], resources: ['*'], conditions: [], index: 0 },
            ],
          },
        },
      ]);
    });

    it('resolves attached policies to one shared object holding the default version', () => {
      const deploy = inventory.managedPolicies.get(deployArn)!;
      expect(deploy).toMatchObject({ arn: deployArn, name: 'deploy', awsManaged: false });
      expect(deploy.document?.statements[0]?.actions).toEqual(['lambda:UpdateFunctionCode']);
      expect(inventory.roles[0]?.managedPolicies[0]).toBe(deploy);
      expect(inventory.roles[1]?.managedPolicies[0]).toBe(deploy);
    });

    it('resolves the permissions boundary', () => {
      expect(inventory.roles[0]?.permissionsBoundary).toBe(inventory.managedPolicies.get(boundaryArn));
      expect(inventory.roles[1]?.permissionsBoundary).toBeUndefined();
    });

    it('records no gap for complete data', () => {
      expect(inventory.coverageGaps).toEqual([]);
    });
  });

  describe('managed policies', () => {
    it('finds the default version by IsDefaultVersion, not by position', () => {
      const arn = `arn:aws:iam::${ACCOUNT}:policy/p`;
      const inventory = normalize(
        raw({
          authorizationDetails: [
            {
              Policies: [
                aManagedPolicy(arn, [
                  { id: 'v3', isDefault: false, document: allow('a:first') },
                  { id: 'v4', isDefault: true, document: allow('a:default') },
                  { id: 'v5', isDefault: false, document: allow('a:last') },
                ]),
              ],
            },
          ],
        }),
      );
      expect(inventory.managedPolicies.get(arn)?.document?.statements[0]?.actions).toEqual(['a:default']);
    });

    it('gives an attached policy absent from Policies no document and one gap, however often attached', () => {
      const arn = 'arn:aws:iam::aws:policy/aws-service-role/AWSSupportServiceRolePolicy';
      const attached = [{ PolicyName: 'AWSSupportServiceRolePolicy', PolicyArn: arn }];
      const inventory = normalize(
        raw({
          authorizationDetails: [
            {
              RoleDetailList: [
                aRole('a', { AttachedManagedPolicies: attached }),
                aRole('b', { AttachedManagedPolicies: attached }),
              ],
              UserDetailList: [aUser('u', { AttachedManagedPolicies: attached })],
              Policies: [],
            },
          ],
          credentialReport: `${HEADER}\n${rootRow}\n${userRow('u')}\n`,
        }),
      );
      const policy = inventory.managedPolicies.get(arn)!;
      expect(policy).toEqual({ arn, name: 'AWSSupportServiceRolePolicy', awsManaged: true });
      expect(inventory.roles[1]?.managedPolicies[0]).toBe(policy);
      expect(inventory.users[0]?.managedPolicies[0]).toBe(policy);
      expect(inventory.coverageGaps).toEqual([
        {
          kind: 'coverage-gap',
          arn,
          accountId: ACCOUNT,
          source: 'authorization-details.json',
          category: 'Missing',
          reason:
            'Managed policy AWSSupportServiceRolePolicy is attached to role a but its document is not in the authorization details; its permissions were not analysed.',
        },
      ]);
    });

    it('derives a missing PolicyName from the ARN (moto omits it)', () => {
      const listed = 'arn:aws:iam::aws:policy/job-function/ViewOnlyAccess';
      const unlisted = `arn:aws:iam::${ACCOUNT}:policy/team/custom-thing`;
      const { PolicyName: _omitted, ...withoutName } = aManagedPolicy(listed, [
        { id: 'v1', isDefault: true, document: allow('s3:List*') },
      ]);
      const inventory = normalize(
        raw({
          authorizationDetails: [
            {
              RoleDetailList: [
                aRole('r', { AttachedManagedPolicies: [{ PolicyArn: listed }, { PolicyArn: unlisted }] }),
              ],
              Policies: [withoutName],
            },
          ],
        }),
      );
      expect(inventory.managedPolicies.get(listed)).toMatchObject({
        name: 'ViewOnlyAccess',
        awsManaged: true,
      });
      expect(inventory.managedPolicies.get(unlisted)).toEqual({
        arn: unlisted,
        name: 'custom-thing',
        awsManaged: false,
      });
      expect(inventory.roles[0]?.managedPolicies.map((p) => p.name)).toEqual([
        'ViewOnlyAccess',
        'custom-thing',
      ]);
    });

    it('records a gap for a malformed default version and keeps the policy without document', () => {
      const arn = `arn:aws:iam::${ACCOUNT}:policy/broken`;
      const inventory = normalize(
        raw({
          authorizationDetails: [
            {
              RoleDetailList: [
                aRole('r', { AttachedManagedPolicies: [{ PolicyName: 'broken', PolicyArn: arn }] }),
              ],
              Policies: [
                aManagedPolicy(arn, [
                  {
                    id: 'v1',
                    isDefault: true,
                    document: { Statement: [{ Effect: 'Allow', Action: 'a', NotAction: 'b' }] },
                  },
                ]),
              ],
            },
          ],
        }),
      );
      expect(inventory.managedPolicies.get(arn)).toEqual({ arn, name: 'broken', awsManaged: false });
      expect(inventory.roles[0]?.managedPolicies[0]).toBe(inventory.managedPolicies.get(arn));
      expect(inventory.coverageGaps).toEqual([
        expect.objectContaining({
          arn,
          category: 'Malformed',
          detail: '$[0].Policies[0].PolicyVersionList[0].Document.Statement[0]',
          reason:
            'The default version of managed policy broken is malformed (statement has both Action and NotAction); its permissions were not analysed.',
        }),
      ]);
    });
  });

  describe('users and groups', () => {
    const inventory = normalize(
      raw({
        authorizationDetails: [
          {
            GroupDetailList: [
              {
                Path: '/',
                GroupName: 'developers',
                Arn: `arn:aws:iam::${ACCOUNT}:group/developers`,
                CreateDate: '2020-01-01T00:00:00Z',
                GroupPolicyList: [{ PolicyName: 'g-inline', PolicyDocument: allow('sts:AssumeRole') }],
                AttachedManagedPolicies: [],
              },
            ],
            UserDetailList: [
              aUser('alice', {
                Path: '/people/',
                GroupList: ['developers', 'ghosts'],
                UserPolicyList: [
                  { PolicyName: 'u-inline', PolicyDocument: JSON.stringify(allow('iam:ListAccessKeys')) },
                ],
                Tags: [{ Key: 'team', Value: 'web' }],
              }),
            ],
          },
        ],
        credentialReport: `${HEADER}\n${rootRow}\n${userRow('alice', { password_enabled: 'true', mfa_active: 'true', password_last_used: '2025-01-02T03:04:05+00:00' })}\n`,
      }),
    );

    it('reads groups with their policies', () => {
      expect(inventory.groups).toHaveLength(1);
      expect(inventory.groups[0]).toMatchObject({
        kind: 'group',
        name: 'developers',
        createdAt: new Date('2020-01-01T00:00:00Z'),
      });
      expect(inventory.groups[0]?.inlinePolicies[0]?.name).toBe('g-inline');
    });

    it('resolves GroupList to the group snapshots and reports an unknown group', () => {
      const alice = inventory.users.find((u) => u.name === 'alice')!;
      expect(alice.groups).toHaveLength(1);
      expect(alice.groups[0]).toBe(inventory.groups[0]);
      expect(gapsOf(inventory)).toEqual([
        expect.objectContaining({
          arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
          category: 'Missing',
          detail: '$[0].UserDetailList[0].GroupList[1]',
        }),
      ]);
      expect(gapsOf(inventory)[0]?.reason).toContain('group ghosts');
    });

    it('reads the user with policies, tags and credentials', () => {
      const alice = inventory.users.find((u) => u.name === 'alice')!;
      expect(alice).toMatchObject({
        kind: 'user',
        isRoot: false,
        path: '/people/',
        createdAt: new Date('2023-01-01T00:00:00Z'),
        tags: { team: 'web' },
        credentials: {
          passwordEnabled: true,
          mfaActive: true,
          passwordLastUsedAt: new Date('2025-01-02T03:04:05Z'),
          accessKeys: [],
        },
      });
      expect(alice.inlinePolicies[0]?.document.statements[0]?.actions).toEqual(['iam:ListAccessKeys']);
    });

    it('adds the <root_account> user from the credential report', () => {
      const root = inventory.users.find((u) => u.isRoot)!;
      expect(root).toMatchObject({
        kind: 'user',
        arn: `arn:aws:iam::${ACCOUNT}:root`,
        accountId: ACCOUNT,
        name: '<root_account>',
        isRoot: true,
        createdAt: new Date('2019-01-01T00:00:00Z'),
        groups: [],
        inlinePolicies: [],
        managedPolicies: [],
        credentials: { passwordEnabled: false, mfaActive: true, accessKeys: [] },
      });
      expect(inventory.users.filter((u) => u.isRoot)).toHaveLength(1);
    });
  });

  describe('access keys', () => {
    const report = [
      HEADER,
      rootRow.replace(
        'true,false,N/A,N/A,N/A,N/A,false,N/A',
        'true,true,2019-02-01T00:00:00+00:00,2025-05-01T00:00:00+00:00,us-east-1,s3,false,N/A',
      ),
      userRow('two-keys', {
        access_key_1_active: 'true',
        access_key_1_last_rotated: '2024-01-05T07:30:00+00:00',
        access_key_1_last_used_date: '2025-05-31T23:10:00+00:00',
        access_key_1_last_used_region: 'eu-west-1',
        access_key_1_last_used_service: 'lambda',
        access_key_2_active: 'false',
        access_key_2_last_rotated: '2021-06-10T12:01:00+00:00',
        access_key_2_last_used_date: 'N/A',
      }),
      userRow('no-keys'),
      userRow('second-slot-only', {
        access_key_2_active: 'true',
        access_key_2_last_rotated: '2025-01-01T00:00:00+00:00',
      }),
    ].join('\n');
    const authorizationDetails = [
      { UserDetailList: [aUser('two-keys'), aUser('no-keys'), aUser('second-slot-only')] },
    ];

    it('makes one snapshot per key slot that ever held a key, never one per user', () => {
      const inventory = normalize(raw({ authorizationDetails, credentialReport: report }));
      expect(inventory.accessKeys.map((k) => [k.userName, k.slot, k.active])).toEqual([
        ['<root_account>', 1, true],
        ['two-keys', 1, true],
        ['two-keys', 2, false],
        ['second-slot-only', 2, true],
      ]);
      const [rootKey, first, second] = inventory.accessKeys;
      expect(rootKey).toMatchObject({
        arn: `arn:aws:iam::${ACCOUNT}:root`,
        isRoot: true,
        lastUsedService: 's3',
      });
      expect(first).toEqual({
        kind: 'access-key',
        arn: `arn:aws:iam::${ACCOUNT}:user/two-keys`,
        accountId: ACCOUNT,
        userName: 'two-keys',
        isRoot: false,
        slot: 1,
        active: true,
        createdAt: new Date('2024-01-05T07:30:00Z'),
        lastUsedAt: new Date('2025-05-31T23:10:00Z'),
        lastUsedRegion: 'eu-west-1',
        lastUsedService: 'lambda',
        userCreatedAt: new Date('2023-01-01T00:00:00Z'),
      });
      expect(second?.lastUsedAt).toBeUndefined();
      const user = inventory.users.find((u) => u.name === 'two-keys')!;
      expect(user.credentials?.accessKeys).toEqual([first, second]);
      expect(user.credentials?.accessKeys[0]).toBe(first);
    });

    it('matches key ids from list-access-keys by creation date, not by order', () => {
      const inventory = normalize(
        raw({
          authorizationDetails,
          credentialReport: report,
          accessKeys: {
            'two-keys': {
              AccessKeyMetadata: [
                {
                  UserName: 'two-keys',
                  AccessKeyId: 'AKIAOLD',
                  Status: 'Inactive',
                  CreateDate: '2021-06-10T12:01:00Z',
                },
                { UserName: 'two-keys', AccessKeyId: 'AKIANEW', Status: 'Active', CreateDate: 1704439800.4 },
              ],
            },
            'second-slot-only': [
              { AccessKeyId: 'AKIAOTHER', Status: 'Active', CreateDate: '2024-12-31T00:00:00Z' },
            ],
          },
        }),
      );
      const ids = inventory.accessKeys.map((k) => [k.userName, k.slot, k.keyId]);
      expect(ids).toEqual([
        ['<root_account>', 1, undefined],
        ['two-keys', 1, 'AKIANEW'],
        ['two-keys', 2, 'AKIAOLD'],
        ['second-slot-only', 2, undefined],
      ]);
      expect(inventory.coverageGaps).toEqual([]);
    });

    it('records a malformed list-access-keys entry as a gap on that user, not the account', () => {
      const inventory = normalize(
        raw({
          authorizationDetails,
          credentialReport: report,
          accessKeys: { 'two-keys': { AccessKeyMetadata: [{ UserName: 'two-keys', Status: 'Active' }] } },
        }),
      );
      expect(inventory.coverageGaps).toHaveLength(1);
      expect(inventory.coverageGaps[0]).toMatchObject({
        arn: `arn:aws:iam::${ACCOUNT}:user/two-keys`,
        detail: "$['two-keys'].AccessKeyMetadata[0]",
      });
    });

    it('uses the credential report creation time when the authorization details have none', () => {
      const { CreateDate: _none, ...user } = aUser('two-keys');
      const inventory = normalize(
        raw({
          authorizationDetails: [{ UserDetailList: [user] }],
          credentialReport: `${HEADER}\n${rootRow}\n${userRow('two-keys', { user_creation_time: '2022-02-02T00:00:00+00:00' })}`,
        }),
      );
      expect(inventory.users[0]?.createdAt).toEqual(new Date('2022-02-02T00:00:00Z'));
    });
  });

  describe('users present on one side only', () => {
    const inventory = normalize(
      raw({
        authorizationDetails: [{ UserDetailList: [aUser('only-in-details')] }],
        credentialReport: `${HEADER}\n${rootRow}\n${reportRow({
          user: 'only-in-report',
          arn: `arn:aws:iam::${ACCOUNT}:user/ops/only-in-report`,
          user_creation_time: '2024-04-04T00:00:00+00:00',
          access_key_1_active: 'true',
          access_key_1_last_rotated: '2024-04-04T00:00:00+00:00',
        })}\n`,
      }),
    );

    it('keeps a report user missing from the authorization details, with a gap', () => {
      const user = inventory.users.find((u) => u.name === 'only-in-report')!;
      expect(user).toMatchObject({
        path: '/ops/',
        createdAt: new Date('2024-04-04T00:00:00Z'),
        inlinePolicies: [],
      });
      expect(inventory.accessKeys.map((k) => k.userName)).toEqual(['only-in-report']);
      expect(gapsOf(inventory, 'authorization-details.json')).toEqual([
        expect.objectContaining({
          arn: `arn:aws:iam::${ACCOUNT}:user/ops/only-in-report`,
          category: 'Missing',
        }),
      ]);
    });

    it('adds no per-user gap when the authorization details are missing as a whole', () => {
      const alone = normalize(
        raw({ authorizationDetails: [], credentialReport: `${HEADER}\n${rootRow}\n${userRow('bot')}\n` }),
      );
      expect(alone.users.map((u) => u.name)).toEqual(['<root_account>', 'bot']);
      expect(alone.coverageGaps).toEqual([]);
    });

    it('records a gap for a user missing from the credential report', () => {
      const user = inventory.users.find((u) => u.name === 'only-in-details')!;
      expect(user.credentials).toBeUndefined();
      expect(gapsOf(inventory, 'credential-report.csv')).toEqual([
        expect.objectContaining({ arn: `arn:aws:iam::${ACCOUNT}:user/only-in-details`, category: 'Missing' }),
      ]);
    });
  });

  describe('secrets', () => {
    const prodArn = `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:prod/db-AbCdEf`;
    const publicArn = `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:public-QwErTy`;
    const unlistedArn = `arn:aws:secretsmanager:us-east-2:${ACCOUNT}:secret:unlisted-ZxCvBn`;
    const secrets = {
      'eu-west-1': {
        SecretList: [
          {
            ARN: prodArn,
            Name: 'prod/db',
            RotationEnabled: true,
            RotationLambdaARN: 'arn:aws:lambda:eu-west-1:123456789012:function:rotate',
            RotationRules: { AutomaticallyAfterDays: 30 },
            CreatedDate: 1600000000,
            LastRotatedDate: 1745000000.123,
            LastChangedDate: '1745000000',
            LastAccessedDate: '2025-05-31T00:00:00+00:00',
            NextRotationDate: '2025-05-18T00:00:00Z',
            Tags: [{ Key: 'env', Value: 'prod' }],
          },
          { ARN: publicArn, Name: 'public', CreatedDate: '2024-01-01T00:00:00Z' },
        ],
      },
      '': [{ ARN: unlistedArn, CreatedDate: '2024-01-01T00:00:00Z' }],
    };
    const policies = [
      { ARN: prodArn, Name: 'prod/db' },
      { ARN: publicArn, Name: 'public', ResourcePolicy: JSON.stringify(trust('*')) },
    ];

    it('reads rotation, dates (epoch or ISO), tags and region', () => {
      const inventory = normalize(raw({ secrets, secretPolicies: policies }));
      expect(inventory.secrets[0]).toEqual({
        kind: 'secret',
        arn: prodArn,
        accountId: ACCOUNT,
        name: 'prod/db',
        region: 'eu-west-1',
        createdAt: new Date(1600000000 * 1000),
        lastRotatedAt: new Date(1745000000123),
        lastChangedAt: new Date(1745000000 * 1000),
        lastAccessedAt: new Date('2025-05-31T00:00:00Z'),
        nextRotationAt: new Date('2025-05-18T00:00:00Z'),
        rotationEnabled: true,
        rotationLambdaArn: 'arn:aws:lambda:eu-west-1:123456789012:function:rotate',
        rotationIntervalDays: 30,
        policyState: 'absent',
        tags: { env: 'prod' },
      });
    });

    it('takes the region from the ARN when the list has no region key, and the name too', () => {
      const inventory = normalize(raw({ secrets, secretPolicies: policies }));
      expect(inventory.secrets[2]).toMatchObject({
        name: 'unlisted',
        region: 'us-east-2',
        rotationEnabled: false,
      });
    });

    it('sets the policy state: present, absent, or unknown when the secret is not in the policies', () => {
      const inventory = normalize(raw({ secrets, secretPolicies: policies }));
      expect(inventory.secrets.map((s) => s.policyState)).toEqual(['absent', 'present', 'unknown']);
      expect(inventory.secrets[1]?.resourcePolicy?.statements[0]?.principals).toEqual([{ kind: 'any' }]);
      expect(gapsOf(inventory)).toEqual([
        expect.objectContaining({ arn: unlistedArn, source: 'secret-policies.json', category: 'Missing' }),
      ]);
    });

    it('sets every policy state to unknown, with one gap, when no policies were read', () => {
      const inventory = normalize(raw({ secrets }));
      expect(inventory.secrets.map((s) => s.policyState)).toEqual(['unknown', 'unknown', 'unknown']);
      expect(gapsOf(inventory)).toEqual([
        expect.objectContaining({
          arn: `arn:aws:iam::${ACCOUNT}:root`,
          source: 'secret-policies.json',
          category: 'Missing',
          reason: 'The resource policies of 3 secrets were not read; public access to them was not checked.',
        }),
      ]);
    });

    it('reports an unparsable resource policy and leaves the state unknown', () => {
      const inventory = normalize(
        raw({
          secrets,
          secretPolicies: [
            ...policies.slice(0, 1),
            { ARN: publicArn, Name: 'public', ResourcePolicy: '{"Statement": [' },
          ],
        }),
      );
      expect(inventory.secrets[1]).toMatchObject({ policyState: 'unknown' });
      expect(inventory.secrets[1]?.resourcePolicy).toBeUndefined();
      expect(gapsOf(inventory, 'secret-policies.json')[0]).toMatchObject({
        arn: publicArn,
        category: 'Malformed',
        detail: '$[1].ResourcePolicy',
      });
    });
  });

  describe('server certificates and service last accessed', () => {
    it('reads server certificate metadata', () => {
      const inventory = normalize(
        raw({
          serverCertificates: {
            ServerCertificateMetadataList: [
              {
                Path: '/cloudfront/',
                ServerCertificateName: 'www',
                Arn: `arn:aws:iam::${ACCOUNT}:server-certificate/cloudfront/www`,
                UploadDate: '2024-07-01T00:00:00Z',
                Expiration: 1750463999,
              },
            ],
          },
        }),
      );
      expect(inventory.serverCertificates).toEqual([
        {
          kind: 'server-certificate',
          arn: `arn:aws:iam::${ACCOUNT}:server-certificate/cloudfront/www`,
          accountId: ACCOUNT,
          name: 'www',
          path: '/cloudfront/',
          uploadedAt: new Date('2024-07-01T00:00:00Z'),
          expiresAt: new Date(1750463999 * 1000),
        },
      ]);
    });

    it('attaches service last accessed data to the role or user with that ARN', () => {
      const roleArn = `arn:aws:iam::${ACCOUNT}:role/app`;
      const userArn = `arn:aws:iam::${ACCOUNT}:user/bot`;
      const inventory = normalize(
        raw({
          authorizationDetails: [{ RoleDetailList: [aRole('app')], UserDetailList: [aUser('bot')] }],
          credentialReport: `${HEADER}\n${rootRow}\n${userRow('bot')}`,
          serviceLastAccessed: {
            [roleArn]: {
              JobStatus: 'COMPLETED',
              JobCompletionDate: '2025-05-31T23:00:05Z',
              ServicesLastAccessed: [
                {
                  ServiceName: 'Amazon S3',
                  ServiceNamespace: 's3',
                  LastAuthenticated: '2025-05-30T08:15:00Z',
                },
                { ServiceName: 'AWS Lambda', ServiceNamespace: 'lambda', TotalAuthenticatedEntities: 0 },
              ],
            },
            [userArn]: { JobStatus: 'IN_PROGRESS', ServicesLastAccessed: [] },
            [`arn:aws:iam::${ACCOUNT}:role/deleted`]: { JobStatus: 'COMPLETED', ServicesLastAccessed: [] },
          },
        }),
      );
      expect(inventory.roles[0]?.serviceLastAccessed).toEqual({
        generatedAt: new Date('2025-05-31T23:00:05Z'),
        services: [
          { namespace: 's3', name: 'Amazon S3', lastAuthenticatedAt: new Date('2025-05-30T08:15:00Z') },
          { namespace: 'lambda', name: 'AWS Lambda' },
        ],
      });
      expect(inventory.users.find((u) => u.name === 'bot')?.serviceLastAccessed).toBeUndefined();
      expect(gapsOf(inventory)).toEqual([
        expect.objectContaining({
          arn: userArn,
          source: 'service-last-accessed.json',
          category: 'Incomplete',
          detail: `$['${userArn}'].JobStatus`,
        }),
      ]);
    });
  });

  describe('account', () => {
    it('takes the account id and collection time from the account metadata', () => {
      const inventory = normalize(
        raw({ account: { AccountId: '210987654321', CollectedAt: '2025-06-01T00:00:00Z' } }),
      );
      expect(inventory.accountId).toBe('210987654321');
      expect(inventory.collectedAt).toEqual(new Date('2025-06-01T00:00:00Z'));
    });

    it('derives the account id and partition from the ARNs otherwise', () => {
      const inventory = normalize(
        raw({
          authorizationDetails: [
            {
              Policies: [aManagedPolicy('arn:aws-cn:iam::aws:policy/ReadOnlyAccess', [])],
              RoleDetailList: [{ ...aRole('r'), Arn: 'arn:aws-cn:iam::555566667777:role/r' }],
            },
          ],
          credentialReport: `${HEADER}\n`,
        }),
      );
      expect(inventory.accountId).toBe('555566667777');
      expect(inventory.collectedAt).toBeUndefined();
      expect(inventory.roles[0]?.accountId).toBe('555566667777');
      expect(gapsOf(inventory, 'credential-report.csv')[0]?.arn).toBe('arn:aws-cn:iam::555566667777:root');
    });

    it('reads the credential report generation time when known', () => {
      const inventory = normalize(raw({ credentialReportGeneratedAt: '2025-05-31T22:00:00Z' }));
      expect(inventory.credentialReportGeneratedAt).toEqual(new Date('2025-05-31T22:00:00Z'));
    });

    it('keeps the gaps found while reading and fills in their account', () => {
      const earlier: CoverageGap = {
        kind: 'coverage-gap',
        arn: '',
        accountId: '',
        source: 'secrets.json',
        category: 'Malformed',
        detail: 'line 3, column 1',
        reason: 'secrets.json is not valid JSON.',
      };
      const known: CoverageGap = { ...earlier, arn: 'arn:x', accountId: '999999999999' };
      const inventory = normalize(raw({ coverageGaps: [earlier, known] }));
      expect(inventory.coverageGaps).toEqual([
        { ...earlier, arn: `arn:aws:iam::${ACCOUNT}:root`, accountId: ACCOUNT },
        known,
      ]);
    });
  });

  describe('malformed input', () => {
    it('keeps a role whose trust policy does not parse, without trustPolicy, and records the path', () => {
      const inventory = normalize(
        raw({
          authorizationDetails: [
            {
              RoleDetailList: [
                aRole('fine'),
                aRole('bad-trust', {
                  AssumeRolePolicyDocument: {
                    Statement: [{ Effect: 'Permit', Principal: '*', Action: 'sts:AssumeRole' }],
                  },
                  RolePolicyList: [{ PolicyName: 'still-read', PolicyDocument: allow('s3:*') }],
                }),
              ],
            },
          ],
        }),
      );
      expect(inventory.roles.map((r) => r.name)).toEqual(['fine', 'bad-trust']);
      const role = inventory.roles[1]!;
      expect(role.trustPolicy).toBeUndefined();
      expect(role.inlinePolicies.map((p) => p.name)).toEqual(['still-read']);
      expect(role.createdAt).toEqual(new Date('2024-01-01T00:00:00Z'));
      expect(inventory.coverageGaps).toEqual([
        {
          kind: 'coverage-gap',
          arn: `arn:aws:iam::${ACCOUNT}:role/bad-trust`,
          accountId: ACCOUNT,
          source: 'authorization-details.json',
          category: 'Malformed',
          detail: '$[0].RoleDetailList[1].AssumeRolePolicyDocument.Statement[0].Effect',
          reason:
            'The trust policy of role bad-trust is malformed (Effect must be "Allow" or "Deny"); the trust rules did not evaluate it.',
        },
      ]);
    });

    it('writes paths from $ when the source was one object rather than pages', () => {
      const inventory = normalize(
        raw({
          authorizationDetails: [
            { RoleDetailList: [aRole('r', { AssumeRolePolicyDocument: '%7B%22nope' })] },
          ],
          authorizationDetailsShape: 'object',
        }),
      );
      expect(inventory.coverageGaps[0]?.detail).toBe('$.RoleDetailList[0].AssumeRolePolicyDocument');
      expect(inventory.coverageGaps[0]?.reason).toContain('policy document is not valid JSON');
    });

    it('skips a role with an unparsable date, with a gap, and keeps the others', () => {
      const inventory = normalize(
        raw({
          authorizationDetails: [
            { RoleDetailList: [aRole('a')] },
            {
              RoleDetailList: [
                aRole('bad-created', { CreateDate: '01/15/2023' }),
                aRole('bad-last-used', { RoleLastUsed: { LastUsedDate: 'last week', Region: 'us-east-1' } }),
                aRole('b'),
              ],
            },
          ],
        }),
      );
      expect(inventory.roles.map((r) => r.name)).toEqual(['a', 'b']);
      expect(inventory.coverageGaps.map((g) => [g.arn, g.detail, g.reason])).toEqual([
        [
          `arn:aws:iam::${ACCOUNT}:role/bad-created`,
          '$[1].RoleDetailList[0].CreateDate',
          'Role bad-created has a malformed CreateDate ("01/15/2023" is not an ISO-8601 timestamp or epoch seconds); the role was not analysed.',
        ],
        [
          `arn:aws:iam::${ACCOUNT}:role/bad-last-used`,
          '$[1].RoleDetailList[1].RoleLastUsed.LastUsedDate',
          'Role bad-last-used has a malformed LastUsedDate ("last week" is not an ISO-8601 timestamp or epoch seconds); the role was not analysed.',
        ],
      ]);
    });

    it('drops only the malformed inline policy, tag or attachment of an identity', () => {
      const inventory = normalize(
        raw({
          authorizationDetails: [
            {
              RoleDetailList: [
                aRole('r', {
                  RolePolicyList: [
                    { PolicyName: 'bad', PolicyDocument: { Statement: { Effect: 'Allow' } } },
                    { PolicyName: 'good', PolicyDocument: allow('s3:*') },
                  ],
                  Tags: [{ Key: 'ok', Value: 'yes' }, { Key: 7 }],
                  AttachedManagedPolicies: [{ PolicyName: 'no-arn' }],
                }),
              ],
            },
          ],
        }),
      );
      const role = inventory.roles[0]!;
      expect(role.inlinePolicies.map((p) => p.name)).toEqual(['good']);
      expect(role.tags).toEqual({ ok: 'yes' });
      expect(role.managedPolicies).toEqual([]);
      expect(inventory.coverageGaps.map((g) => g.detail)).toEqual([
        '$[0].RoleDetailList[0].RolePolicyList[0].PolicyDocument.Statement',
        '$[0].RoleDetailList[0].AttachedManagedPolicies[0]',
        '$[0].RoleDetailList[0].Tags[1]',
      ]);
    });

    it('reports identities without a name or ARN and non-object pages', () => {
      const inventory = normalize(
        raw({
          authorizationDetails: [
            'not a page',
            { Roles: [] },
            { RoleDetailList: [{ RoleName: 'x' }, 42], UserDetailList: 'nope' },
          ],
        }),
      );
      expect(inventory.roles).toEqual([]);
      expect(inventory.coverageGaps.map((g) => g.detail)).toEqual([
        '$[0]',
        '$[1]',
        '$[2].RoleDetailList[0].Arn',
        '$[2].RoleDetailList[1]',
        '$[2].UserDetailList',
      ]);
    });

    it('turns a bad credential report row into a gap with its line, keeping the other rows', () => {
      const inventory = normalize(
        raw({
          authorizationDetails: [{ UserDetailList: [aUser('a'), aUser('b'), aUser('c')] }],
          credentialReport: [
            HEADER,
            rootRow,
            userRow('a', {
              access_key_1_active: 'true',
              access_key_1_last_rotated: '2024-01-01T00:00:00+00:00',
            }),
            userRow('b', { access_key_1_active: 'true', access_key_1_last_rotated: 'Jan 5 2024' }),
            userRow('c', {
              access_key_1_active: 'true',
              access_key_1_last_rotated: '2024-02-01T00:00:00+00:00',
            }),
          ].join('\r\n'),
        }),
      );
      expect(inventory.accessKeys.map((k) => k.userName)).toEqual(['a', 'c']);
      expect(inventory.users.find((u) => u.name === 'b')?.credentials).toBeUndefined();
      expect(inventory.coverageGaps).toEqual([
        {
          kind: 'coverage-gap',
          arn: `arn:aws:iam::${ACCOUNT}:user/b`,
          accountId: ACCOUNT,
          source: 'credential-report.csv',
          category: 'Malformed',
          detail: 'line 4',
          reason:
            'Credential report line 4 (user b) is malformed: column access_key_1_last_rotated has "Jan 5 2024", which is not a timestamp; its password and access keys were not analysed.',
        },
      ]);
    });

    it('names a malformed <root_account> row by its user, so the gap concerns the root user only', () => {
      const brokenRoot = rootRow.replace('2019-01-01T00:00:00+00:00', 'yesterday');
      const inventory = normalize(
        raw({ account: { AccountId: ACCOUNT }, credentialReport: `${HEADER}\n${brokenRoot}\n` }),
      );
      expect(inventory.coverageGaps).toEqual([
        {
          kind: 'coverage-gap',
          arn: `arn:aws:iam::${ACCOUNT}:root`,
          accountId: ACCOUNT,
          source: 'credential-report.csv',
          category: 'Malformed',
          detail: '<root_account>',
          reason:
            'Credential report line 2 (user <root_account>) is malformed: column user_creation_time has "yesterday", which is not a timestamp; its password and access keys were not analysed.',
        },
      ]);
    });

    it('records one gap for a credential report with a wrong header and still reads the identities', () => {
      const inventory = normalize(
        raw({
          authorizationDetails: [{ RoleDetailList: [aRole('r')], UserDetailList: [aUser('u')] }],
          credentialReport: 'name,arn\nu,arn:aws:iam::123456789012:user/u\n',
        }),
      );
      expect(inventory.roles).toHaveLength(1);
      expect(inventory.users.map((u) => [u.name, u.credentials])).toEqual([['u', undefined]]);
      expect(inventory.coverageGaps).toEqual([
        expect.objectContaining({ source: 'credential-report.csv', detail: 'line 1', category: 'Malformed' }),
      ]);
      expect(inventory.coverageGaps[0]?.reason).toContain('no "user" column');
    });

    it('names a listing entry that is not an object, or has no ARN, and analyses the rest', () => {
      const policyArn = `arn:aws:iam::${ACCOUNT}:policy/ok`;
      const inventory = normalize(
        raw({
          authorizationDetails: [
            {
              UserDetailList: [],
              GroupDetailList: [],
              RoleDetailList: [],
              Policies: ['x', { PolicyName: 'no-arn' }, aManagedPolicy(policyArn, [])],
            },
          ],
          secrets: {
            'us-east-1': {
              SecretList: [
                7,
                { Name: 'no-arn' },
                { ARN: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:b-BBBBBB`, Name: 'b' },
              ],
            },
          },
          secretPolicies: [],
        }),
      );
      const reasons = inventory.coverageGaps.map((gap) => [gap.detail, gap.reason]);
      expect(reasons).toEqual(
        expect.arrayContaining([
          [
            '$[0].Policies[0]',
            'Managed policy entry $[0].Policies[0] is not an object; it was not analysed.',
          ],
          ['$[0].Policies[1].Arn', 'Managed policy no-arn has no valid Arn; it was not analysed.'],
          [
            "$['us-east-1'].SecretList[0]",
            "Secret entry $['us-east-1'].SecretList[0] is not an object; it was not analysed.",
          ],
          ["$['us-east-1'].SecretList[1].ARN", 'Secret no-arn has no valid ARN; it was not analysed.'],
        ]),
      );
      expect(inventory.managedPolicies.has(policyArn)).toBe(true);
      expect(inventory.secrets.map((secret) => secret.name)).toEqual(['b']);
    });

    it('skips a secret with a malformed date and keeps the others', () => {
      const inventory = normalize(
        raw({
          secrets: {
            'us-east-1': {
              SecretList: [
                {
                  ARN: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:a-AAAAAA`,
                  Name: 'a',
                  LastRotatedDate: 'soon',
                },
                { ARN: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:b-BBBBBB`, Name: 'b' },
              ],
            },
          },
          secretPolicies: [],
        }),
      );
      expect(inventory.secrets.map((s) => s.name)).toEqual(['b']);
      expect(inventory.coverageGaps[0]).toMatchObject({
        source: 'secrets.json',
        detail: "$['us-east-1'].SecretList[0].LastRotatedDate",
        arn: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:a-AAAAAA`,
      });
    });

    it('keeps a certificate with a malformed expiry, without expiresAt, with a gap', () => {
      const inventory = normalize(
        raw({
          serverCertificates: [
            {
              ServerCertificateName: 'c',
              Arn: `arn:aws:iam::${ACCOUNT}:server-certificate/c`,
              Expiration: '31.12.2025',
            },
          ],
        }),
      );
      expect(inventory.serverCertificates).toHaveLength(1);
      expect(inventory.serverCertificates[0]?.expiresAt).toBeUndefined();
      expect(inventory.coverageGaps[0]?.detail).toBe('$[0].Expiration');
    });

    it('records a bad AccountId and falls back to the ARNs', () => {
      const inventory = normalize(
        raw({
          account: { AccountId: 123456789012 },
          authorizationDetails: [{ RoleDetailList: [aRole('r')] }],
        }),
      );
      expect(inventory.accountId).toBe(ACCOUNT);
      expect(inventory.coverageGaps[0]).toMatchObject({ source: 'account.json', detail: '$.AccountId' });
    });
  });
});

describe('parseAwsTimestamp (re-exported for adapters)', () => {
  it('parses and rejects like the credential report parser', () => {
    expect(parseAwsTimestamp('1700000000')).toEqual(new Date(1700000000 * 1000));
    expect(() => parseAwsTimestamp('tomorrow')).toThrow(TimestampFormatError);
  });
});

describe('normalizeIdentities', () => {
  const policyArn = `arn:aws:iam::${ACCOUNT}:policy/deploy`;
  const details = {
    Policies: [aManagedPolicy(policyArn, [{ id: 'v2', isDefault: true, document: allow('s3:GetObject') }])],
    GroupDetailList: [
      {
        GroupName: 'ops',
        Arn: `arn:aws:iam::${ACCOUNT}:group/ops`,
        Path: '/',
        CreateDate: '2023-06-01T00:00:00Z',
        GroupPolicyList: [],
        AttachedManagedPolicies: [{ PolicyArn: policyArn, PolicyName: 'deploy' }],
      },
    ],
    RoleDetailList: [
      aRole('ci', { AttachedManagedPolicies: [{ PolicyArn: policyArn, PolicyName: 'deploy' }] }),
    ],
    UserDetailList: [aUser('bot', { GroupList: ['ops'] })],
  };

  it('maps identities read one by one exactly as the account-wide normalize does', () => {
    const whole = normalize(raw({ authorizationDetails: [details], authorizationDetailsShape: 'object' }));
    const one = normalizeIdentities({ details, accountId: ACCOUNT });
    expect(one.roles).toEqual(whole.roles);
    expect(one.groups).toEqual(whole.groups);
    expect(one.users[0]).toEqual({ ...whole.users.find((u) => u.name === 'bot'), credentials: undefined });
    expect(one.users[0]?.groups[0]?.managedPolicies[0]).toBe(one.roles[0]?.managedPolicies[0]);
    expect(one.coverageGaps).toEqual([]);
  });

  it('records what is malformed as gaps, as the scan would', () => {
    const broken = {
      RoleDetailList: [aRole('ci', { RolePolicyList: [{ PolicyName: 'p', PolicyDocument: '%7B' }] })],
    };
    const { roles, coverageGaps } = normalizeIdentities({ details: broken });
    expect(roles[0]?.inlinePolicies).toEqual([]);
    expect(roles[0]?.accountId).toBe(ACCOUNT);
    expect(coverageGaps.map((gap) => [gap.arn, gap.category, gap.detail])).toEqual([
      [
        `arn:aws:iam::${ACCOUNT}:role/ci`,
        'Malformed',
        '$.RoleDetailList[0].RolePolicyList[0].PolicyDocument',
      ],
    ]);
  });

  it('attaches service last accessed data to the principal it names', () => {
    const { roles } = normalizeIdentities({
      details: { RoleDetailList: [aRole('ci')] },
      serviceLastAccessed: {
        [`arn:aws:iam::${ACCOUNT}:role/ci`]: {
          JobStatus: 'COMPLETED',
          JobCompletionDate: '2024-06-01T00:00:00Z',
          ServicesLastAccessed: [{ ServiceNamespace: 's3', LastAuthenticated: '2024-05-01T00:00:00Z' }],
        },
      },
    });
    expect(roles[0]?.serviceLastAccessed).toEqual({
      generatedAt: new Date('2024-06-01T00:00:00Z'),
      services: [{ namespace: 's3', lastAuthenticatedAt: new Date('2024-05-01T00:00:00Z') }],
    });
  });
});

describe('normalize with a credential report parsed already', () => {
  it('reads the given parse instead of parsing the text again, with the same result', () => {
    const csv = `${HEADER}\n${rootRow}\n${userRow('ci-bot')}\n`;
    const parsed = readCredentialReportCsv(csv);
    const input = raw({ credentialReport: csv });
    expect(normalize(input, { credentialReport: parsed })).toEqual(normalize(input));
    // The parse is what is read: one of a different text shows its users, not the text's.
    const other = readCredentialReportCsv(`${HEADER}\n${rootRow}\n${userRow('other-bot')}\n`);
    const users = normalize(input, { credentialReport: other }).users.map((u) => u.name);
    expect(users).toContain('other-bot');
    expect(users).not.toContain('ci-bot');
  });
});

describe('tags an owner is read from', () => {
  const inventory = normalize(
    raw({
      authorizationDetails: [
        {
          RoleDetailList: [
            aRole('tagged', { Tags: [{ Key: 'owner', Value: 'platform' }] }),
            aRole('bad-list', { Tags: 'owner=platform' }),
            aRole('bad-entry', { Tags: [{ Key: 'team', Value: 'ops' }, { Key: 'owner' }, { Value: 'x' }] }),
          ],
          UserDetailList: [],
          GroupDetailList: [],
          Policies: [],
        },
      ],
      credentialReport: `${HEADER}\n${rootRow}\n${userRow('report-only')}\n`,
    }),
  );
  const role = (name: string) => inventory.roles.find((r) => r.name === name)!;

  it('marks tags it could not read, keeping those it could', () => {
    expect(role('tagged')).toMatchObject({ tags: { owner: 'platform' } });
    expect(role('tagged').tagsUnread).toBeUndefined();
    expect(role('bad-list')).toMatchObject({ tags: {}, tagsUnread: true });
    expect(role('bad-entry')).toMatchObject({ tags: { team: 'ops', owner: '' }, tagsUnread: true });
  });

  it('marks a user known only from the credential report: its tags were never read', () => {
    expect(inventory.users.find((u) => u.name === 'report-only')).toMatchObject({
      tags: {},
      tagsUnread: true,
    });
  });
});
