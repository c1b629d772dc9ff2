/**
 * The real SDK stack (serialization, adaptive retries, error mapping, the call counter) over a
 * fake HTTP handler: no network, but every request goes through the middleware AWS would see.
 */
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { operationName } from '../../functions/adapters/aws/api-call-counter';
import { type AwsClients, createAwsClients } from '../../functions/adapters/aws/clients';
import { IamReader } from '../../functions/adapters/aws/iam-reader';
import { SecretsReader } from '../../functions/adapters/aws/secrets-reader';
import { fakeClock } from '../support/clock';

interface FakeResponse {
  status: number;
  body: string;
  contentType?: string;
}

/** Answers each request with the next scripted response for its action (Query or JSON protocol). */
class ScriptedHttpHandler {
  readonly actions: string[] = [];
  constructor(private readonly script: Record<string, FakeResponse[]>) {}

  async handle(request: { body?: unknown; headers: Record<string, string> }) {
    const action =
      request.headers['x-amz-target']?.split('.').pop() ??
      new URLSearchParams(String(request.body ?? '')).get('Action') ??
      'unknown';
    this.actions.push(action);
    const queue = this.script[action] ?? [];
    const next = queue.length > 1 ? queue.shift()! : queue[0];
    if (!next) throw new Error(`no scripted response for ${action}`);
    return {
      response: {
        statusCode: next.status,
        headers: { 'content-type': next.contentType ?? 'text/xml', 'x-amzn-requestid': 'req-1' },
        body: Readable.from([Buffer.from(next.body)]),
      },
    };
  }
  updateHttpClientConfig(): void {}
  httpHandlerConfigs() {
    return {};
  }
  destroy(): void {}
}

const IAM_NS = 'https://iam.amazonaws.com/doc/2010-05-08/';
const iamError = (code: string, message: string, status = 400): FakeResponse => ({
  status,
  body: `<ErrorResponse xmlns="${IAM_NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>req-1</RequestId></ErrorResponse>`,
});
const iamOk = (action: string, result: string): FakeResponse => ({
  status: 200,
  body: `<${action}Response xmlns="${IAM_NS}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></${action}Response>`,
});
const CERTIFICATES = iamOk(
  'ListServerCertificates',
  '<IsTruncated>false</IsTruncated><ServerCertificateMetadataList><member><Path>/</Path><ServerCertificateName>www</ServerCertificateName><ServerCertificateId>ASCAWWW</ServerCertificateId><Arn>arn:aws:iam::111122223333:server-certificate/www</Arn><UploadDate>2024-01-01T00:00:00Z</UploadDate><Expiration>2025-01-01T00:00:00Z</Expiration></member></ServerCertificateMetadataList>',
);

let clients: AwsClients | undefined;
afterEach(() => clients?.destroy());

function clientsWith(handler: ScriptedHttpHandler, maxAttempts: number): AwsClients {
  clients = createAwsClients({
    region: 'eu-west-1',
    maxAttempts,
    credentials: { accessKeyId: 'AKIAUNITTEST00000000', secretAccessKey: 'unit-test-secret' },
    requestHandler: handler as never,
  });
  return clients;
}

describe('AWS clients of the collector', () => {
  it('retries a throttled call in adaptive mode and succeeds, counting every attempt', async () => {
    const handler = new ScriptedHttpHandler({
      ListServerCertificates: [iamError('Throttling', 'Rate exceeded'), CERTIFICATES],
    });
    const aws = clientsWith(handler, 3);
    const read = await new IamReader(aws.iam).serverCertificates('111122223333');

    expect(read.gaps).toEqual([]);
    expect(read.data).toEqual({
      ServerCertificateMetadataList: [
        {
          Path: '/',
          ServerCertificateName: 'www',
          ServerCertificateId: 'ASCAWWW',
          Arn: 'arn:aws:iam::111122223333:server-certificate/www',
          UploadDate: '2024-01-01T00:00:00.000Z',
          Expiration: '2025-01-01T00:00:00.000Z',
        },
      ],
    });
    expect(handler.actions).toEqual(['ListServerCertificates', 'ListServerCertificates']);
    expect(aws.apiCalls.snapshot()).toEqual({ 'iam:ListServerCertificates': 2 });
  });

  it('turns throttling that outlasts maxAttempts into a Throttling gap', async () => {
    const handler = new ScriptedHttpHandler({
      ListServerCertificates: [iamError('Throttling', 'Rate exceeded')],
    });
    const aws = clientsWith(handler, 2);
    const read = await new IamReader(aws.iam).serverCertificates('111122223333');

    expect(read.data).toBeUndefined();
    expect(read.gaps.map((gap) => [gap.source, gap.category, gap.reason])).toEqual([
      [
        'iam:ListServerCertificates',
        'Throttling',
        'Requests were still throttled after every retry (Throttling: Rate exceeded); no server certificate was read.',
      ],
    ]);
    expect(aws.apiCalls.snapshot()).toEqual({ 'iam:ListServerCertificates': 2 });
  });

  it('maps AccessDenied from the wire to an AccessDenied gap without retrying', async () => {
    const handler = new ScriptedHttpHandler({
      ListServerCertificates: [iamError('AccessDenied', 'not authorized', 403)],
    });
    const aws = clientsWith(handler, 5);
    const read = await new IamReader(aws.iam).serverCertificates('111122223333');
    expect(read.gaps.map((gap) => gap.category)).toEqual(['AccessDenied']);
    expect(aws.apiCalls.snapshot()).toEqual({ 'iam:ListServerCertificates': 1 });
  });

  it('follows authorization-details markers through the SDK paginator, counting one call per page', async () => {
    const handler = new ScriptedHttpHandler({
      GetAccountAuthorizationDetails: [
        iamOk(
          'GetAccountAuthorizationDetails',
          '<IsTruncated>true</IsTruncated><Marker>page-2</Marker><UserDetailList><member><UserName>alice</UserName></member></UserDetailList>',
        ),
        iamOk(
          'GetAccountAuthorizationDetails',
          '<IsTruncated>false</IsTruncated><UserDetailList><member><UserName>bob</UserName></member></UserDetailList>',
        ),
      ],
    });
    const aws = clientsWith(handler, 3);
    const read = await new IamReader(aws.iam, { pageSize: 2 }).authorizationDetails('111122223333');

    expect(read.gaps).toEqual([]);
    expect(read.data?.UserDetailList).toEqual([{ UserName: 'alice' }, { UserName: 'bob' }]);
    expect(aws.apiCalls.snapshot()).toEqual({ 'iam:GetAccountAuthorizationDetails': 2 });
  });

  it('stops at a marker that comes back again, with a Malformed gap after two calls', async () => {
    const handler = new ScriptedHttpHandler({
      GetAccountAuthorizationDetails: [
        iamOk(
          'GetAccountAuthorizationDetails',
          '<IsTruncated>true</IsTruncated><Marker>same</Marker><UserDetailList><member><UserName>alice</UserName></member></UserDetailList>',
        ),
      ],
    });
    const aws = clientsWith(handler, 3);
    const read = await new IamReader(aws.iam).authorizationDetails('111122223333');

    expect(read.data).toBeUndefined();
    expect(read.gaps.map((gap) => [gap.category, gap.reason])).toEqual([
      [
        'Malformed',
        'Page 2 is marked truncated but has no new marker; no user, group, role or policy was read.',
      ],
    ]);
    expect(aws.apiCalls.snapshot()).toEqual({ 'iam:GetAccountAuthorizationDetails': 2 });
  });

  it('waits on the wire code ReportInProgress and decodes the report content', async () => {
    const csv = 'user,arn\nalice,arn:aws:iam::111122223333:user/alice\n';
    const handler = new ScriptedHttpHandler({
      GenerateCredentialReport: [iamOk('GenerateCredentialReport', '<State>COMPLETE</State>')],
      GetCredentialReport: [
        iamError('ReportInProgress', 'Report generation in progress', 404),
        iamOk(
          'GetCredentialReport',
          `<Content>${Buffer.from(csv).toString('base64')}</Content><ReportFormat>text/csv</ReportFormat><GeneratedTime>2024-06-01T11:58:00Z</GeneratedTime>`,
        ),
      ],
    });
    const aws = clientsWith(handler, 3);
    const clock = fakeClock();
    const read = await new IamReader(aws.iam, { clock }).credentialReport('111122223333');

    expect(read).toEqual({ data: { content: csv, generatedAt: '2024-06-01T11:58:00.000Z' }, gaps: [] });
    expect(clock.sleeps).toEqual([1000]);
    expect(aws.apiCalls.snapshot()).toEqual({
      'iam:GenerateCredentialReport': 1,
      'iam:GetCredentialReport': 2,
    });
  });

  it('reports a region whose endpoint rejects the token as RegionDisabled', async () => {
    const handler = new ScriptedHttpHandler({
      ListSecrets: [
        {
          status: 400,
          contentType: 'application/x-amz-json-1.1',
          body: JSON.stringify({
            __type: 'UnrecognizedClientException',
            message: 'The security token included in the request is invalid.',
          }),
        },
      ],
    });
    const aws = clientsWith(handler, 2);
    const read = await new SecretsReader((region) => aws.secretsManager(region)).listSecrets(
      '111122223333',
      'ap-east-1',
    );
    expect(read.gaps.map((gap) => [gap.category, gap.detail])).toEqual([['RegionDisabled', 'ap-east-1']]);
  });

  it('configures every client for adaptive retries with the given attempts and endpoint', async () => {
    clients = createAwsClients({ region: 'eu-west-1', maxAttempts: 6, endpoint: 'http://127.0.0.1:4566' });
    for (const client of [clients.iam, clients.sts, clients.ec2, clients.secretsManager('ap-east-1')]) {
      expect(await client.config.maxAttempts()).toBe(6);
      const strategy = (await client.config.retryStrategy()) as { mode?: string };
      expect(strategy.mode).toBe('adaptive');
      const endpoint = await client.config.endpoint?.();
      expect(`${endpoint?.protocol}//${endpoint?.hostname}:${endpoint?.port}`).toBe('http://127.0.0.1:4566');
    }
    expect(await clients.iam.config.region()).toBe('eu-west-1');
    expect(await clients.secretsManager('ap-east-1').config.region()).toBe('ap-east-1');
    expect(clients.secretsManager('ap-east-1')).toBe(clients.secretsManager('ap-east-1'));
  });

  it('takes the home region from AWS_REGION when none is given', async () => {
    const saved = process.env.AWS_REGION;
    process.env.AWS_REGION = 'ap-southeast-2';
    try {
      clients = createAwsClients({});
      expect(await clients.homeRegion()).toBe('ap-southeast-2');
      expect(await clients.iam.config.region()).toBe('ap-southeast-2');
    } finally {
      if (saved === undefined) delete process.env.AWS_REGION;
      else process.env.AWS_REGION = saved;
    }
  });

  it('names operations by IAM action prefix', () => {
    expect(operationName('IAMClient', 'GetAccountAuthorizationDetailsCommand')).toBe(
      'iam:GetAccountAuthorizationDetails',
    );
    expect(operationName('SecretsManagerClient', 'ListSecretsCommand')).toBe('secretsmanager:ListSecrets');
    expect(operationName('STSClient', 'GetCallerIdentityCommand')).toBe('sts:GetCallerIdentity');
    expect(operationName('EC2Client', 'DescribeRegionsCommand')).toBe('ec2:DescribeRegions');
  });
});
