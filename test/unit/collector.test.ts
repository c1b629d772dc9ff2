import {
  CredentialReportExpiredException,
  CredentialReportNotPresentException,
  CredentialReportNotReadyException,
  GenerateCredentialReportCommand,
  GenerateServiceLastAccessedDetailsCommand,
  GetAccountAuthorizationDetailsCommand,
  GetCredentialReportCommand,
  ListAccessKeysCommand,
} from '@aws-sdk/client-iam';
import {
  GetResourcePolicyCommand,
  ListSecretsCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { beforeEach, describe, expect, it } from 'vitest';
import { CollectionError } from '../../functions/adapters/aws/errors';
import { fakeClock, nextTurn } from '../support/clock';
import {
  ACCOUNT_ID,
  awsError,
  commandsSent,
  fixture,
  mocks,
  rawFixture,
  resetMocks,
  runCollection,
  sentInputs,
  serviceError,
  stubHealthyAccount,
} from './collector-fixtures';

/** Gaps about a whole API leave the ARN to `normalize`, which knows the account's partition. */
const ACCOUNT_ARN = '';
// The SLA rule is covered in collector-service-last-accessed.test.ts; here it stays off.
const NO_SLA = { settings: { disabledRules: ['unused-service-permissions'] } };

beforeEach(() => {
  resetMocks();
  stubHealthyAccount();
});

function authorizationDetails(raw: { authorizationDetails: unknown[] }) {
  expect(raw.authorizationDetails).toHaveLength(1);
  return raw.authorizationDetails[0] as {
    UserDetailList: Record<string, unknown>[];
    GroupDetailList: Record<string, unknown>[];
    RoleDetailList: Record<string, unknown>[];
    Policies: Record<string, unknown>[];
  };
}

describe('collectAccount over the AWS SDK', () => {
  it('follows GetAccountAuthorizationDetails markers with MaxItems 1000 and merges the pages as the CLI does', async () => {
    const { result } = await runCollection(NO_SLA);

    expect(mocks.iam.commandCalls(GetAccountAuthorizationDetailsCommand)).toHaveLength(3);
    expect(sentInputs('iam:GetAccountAuthorizationDetails')).toEqual([
      { MaxItems: 1000 },
      { MaxItems: 1000, Marker: 'marker-page-2' },
      { MaxItems: 1000, Marker: 'marker-page-3' },
    ]);
    const details = authorizationDetails(result.raw);
    expect(details.UserDetailList.map((u) => u.UserName)).toEqual(['alice', 'bob', 'carol', 'deploy-bot']);
    expect(details.GroupDetailList.map((g) => g.GroupName)).toEqual(['deployers']);
    expect(details.RoleDetailList.map((r) => r.RoleName)).toEqual([
      'ci-deploy',
      'AWSServiceRoleForSupport',
      'idle',
    ]);
    expect(details.Policies.map((p) => p.Arn)).toEqual([
      `arn:aws:iam::${ACCOUNT_ID}:policy/DeployPolicy`,
      'arn:aws:iam::aws:policy/aws-service-role/AWSSupportServiceRolePolicy',
    ]);
    expect(Object.keys(details).sort()).toEqual([
      'GroupDetailList',
      'Policies',
      'RoleDetailList',
      'UserDetailList',
    ]);
    expect(result.raw.coverageGaps).toEqual([]);
  });

  it('decodes URL-encoded policy documents into JSON objects and prints timestamps as ISO-8601', async () => {
    const { result } = await runCollection(NO_SLA);
    const details = authorizationDetails(result.raw);
    const [ciDeploy, , idle] = details.RoleDetailList;
    expect(ciDeploy!.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: {
            Federated: `arn:aws:iam::${ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com`,
          },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: {
            StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
            StringLike: {
              'token.actions.githubusercontent.com:sub': 'repo:example-org/app:ref:refs/heads/main',
            },
          },
        },
      ],
    });
    // A plain JSON trust policy (as some emulators answer) is read as well.
    expect(idle!.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
    expect(ciDeploy!.RoleLastUsed).toEqual({ LastUsedDate: '2024-05-20T08:30:00.000Z', Region: 'eu-west-1' });
    expect(ciDeploy!.CreateDate).toBe('2022-02-01T00:00:00.000Z');
    const alice = details.UserDetailList[0]!;
    expect(alice.UserPolicyList).toEqual([
      {
        PolicyName: 'read-reports',
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::reports/*' }],
        },
      },
    ]);
    const versions = details.Policies[0]!.PolicyVersionList as { Document: unknown; VersionId: string }[];
    expect(versions.map((v) => [v.VersionId, v.Document])).toEqual([
      [
        'v2',
        {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: ['cloudformation:*', 's3:PutObject'], Resource: '*' }],
        },
      ],
      [
        'v1',
        {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'cloudformation:*', Resource: '*' }],
        },
      ],
    ]);
  });

  it('names a managed policy from its ARN when the response leaves PolicyName out', async () => {
    const { result } = await runCollection(NO_SLA);
    const [deploy, support] = authorizationDetails(result.raw).Policies;
    expect(deploy!.PolicyName).toBe('DeployPolicy');
    expect(support!.PolicyName).toBe('AWSSupportServiceRolePolicy');
  });

  it('keeps a document that is neither JSON nor URL-encoded JSON as the string it was', async () => {
    const page = fixture('get-account-authorization-details-page-2.json');
    page.IsTruncated = false;
    page.RoleDetailList[2].AssumeRolePolicyDocument = '%7B%22Version%22%3A%E0%A4%A';
    mocks.iam.on(GetAccountAuthorizationDetailsCommand).resolves(page);
    const { result } = await runCollection(NO_SLA);
    expect(authorizationDetails(result.raw).RoleDetailList[2]!.AssumeRolePolicyDocument).toBe(
      '%7B%22Version%22%3A%E0%A4%A',
    );
  });

  it('records a gap and keeps no partial listing when a later authorization-details page fails', async () => {
    mocks.iam.on(GetAccountAuthorizationDetailsCommand).callsFake((input: { Marker?: string }) => {
      if (input.Marker === 'marker-page-3') throw serviceError('ServiceFailure', 'internal failure', 500);
      return fixture(`get-account-authorization-details-page-${input.Marker ? 2 : 1}.json`);
    });
    const { result } = await runCollection(NO_SLA);

    expect(result.raw.authorizationDetails).toEqual([]);
    expect(result.raw.coverageGaps).toEqual([
      {
        kind: 'coverage-gap',
        arn: ACCOUNT_ARN,
        accountId: ACCOUNT_ID,
        source: 'iam:GetAccountAuthorizationDetails',
        category: 'ServiceError',
        reason:
          'The request failed (ServiceFailure: internal failure); no user, group, role or policy was read (page 3 failed).',
      },
    ]);
    // Everything else is still collected.
    expect(result.raw.credentialReport).toContain('alice,arn:aws:iam::111122223333:user/alice');
    expect(Object.keys(result.raw.secrets ?? {})).toEqual(['eu-west-1']);
  });

  it('treats a truncated page without a marker as malformed rather than complete', async () => {
    const page = fixture('get-account-authorization-details-page-1.json');
    delete page.Marker;
    mocks.iam.on(GetAccountAuthorizationDetailsCommand).resolves(page);
    const { result } = await runCollection(NO_SLA);
    expect(result.raw.authorizationDetails).toEqual([]);
    expect(result.raw.coverageGaps.map((gap) => [gap.source, gap.category])).toEqual([
      ['iam:GetAccountAuthorizationDetails', 'Malformed'],
    ]);
  });

  it('turns AccessDenied on one API into a gap naming it and still collects the rest', async () => {
    mocks.iam
      .on(GetAccountAuthorizationDetailsCommand)
      .rejects(
        serviceError(
          'AccessDenied',
          'User: arn:aws:sts::111122223333:assumed-role/scanner is not authorized to perform: iam:GetAccountAuthorizationDetails',
          403,
        ),
      );
    const { result } = await runCollection(NO_SLA);

    expect(result.raw.coverageGaps).toEqual([
      expect.objectContaining({
        arn: ACCOUNT_ARN,
        source: 'iam:GetAccountAuthorizationDetails',
        category: 'AccessDenied',
        reason: expect.stringMatching(
          /^Access was denied \(AccessDenied: User: .* iam:GetAccountAuthorizationDetails\); no user, group, role or policy was read \(page 1 failed\)\.$/,
        ),
      }),
    ]);
    expect(result.raw.authorizationDetails).toEqual([]);
    expect(Object.keys(result.raw.accessKeys ?? {})).toEqual(['alice', 'carol', 'deploy-bot']);
    expect(result.raw.serverCertificates).toMatchObject({
      ServerCertificateMetadataList: [{ ServerCertificateName: 'legacy-www' }],
    });
    expect(result.raw.secretPolicies).toHaveLength(3);
  });

  it('turns a throttling storm that outlasts the retries into a Throttling gap for that listing only', async () => {
    mocks.secrets.on(ListSecretsCommand).rejects(serviceError('ThrottlingException', 'Rate exceeded'));
    const { result } = await runCollection(NO_SLA);

    expect(result.raw.coverageGaps).toEqual([
      {
        kind: 'coverage-gap',
        arn: ACCOUNT_ARN,
        accountId: ACCOUNT_ID,
        source: 'secretsmanager:ListSecrets',
        category: 'Throttling',
        detail: 'eu-west-1',
        reason:
          'Requests were still throttled after every retry (ThrottlingException: Rate exceeded); no secret in eu-west-1 was read (page 1 failed).',
      },
    ]);
    expect(result.raw.secrets).toEqual({});
    expect(result.raw.secretPolicies).toEqual([]);
    expect(authorizationDetails(result.raw).RoleDetailList).toHaveLength(3);
  });

  it('drops a secrets listing that fails on its second page instead of keeping the first', async () => {
    mocks.secrets.on(ListSecretsCommand).callsFake((input: { NextToken?: string }) => {
      if (input.NextToken) throw serviceError('InternalServiceError', 'boom', 500);
      return fixture('list-secrets-eu-west-1-page-1.json');
    });
    const { result } = await runCollection(NO_SLA);
    expect(result.raw.secrets).toEqual({});
    expect(result.raw.coverageGaps.map((gap) => [gap.source, gap.detail, gap.reason])).toEqual([
      [
        'secretsmanager:ListSecrets',
        'eu-west-1',
        'The request failed (InternalServiceError: boom); no secret in eu-west-1 was read (page 2 failed).',
      ],
    ]);
  });

  it('lists secrets page by page with MaxResults 100, per requested region, as list-secrets output per region', async () => {
    const { result } = await runCollection({ ...NO_SLA, regions: ['eu-west-1', 'us-east-1', 'eu-west-1'] });
    expect(mocks.secrets.commandCalls(ListSecretsCommand)).toHaveLength(3);
    expect(sentInputs('secretsmanager:ListSecrets')).toEqual([
      { MaxResults: 100 },
      { MaxResults: 100, NextToken: 'secrets-page-2' },
      { MaxResults: 100 },
    ]);
    const secrets = result.raw.secrets as Record<
      string,
      { SecretList: { Name: string; LastAccessedDate?: string }[] }
    >;
    expect(Object.keys(secrets)).toEqual(['eu-west-1', 'us-east-1']);
    expect(secrets['eu-west-1']!.SecretList.map((s) => s.Name)).toEqual([
      'prod/db-password',
      'prod/api-token',
      'legacy/ftp',
    ]);
    expect(secrets['us-east-1']).toEqual({
      SecretList: [
        {
          ARN: `arn:aws:secretsmanager:us-east-1:${ACCOUNT_ID}:secret:shared/partner-key-Mn78Op`,
          Name: 'shared/partner-key',
          LastChangedDate: '2024-01-01T00:00:00.000Z',
          LastAccessedDate: '2024-05-15T00:00:00.000Z',
          CreatedDate: '2023-01-01T00:00:00.000Z',
          SecretVersionsToStages: { '3f1c2a9e-0000-4000-8000-000000000001': ['AWSCURRENT'] },
          Tags: [],
        },
      ],
    });
    expect(result.regions).toEqual(['eu-west-1', 'us-east-1']);
  });

  it('records a disabled region as a RegionDisabled gap and still lists the enabled ones', async () => {
    mocks.secrets.on(ListSecretsCommand).callsFake(async (input: { NextToken?: string }, getClient) => {
      const region = await (getClient() as SecretsManagerClient).config.region();
      if (region === 'ap-east-1') {
        throw serviceError(
          'UnrecognizedClientException',
          'The security token included in the request is invalid.',
        );
      }
      if (region === 'me-south-1') {
        const error = new Error('getaddrinfo ENOTFOUND secretsmanager.me-south-1.amazonaws.com') as Error & {
          code: string;
        };
        error.code = 'ENOTFOUND';
        throw error;
      }
      return fixture(
        input.NextToken ? 'list-secrets-eu-west-1-page-2.json' : 'list-secrets-eu-west-1-page-1.json',
      );
    });
    const { result } = await runCollection({ ...NO_SLA, regions: ['ap-east-1', 'eu-west-1', 'me-south-1'] });

    expect(result.raw.coverageGaps.map((gap) => [gap.source, gap.detail, gap.category])).toEqual([
      ['secretsmanager:ListSecrets', 'ap-east-1', 'RegionDisabled'],
      ['secretsmanager:ListSecrets', 'me-south-1', 'RegionDisabled'],
    ]);
    expect(result.raw.coverageGaps[0]!.reason).toBe(
      'The region is not enabled for this account (UnrecognizedClientException: The security token included in the request is invalid); no secret in ap-east-1 was read (page 1 failed).',
    );
    expect(Object.keys(result.raw.secrets ?? {})).toEqual(['eu-west-1']);
  });

  it('lists secrets in every enabled region for `all`', async () => {
    const { result } = await runCollection({ ...NO_SLA, regions: 'all' });
    expect(mocks.ec2.calls()).toHaveLength(1);
    expect(result.regions).toEqual(['ap-east-1', 'eu-west-1', 'us-east-1']);
    expect(Object.keys(result.raw.secrets ?? {})).toEqual(['ap-east-1', 'eu-west-1', 'us-east-1']);
    expect(result.raw.secretPolicies).toHaveLength(4);
  });

  it('falls back to the home region with a gap when the enabled regions cannot be listed', async () => {
    mocks.ec2.onAnyCommand().rejects(serviceError('UnauthorizedOperation', 'You are not authorized', 403));
    const { result } = await runCollection({ ...NO_SLA, regions: 'all' });
    expect(result.regions).toEqual(['eu-west-1']);
    expect(result.raw.coverageGaps.map((gap) => [gap.source, gap.category])).toEqual([
      ['ec2:DescribeRegions', 'AccessDenied'],
    ]);
  });

  it('lists secrets in the home region when no region is given', async () => {
    const { result } = await runCollection(NO_SLA);
    expect(result.regions).toEqual(['eu-west-1']);
  });

  it('polls the credential report with growing delays until it is complete and records its generation time', async () => {
    const states = ['STARTED', 'INPROGRESS', 'INPROGRESS', 'COMPLETE'];
    mocks.iam.on(GenerateCredentialReportCommand).callsFake(() => ({ State: states.shift() }));
    const clock = fakeClock();
    const { result } = await runCollection({ ...NO_SLA, clock });

    expect(mocks.iam.commandCalls(GenerateCredentialReportCommand)).toHaveLength(4);
    expect(mocks.iam.commandCalls(GetCredentialReportCommand)).toHaveLength(1);
    expect(clock.sleeps).toEqual([1000, 2000, 4000]);
    const csv = Buffer.from(rawFixture('get-credential-report.json').Content, 'base64').toString('utf8');
    expect(result.raw.credentialReport).toBe(csv);
    expect(result.raw.account).toEqual({
      AccountId: ACCOUNT_ID,
      CollectedAt: '2024-06-01T12:00:00.000Z',
      CredentialReportGeneratedAt: '2024-06-01T11:58:00.000Z',
    });
    expect(result.raw.credentialReportGeneratedAt).toBe('2024-06-01T11:58:00.000Z');
  });

  it('waits on ReportInProgress and generates again on ReportNotPresent and ReportExpired', async () => {
    const outcomes: (() => unknown)[] = [
      () => {
        throw awsError(CredentialReportNotPresentException, 'Credential report not present');
      },
      () => {
        throw awsError(CredentialReportNotReadyException, 'Report is in progress');
      },
      () => {
        throw awsError(CredentialReportExpiredException, 'Report expired');
      },
      () => fixture('get-credential-report.json'),
    ];
    mocks.iam.on(GetCredentialReportCommand).callsFake(() => outcomes.shift()!());
    const { result } = await runCollection(NO_SLA);

    expect(mocks.iam.commandCalls(GenerateCredentialReportCommand)).toHaveLength(3);
    expect(mocks.iam.commandCalls(GetCredentialReportCommand)).toHaveLength(4);
    expect(result.raw.credentialReport).toMatch(/^user,arn,user_creation_time/);
    expect(result.raw.coverageGaps).toEqual([]);
  });

  it('gives up on a credential report that never completes after a bounded wait, with a Timeout gap', async () => {
    mocks.iam.on(GenerateCredentialReportCommand).resolves({ State: 'INPROGRESS' });
    const clock = fakeClock();
    const { result } = await runCollection({
      ...NO_SLA,
      clock,
      collector: { credentialReport: { timeoutMs: 30_000, initialDelayMs: 1000, maxDelayMs: 8000 } },
    });

    expect(clock.sleeps).toEqual([1000, 2000, 4000, 8000, 8000, 7000]);
    expect(mocks.iam.commandCalls(GetCredentialReportCommand)).toHaveLength(0);
    expect(result.raw.credentialReport).toBeUndefined();
    expect(result.raw.coverageGaps).toEqual([
      {
        kind: 'coverage-gap',
        arn: ACCOUNT_ARN,
        accountId: ACCOUNT_ID,
        source: 'iam:GenerateCredentialReport',
        category: 'Timeout',
        reason:
          'The credential report was not complete after 30 s (last state: INPROGRESS); no password or access key was read.',
      },
    ]);
    // Without a report nobody is known to hold an active key, and the rest is still collected.
    expect(mocks.iam.commandCalls(ListAccessKeysCommand)).toHaveLength(0);
    expect(result.raw.accessKeys).toBeUndefined();
    expect(authorizationDetails(result.raw).RoleDetailList).toHaveLength(3);
  });

  it('calls ListAccessKeys only for users whose report row shows an active key, never for root', async () => {
    const { result } = await runCollection(NO_SLA);
    const users = mocks.iam.commandCalls(ListAccessKeysCommand).map((call) => call.args[0].input.UserName);
    expect(users.sort()).toEqual(['alice', 'carol', 'deploy-bot']);
    expect(result.raw.accessKeys).toEqual({
      alice: {
        AccessKeyMetadata: [
          {
            UserName: 'alice',
            AccessKeyId: 'AKIAALICE0000000KEY1',
            Status: 'Active',
            CreateDate: '2021-03-01T09:05:00.000Z',
          },
        ],
      },
      carol: {
        AccessKeyMetadata: [
          {
            UserName: 'carol',
            AccessKeyId: 'AKIACAROL0000000KEY1',
            Status: 'Active',
            CreateDate: '2022-01-01T00:01:00.000Z',
          },
          {
            UserName: 'carol',
            AccessKeyId: 'AKIACAROL0000000KEY2',
            Status: 'Active',
            CreateDate: '2023-06-01T00:00:00.000Z',
          },
        ],
      },
      'deploy-bot': {
        AccessKeyMetadata: [
          {
            UserName: 'deploy-bot',
            AccessKeyId: 'AKIADEPLOYBOT000KEY2',
            Status: 'Active',
            CreateDate: '2023-03-01T00:00:00.000Z',
          },
        ],
      },
    });
  });

  it('keeps at most `concurrency` ListAccessKeys calls in flight', async () => {
    const keys = fixture<Record<string, object>>('list-access-keys.json');
    let inFlight = 0;
    let peak = 0;
    mocks.iam.on(ListAccessKeysCommand).callsFake(async (input: { UserName: string }) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await nextTurn();
      inFlight--;
      return keys[input.UserName];
    });
    await runCollection({ ...NO_SLA, collector: { concurrency: 2 } });
    expect(mocks.iam.commandCalls(ListAccessKeysCommand)).toHaveLength(3);
    expect(peak).toBe(2);
  });

  it('records a gap on the user when its access keys cannot be listed', async () => {
    const keys = fixture<Record<string, object>>('list-access-keys.json');
    mocks.iam.on(ListAccessKeysCommand).callsFake((input: { UserName: string }) => {
      if (input.UserName === 'carol') throw serviceError('AccessDenied', 'no', 403);
      return keys[input.UserName];
    });
    const { result } = await runCollection(NO_SLA);
    expect(Object.keys(result.raw.accessKeys ?? {})).toEqual(['alice', 'deploy-bot']);
    expect(result.raw.coverageGaps.map((gap) => [gap.arn, gap.source, gap.category])).toEqual([
      [`arn:aws:iam::${ACCOUNT_ID}:user/carol`, 'iam:ListAccessKeys', 'AccessDenied'],
    ]);
  });

  it('reads secret resource policies, one call per secret, when the public-policy rule is enabled', async () => {
    const { result } = await runCollection({ ...NO_SLA, regions: ['eu-west-1', 'us-east-1'] });
    const ids = mocks.secrets
      .commandCalls(GetResourcePolicyCommand)
      .map((call) => call.args[0].input.SecretId);
    expect(ids.sort()).toEqual([
      `arn:aws:secretsmanager:eu-west-1:${ACCOUNT_ID}:secret:legacy/ftp-Ij56Kl`,
      `arn:aws:secretsmanager:eu-west-1:${ACCOUNT_ID}:secret:prod/api-token-Ef34Gh`,
      `arn:aws:secretsmanager:eu-west-1:${ACCOUNT_ID}:secret:prod/db-password-Ab12Cd`,
      `arn:aws:secretsmanager:us-east-1:${ACCOUNT_ID}:secret:shared/partner-key-Mn78Op`,
    ]);
    expect(result.raw.secretPolicies).toContainEqual(rawFixture('get-resource-policy-with-policy.json'));
    expect(result.raw.secretPolicies).toContainEqual({
      ARN: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT_ID}:secret:legacy/ftp-Ij56Kl`,
      Name: 'legacy/ftp',
    });
  });

  it('never calls GetResourcePolicy when the public-policy rule is disabled', async () => {
    const { result } = await runCollection({
      settings: { disabledRules: ['secret-policy-public', 'unused-service-permissions'] },
    });
    expect(mocks.secrets.commandCalls(GetResourcePolicyCommand)).toHaveLength(0);
    expect(result.raw.secretPolicies).toBeUndefined();
    expect(commandsSent()).not.toContain('secretsmanager:GetSecretValue');
  });

  it('stops with a CollectionError when the account cannot be identified', async () => {
    mocks.sts
      .on(GetCallerIdentityCommand)
      .rejects(serviceError('ExpiredToken', 'The security token is expired'));
    await expect(runCollection(NO_SLA)).rejects.toMatchObject({
      name: 'CollectionError',
      message: 'cannot identify the AWS account (ExpiredToken: The security token is expired)',
    });
    await expect(runCollection(NO_SLA)).rejects.toBeInstanceOf(CollectionError);
  });

  it('fills every RawAccountData member the export format knows, naming documents as the export does', async () => {
    const { result, events } = await runCollection({ regions: ['us-east-1'] });
    expect(result.raw.sources.authorizationDetails).toBe('authorization-details.json');
    expect(result.raw.serverCertificates).toEqual({
      ServerCertificateMetadataList: [
        {
          Path: '/cloudfront/',
          ServerCertificateName: 'legacy-www',
          ServerCertificateId: 'ASCALEGACYWWW000001',
          Arn: `arn:aws:iam::${ACCOUNT_ID}:server-certificate/cloudfront/legacy-www`,
          UploadDate: '2023-06-01T00:00:00.000Z',
          Expiration: '2024-06-20T00:00:00.000Z',
        },
      ],
    });
    expect(Object.keys(result.raw.serviceLastAccessed ?? {})).toEqual([
      `arn:aws:iam::${ACCOUNT_ID}:role/ci-deploy`,
      `arn:aws:iam::${ACCOUNT_ID}:user/alice`,
    ]);
    expect(mocks.iam.commandCalls(GenerateServiceLastAccessedDetailsCommand)).toHaveLength(2);
    const phases = new Set(events.map((event) => event.phase));
    expect([...phases].sort()).toEqual([
      'access-keys',
      'authorization-details',
      'credential-report',
      'done',
      'identity',
      'organization',
      'secret-policies',
      'secrets',
      'server-certificates',
      'service-last-accessed',
    ]);
    expect(events.at(-1)?.phase).toBe('done');
  });
});
