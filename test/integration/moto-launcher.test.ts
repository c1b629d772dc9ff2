import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  AttachRolePolicyCommand,
  CreateAccessKeyCommand,
  CreateLoginProfileCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GenerateCredentialReportCommand,
  GetAccessKeyLastUsedCommand,
  GetAccountAuthorizationDetailsCommand,
  GetCredentialReportCommand,
  GetLoginProfileCommand,
  GetRoleCommand,
  GetServerCertificateCommand,
  GetUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListServerCertificatesCommand,
  NoSuchEntityException,
  UploadServerCertificateCommand,
} from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  ListSecretsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MOTO_ACCOUNT_ID,
  MotoHookError,
  type MotoServer,
  MotoUnavailableError,
  startMoto,
} from '../support/moto';

const TRUST_LAMBDA = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

// Whole seconds: the credential report has second precision.
const at = (iso: string): Date => new Date(iso);

let moto: MotoServer;
let iam: IAMClient;

beforeAll(async () => {
  moto = await startMoto();
  iam = new IAMClient({ ...moto.clientConfig });
});

afterAll(async () => {
  await moto?.stop();
});

/** Generates the credential report and returns its rows keyed by user name. */
async function credentialReport(client: IAMClient): Promise<Map<string, Record<string, string>>> {
  await client.send(new GenerateCredentialReportCommand({}));
  const { Content } = await client.send(new GetCredentialReportCommand({}));
  const [header, ...lines] = new TextDecoder().decode(Content).trim().split('\n');
  const columns = header!.split(',');
  const rows = new Map<string, Record<string, string>>();
  for (const line of lines) {
    const cells = line.split(',');
    const row = Object.fromEntries(columns.map((column, index) => [column, cells[index] ?? '']));
    rows.set(row.user!, row);
  }
  return rows;
}

async function authorizationDetails(client: IAMClient) {
  return client.send(new GetAccountAuthorizationDetailsCommand({}));
}

describe('moto launcher: roles', () => {
  it('reports a backdated creation and last use in GetRole and the authorization details', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'worker', AssumeRolePolicyDocument: TRUST_LAMBDA }));
    const before = await iam.send(new GetRoleCommand({ RoleName: 'worker' }));
    expect(before.Role?.RoleLastUsed?.LastUsedDate).toBeUndefined();

    const result = await moto.backdateRole({
      roleName: 'worker',
      createDate: at('2023-01-02T03:04:05Z'),
      lastUsedDate: at('2024-02-03T04:05:06Z'),
      lastUsedRegion: 'eu-west-1',
    });
    expect(result).toEqual({
      roleName: 'worker',
      arn: `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/worker`,
      createDate: '2023-01-02T03:04:05Z',
      lastUsedDate: '2024-02-03T04:05:06Z',
      lastUsedRegion: 'eu-west-1',
    });

    const { Role } = await iam.send(new GetRoleCommand({ RoleName: 'worker' }));
    expect(Role?.CreateDate?.toISOString()).toBe('2023-01-02T03:04:05.000Z');
    expect(Role?.RoleLastUsed).toEqual({ LastUsedDate: at('2024-02-03T04:05:06Z'), Region: 'eu-west-1' });

    const details = await authorizationDetails(iam);
    const detail = details.RoleDetailList?.find((role) => role.RoleName === 'worker');
    expect(detail?.CreateDate?.toISOString()).toBe('2023-01-02T03:04:05.000Z');
    expect(detail?.RoleLastUsed).toEqual({ LastUsedDate: at('2024-02-03T04:05:06Z'), Region: 'eu-west-1' });
  });

  it('clears the last use of a role, so it reads as never used', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'idle', AssumeRolePolicyDocument: TRUST_LAMBDA }));
    await moto.backdateRole({
      roleName: 'idle',
      lastUsedDate: at('2024-05-05T05:05:05Z'),
      lastUsedRegion: 'us-east-2',
    });
    const used = await iam.send(new GetRoleCommand({ RoleName: 'idle' }));
    expect(used.Role?.RoleLastUsed?.Region).toBe('us-east-2');

    const result = await moto.backdateRole({ roleName: 'idle', lastUsedDate: null });
    expect(result.lastUsedDate).toBeNull();
    expect(result.lastUsedRegion).toBeNull();

    const { Role } = await iam.send(new GetRoleCommand({ RoleName: 'idle' }));
    expect(Role?.RoleLastUsed?.LastUsedDate).toBeUndefined();
    expect(Role?.RoleLastUsed?.Region).toBeUndefined();
    const detail = (await authorizationDetails(iam)).RoleDetailList?.find((role) => role.RoleName === 'idle');
    expect(detail?.RoleLastUsed?.LastUsedDate).toBeUndefined();
  });

  it('backdates a role in another account when given its account id', async () => {
    const otherAccount = '210987654321';
    // moto lets AssumeRole switch accounts; the assumed role need not exist (and must not be the
    // role we backdate: using assumed-role credentials marks that role as used now).
    const sts = new STSClient({ ...moto.clientConfig });
    const { Credentials } = await sts.send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${otherAccount}:role/Admin`, RoleSessionName: 'test' }),
    );
    const memberIam = new IAMClient({
      ...moto.clientConfig,
      credentials: {
        accessKeyId: Credentials!.AccessKeyId!,
        secretAccessKey: Credentials!.SecretAccessKey!,
        sessionToken: Credentials!.SessionToken!,
      },
    });
    await memberIam.send(
      new CreateRoleCommand({ RoleName: 'member-role', AssumeRolePolicyDocument: TRUST_LAMBDA }),
    );

    const result = await moto.backdateRole({
      accountId: otherAccount,
      roleName: 'member-role',
      lastUsedDate: at('2022-12-12T12:12:12Z'),
    });
    expect(result.arn).toBe(`arn:aws:iam::${otherAccount}:role/member-role`);

    const { Role } = await memberIam.send(new GetRoleCommand({ RoleName: 'member-role' }));
    expect(Role?.RoleLastUsed?.LastUsedDate).toEqual(at('2022-12-12T12:12:12Z'));
    await expect(
      moto.backdateRole({ roleName: 'member-role', createDate: at('2020-01-01T00:00:00Z') }),
    ).rejects.toThrow(/HTTP 404/);
  });
});

describe('moto launcher: users and access keys', () => {
  let accessKeyId: string;

  beforeAll(async () => {
    await iam.send(new CreateUserCommand({ UserName: 'deployer' }));
    await iam.send(new CreateLoginProfileCommand({ UserName: 'deployer', Password: 'Correct-Horse-1' }));
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: 'deployer' }));
    accessKeyId = AccessKey!.AccessKeyId!;

    await moto.backdateUser({
      userName: 'deployer',
      createDate: at('2021-01-01T00:00:00Z'),
      passwordLastUsed: at('2024-03-03T03:03:03Z'),
      loginProfileCreateDate: at('2021-02-02T02:02:02Z'),
    });
    await moto.backdateAccessKey({
      accessKeyId,
      createDate: at('2021-05-05T05:05:05Z'),
      lastUsedDate: at('2024-04-04T04:04:04Z'),
      lastUsedService: 's3',
      lastUsedRegion: 'us-west-2',
    });
  });

  it('reports the backdated user in GetUser, GetLoginProfile and the authorization details', async () => {
    const { User } = await iam.send(new GetUserCommand({ UserName: 'deployer' }));
    expect(User?.CreateDate).toEqual(at('2021-01-01T00:00:00Z'));
    expect(User?.PasswordLastUsed).toEqual(at('2024-03-03T03:03:03Z'));

    const { LoginProfile } = await iam.send(new GetLoginProfileCommand({ UserName: 'deployer' }));
    expect(LoginProfile?.CreateDate).toEqual(at('2021-02-02T02:02:02Z'));

    const detail = (await authorizationDetails(iam)).UserDetailList?.find(
      (user) => user.UserName === 'deployer',
    );
    expect(detail?.CreateDate).toEqual(at('2021-01-01T00:00:00Z'));
  });

  it('reports the backdated access key in ListAccessKeys and GetAccessKeyLastUsed', async () => {
    const { AccessKeyMetadata } = await iam.send(new ListAccessKeysCommand({ UserName: 'deployer' }));
    expect(AccessKeyMetadata).toEqual([
      {
        UserName: 'deployer',
        AccessKeyId: accessKeyId,
        Status: 'Active',
        CreateDate: at('2021-05-05T05:05:05Z'),
      },
    ]);

    const lastUsed = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId }));
    expect(lastUsed.UserName).toBe('deployer');
    expect(lastUsed.AccessKeyLastUsed).toEqual({
      LastUsedDate: at('2024-04-04T04:04:04Z'),
      ServiceName: 's3',
      Region: 'us-west-2',
    });
  });

  it('reports the backdated values in the credential report', async () => {
    const row = (await credentialReport(iam)).get('deployer');
    expect(row).toMatchObject({
      arn: `arn:aws:iam::${MOTO_ACCOUNT_ID}:user/deployer`,
      user_creation_time: '2021-01-01T00:00:00+00:00',
      password_enabled: 'true',
      password_last_used: '2024-03-03T03:03:03+00:00',
      password_last_changed: '2021-02-02T02:02:02+00:00',
      access_key_1_active: 'true',
      access_key_1_last_rotated: '2021-05-05T05:05:05+00:00',
      access_key_1_last_used_date: '2024-04-04T04:04:04+00:00',
      access_key_1_last_used_region: 'us-west-2',
      access_key_1_last_used_service: 's3',
      access_key_2_active: 'false',
    });
  });

  it('deactivates a key and clears its last use and the password last use', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'ci-bot' }));
    await iam.send(new CreateLoginProfileCommand({ UserName: 'ci-bot', Password: 'Correct-Horse-2' }));
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: 'ci-bot' }));
    const keyId = AccessKey!.AccessKeyId!;
    await moto.backdateAccessKey({ accessKeyId: keyId, lastUsedDate: at('2024-01-01T00:00:00Z') });
    await moto.backdateUser({ userName: 'ci-bot', passwordLastUsed: at('2024-01-01T00:00:00Z') });

    const key = await moto.backdateAccessKey({
      accessKeyId: keyId,
      userName: 'ci-bot',
      lastUsedDate: null,
      status: 'Inactive',
    });
    expect(key).toMatchObject({
      status: 'Inactive',
      lastUsedDate: null,
      lastUsedService: null,
      lastUsedRegion: null,
    });
    await moto.backdateUser({ userName: 'ci-bot', passwordLastUsed: null });

    const lastUsed = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: keyId }));
    expect(lastUsed.AccessKeyLastUsed?.LastUsedDate).toBeUndefined();
    const { User } = await iam.send(new GetUserCommand({ UserName: 'ci-bot' }));
    expect(User?.PasswordLastUsed).toBeUndefined();

    const row = (await credentialReport(iam)).get('ci-bot');
    expect(row).toMatchObject({
      access_key_1_active: 'false',
      access_key_1_last_used_date: 'N/A',
      password_last_used: 'no_information',
    });
  });

  it('refuses a login profile date for a user without a login profile', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'no-console' }));
    const attempt = moto.backdateUser({
      userName: 'no-console',
      loginProfileCreateDate: at('2020-01-01T00:00:00Z'),
    });
    await expect(attempt).rejects.toBeInstanceOf(MotoHookError);
    await expect(attempt).rejects.toMatchObject({ hook: 'user', status: 409 });
  });

  it('rejects an unknown access key with a 404', async () => {
    const attempt = moto.backdateAccessKey({ accessKeyId: 'AKIANOTAREALKEY00000', status: 'Inactive' });
    await expect(attempt).rejects.toMatchObject({ name: 'MotoHookError', status: 404 });
  });
});

describe('moto launcher: secrets', () => {
  it('reports backdated dates in DescribeSecret and ListSecrets', async () => {
    const secrets = new SecretsManagerClient({ ...moto.clientConfig });
    await secrets.send(new CreateSecretCommand({ Name: 'db/password', SecretString: 'hunter2' }));

    const result = await moto.backdateSecret({
      secretId: 'db/password',
      createdDate: at('2023-01-01T00:00:00Z'),
      lastChangedDate: at('2023-06-01T12:00:01Z'),
      lastAccessedDate: at('2024-01-01T00:00:00Z'),
      lastRotatedDate: at('2023-06-01T12:00:00Z'),
      nextRotationDate: at('2023-09-01T12:00:00Z'),
    });
    expect(result).toMatchObject({
      name: 'db/password',
      region: 'us-east-1',
      createdDate: '2023-01-01T00:00:00Z',
      lastAccessedDate: '2024-01-01T00:00:00Z',
    });

    const expected = {
      Name: 'db/password',
      CreatedDate: at('2023-01-01T00:00:00Z'),
      LastChangedDate: at('2023-06-01T12:00:01Z'),
      LastAccessedDate: at('2024-01-01T00:00:00Z'),
      LastRotatedDate: at('2023-06-01T12:00:00Z'),
      NextRotationDate: at('2023-09-01T12:00:00Z'),
    };
    const described = await secrets.send(new DescribeSecretCommand({ SecretId: 'db/password' }));
    expect(described).toMatchObject(expected);
    const { SecretList } = await secrets.send(new ListSecretsCommand({}));
    expect(SecretList?.find((secret) => secret.Name === 'db/password')).toMatchObject(expected);
  });

  it('clears last access and rotation, and keeps regions apart', async () => {
    const region = 'eu-west-1';
    const secrets = new SecretsManagerClient({ ...moto.clientConfigFor(region) });
    const { ARN } = await secrets.send(new CreateSecretCommand({ Name: 'api-token', SecretString: 't' }));
    await expect(
      moto.backdateSecret({ secretId: 'api-token', lastAccessedDate: null }),
    ).rejects.toMatchObject({
      status: 404,
    });

    await moto.backdateSecret({ secretId: ARN!, region, lastAccessedDate: at('2024-01-01T00:00:00Z') });
    const accessed = await secrets.send(new DescribeSecretCommand({ SecretId: 'api-token' }));
    expect(accessed.LastAccessedDate).toEqual(at('2024-01-01T00:00:00Z'));

    await moto.backdateSecret({
      secretId: 'api-token',
      region,
      lastAccessedDate: null,
      lastRotatedDate: null,
    });
    const cleared = await secrets.send(new DescribeSecretCommand({ SecretId: 'api-token' }));
    expect(cleared.LastAccessedDate).toBeUndefined();
    expect(cleared.LastRotatedDate).toBeUndefined();
    expect(cleared.ARN).toBe(ARN);
  });
});

describe('moto launcher: server certificates', () => {
  it('reports backdated upload and expiration dates instead of moto fixed ones', async () => {
    await iam.send(
      new UploadServerCertificateCommand({
        ServerCertificateName: 'legacy-elb',
        CertificateBody: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
        PrivateKey: '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----',
      }),
    );
    const fixed = await iam.send(new ListServerCertificatesCommand({}));
    expect(fixed.ServerCertificateMetadataList?.[0]?.Expiration).toEqual(
      new Date('2012-05-08T01:02:03.004Z'),
    );

    await moto.backdateServerCertificate({
      serverCertificateName: 'legacy-elb',
      uploadDate: at('2024-01-01T00:00:00Z'),
      expiration: at('2025-01-01T00:00:00Z'),
    });

    const listed = await iam.send(new ListServerCertificatesCommand({}));
    expect(
      listed.ServerCertificateMetadataList?.map((c) => [c.ServerCertificateName, c.UploadDate, c.Expiration]),
    ).toEqual([['legacy-elb', at('2024-01-01T00:00:00Z'), at('2025-01-01T00:00:00Z')]]);
    const { ServerCertificate } = await iam.send(
      new GetServerCertificateCommand({ ServerCertificateName: 'legacy-elb' }),
    );
    expect(ServerCertificate?.ServerCertificateMetadata?.UploadDate).toEqual(at('2024-01-01T00:00:00Z'));
    expect(ServerCertificate?.ServerCertificateMetadata?.Expiration).toEqual(at('2025-01-01T00:00:00Z'));
  });
});

describe('moto launcher: lifecycle', () => {
  it('reset wipes the seeded identities', async () => {
    await iam.send(
      new CreateRoleCommand({ RoleName: 'short-lived', AssumeRolePolicyDocument: TRUST_LAMBDA }),
    );
    await moto.reset();
    await expect(iam.send(new GetRoleCommand({ RoleName: 'short-lived' }))).rejects.toBeInstanceOf(
      NoSuchEntityException,
    );
    const details = await authorizationDetails(iam);
    expect(details.RoleDetailList).toEqual([]);
    expect(details.UserDetailList).toEqual([]);
  });

  it('stop terminates the server', async () => {
    const other = await startMoto();
    expect(other.port).not.toBe(moto.port);
    const health = await fetch(`${other.endpoint}/_iam_posture/health`);
    expect(await health.json()).toEqual({ ok: true, moto: '5.2.1' });

    await other.stop();
    await expect(fetch(`${other.endpoint}/_iam_posture/health`)).rejects.toThrow();
    await other.stop(); // idempotent
  });

  it('loads AWS managed policies only when asked to', async () => {
    const adminArn = 'arn:aws:iam::aws:policy/AdministratorAccess';
    await iam.send(new CreateRoleCommand({ RoleName: 'admin', AssumeRolePolicyDocument: TRUST_LAMBDA }));
    await expect(
      iam.send(new AttachRolePolicyCommand({ RoleName: 'admin', PolicyArn: adminArn })),
    ).rejects.toBeInstanceOf(NoSuchEntityException);

    const withPolicies = await startMoto({ awsManagedPolicies: true });
    try {
      const client = new IAMClient({ ...withPolicies.clientConfig });
      await client.send(new CreateRoleCommand({ RoleName: 'admin', AssumeRolePolicyDocument: TRUST_LAMBDA }));
      await client.send(new AttachRolePolicyCommand({ RoleName: 'admin', PolicyArn: adminArn }));
      const { AttachedPolicies } = await client.send(
        new ListAttachedRolePoliciesCommand({ RoleName: 'admin' }),
      );
      expect(AttachedPolicies).toEqual([{ PolicyName: 'AdministratorAccess', PolicyArn: adminArn }]);
    } finally {
      await withPolicies.stop();
    }
  });

  it('fails with an install hint when the Python interpreter is missing', async () => {
    const attempt = startMoto({ python: 'python3-that-does-not-exist' });
    await expect(attempt).rejects.toBeInstanceOf(MotoUnavailableError);
    await expect(attempt).rejects.toThrow(/pip install 'moto\[server\]==5\.2\.1'/);
  });
});

describe('moto launcher: DynamoDB conditional writes', () => {
  it('lets exactly one of many racing conditional writes to an item win, as DynamoDB does', async () => {
    const dynamo = new DynamoDBClient({ ...moto.clientConfig });
    try {
      await dynamo.send(
        new CreateTableCommand({
          TableName: 'races',
          KeySchema: [{ AttributeName: 'PK', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'PK', AttributeType: 'S' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      for (let round = 0; round < 8; round++) {
        const key = { PK: { S: `item-${round}` } };
        await dynamo.send(
          new PutItemCommand({ TableName: 'races', Item: { ...key, state: { S: 'requested' } } }),
        );
        const racers = Array.from({ length: 48 }, (_, i) => `racer-${i}`);
        const outcomes = await Promise.allSettled(
          racers.map((racer) =>
            dynamo.send(
              new UpdateItemCommand({
                TableName: 'races',
                Key: key,
                UpdateExpression: 'SET #state = :approved, winner = :racer',
                ConditionExpression: '#state = :requested',
                ExpressionAttributeNames: { '#state': 'state' },
                ExpressionAttributeValues: {
                  ':approved': { S: 'approved' },
                  ':requested': { S: 'requested' },
                  ':racer': { S: racer },
                },
              }),
            ),
          ),
        );
        const won = racers.filter((_, i) => outcomes[i]!.status === 'fulfilled');
        expect(won).toHaveLength(1);
        for (const outcome of outcomes) {
          if (outcome.status === 'rejected')
            expect(outcome.reason).toBeInstanceOf(ConditionalCheckFailedException);
        }
        const { Item } = await dynamo.send(new GetItemCommand({ TableName: 'races', Key: key }));
        expect(Item?.winner?.S).toBe(won[0]);
      }
    } finally {
      dynamo.destroy();
    }
  });
});
