import { AssumeRoleCommand, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { MemberAccessError } from '../../../functions/use-cases/scan-organization';
import { memberAccess } from '../../../functions/wiring/organization';

const sts = mockClient(STSClient);
beforeEach(() => sts.reset());

const ACCOUNT = { id: '222222222222', name: 'prod-a' };
const CENTRAL = {
  region: 'eu-west-1',
  endpoint: 'http://127.0.0.1:5000',
  maxAttempts: 2,
  credentials: { accessKeyId: 'AKIACENTRAL', secretAccessKey: 'central-secret' },
};

const session = (key: string, expiration: Date) => ({
  Credentials: {
    AccessKeyId: key,
    SecretAccessKey: `${key}-secret`,
    SessionToken: `${key}-token`,
    Expiration: expiration,
  },
});

describe('memberAccess', () => {
  it('assumes the member role once, up front, with the run in the session name and the external id', async () => {
    sts.on(AssumeRoleCommand).resolves(session('ASIAMEMBER', new Date('2030-01-01T00:00:00Z')));
    const access = memberAccess(CENTRAL, {
      roleName: 'IamPostureScanner',
      runId: 'run-7',
      externalId: 'x-1',
    });
    const config = await access.memberConfig(ACCOUNT);
    access.destroy();

    expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input)).toEqual([
      {
        RoleArn: 'arn:aws:iam::222222222222:role/IamPostureScanner',
        RoleSessionName: 'iam-posture-run-7',
        DurationSeconds: 3600,
        ExternalId: 'x-1',
      },
    ]);
    expect(config).toMatchObject({ region: 'eu-west-1', endpoint: 'http://127.0.0.1:5000', maxAttempts: 2 });
    const provider = config.credentials as () => Promise<{ accessKeyId: string; sessionToken?: string }>;
    expect(typeof provider).toBe('function');
    // Every client of the account shares the session assumed above: no second AssumeRole.
    expect((await provider()).accessKeyId).toBe('ASIAMEMBER');
    expect((await provider()).sessionToken).toBe('ASIAMEMBER-token');
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
  });

  it('sends the assume call to the central endpoint and region, signed with the central credentials', async () => {
    sts.on(AssumeRoleCommand).resolves(session('ASIAMEMBER', new Date('2030-01-01T00:00:00Z')));
    const access = memberAccess(CENTRAL, { roleName: 'IamPostureScanner', runId: 'r' });
    await access.memberConfig(ACCOUNT);
    const client = sts.call(0).thisValue as STSClient;
    access.destroy();
    expect(await client.config.region()).toBe('eu-west-1');
    const endpoint = await client.config.endpoint!();
    expect(`${endpoint.protocol}//${endpoint.hostname}:${endpoint.port}`).toBe('http://127.0.0.1:5000');
    expect((await client.config.credentials()).accessKeyId).toBe('AKIACENTRAL');
  });

  it('names the partition of the central region in the role ARN', async () => {
    sts.on(AssumeRoleCommand).resolves(session('ASIAGOV', new Date('2030-01-01T00:00:00Z')));
    const access = memberAccess({ ...CENTRAL, region: 'us-gov-west-1' }, { roleName: 'Scanner', runId: 'r' });
    await access.memberConfig(ACCOUNT);
    access.destroy();
    expect(sts.call(0).args[0].input).toMatchObject({
      RoleArn: 'arn:aws-us-gov:iam::222222222222:role/Scanner',
    });
  });

  it('renews the session before it expires', async () => {
    let clock = Date.parse('2030-01-01T00:00:00Z');
    sts
      .on(AssumeRoleCommand)
      .resolvesOnce(session('ASIAFIRST', new Date(clock + 60 * 60_000)))
      .resolvesOnce(session('ASIASECOND', new Date(clock + 120 * 60_000)));
    const access = memberAccess(CENTRAL, { roleName: 'IamPostureScanner', runId: 'r' }, () => clock);
    const provider = (await access.memberConfig(ACCOUNT)).credentials as () => Promise<{
      accessKeyId: string;
    }>;
    access.destroy();
    clock += 50 * 60_000;
    expect((await provider()).accessKeyId).toBe('ASIAFIRST');
    clock += 6 * 60_000; // within five minutes of the expiry
    expect((await provider()).accessKeyId).toBe('ASIASECOND');
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
  });

  it('raises a role that cannot be assumed as MemberAccessError, the AWS error its cause', async () => {
    const denied = new STSServiceException({
      name: 'AccessDenied',
      $fault: 'client',
      message:
        'User: arn:aws:iam::111111111111:user/central is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/IamPostureScanner',
      $metadata: { httpStatusCode: 403 },
    });
    sts.on(AssumeRoleCommand).rejects(denied);
    const access = memberAccess(CENTRAL, { roleName: 'IamPostureScanner', runId: 'r' });
    const error = await access.memberConfig(ACCOUNT).catch((e) => e);
    access.destroy();
    expect(error).toBeInstanceOf(MemberAccessError);
    expect(error.accountId).toBe('222222222222');
    expect(error.cause).toBe(denied);
    expect(error.message).toBe(
      'cannot assume arn:aws:iam::222222222222:role/IamPostureScanner: User: arn:aws:iam::111111111111:user/central ' +
        'is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/IamPostureScanner',
    );
  });
});
