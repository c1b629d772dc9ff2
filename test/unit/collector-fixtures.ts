/**
 * Shared setup for the collector unit tests: recorded AWS responses (test/fixtures/aws/) revived
 * into SDK shapes (timestamps as Date, blobs as Uint8Array), SDK clients stubbed with
 * aws-sdk-client-mock, and a fake clock that advances when the collector sleeps.
 */
import { readFileSync } from 'node:fs';
import { DescribeRegionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  GenerateCredentialReportCommand,
  GenerateServiceLastAccessedDetailsCommand,
  GetAccountAuthorizationDetailsCommand,
  GetCredentialReportCommand,
  GetServiceLastAccessedDetailsCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListServerCertificatesCommand,
  NoSuchEntityException,
} from '@aws-sdk/client-iam';
import { DescribeOrganizationCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import {
  GetResourcePolicyCommand,
  ListSecretsCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { createAwsClients } from '../../functions/adapters/aws/clients';
import { AwsCollector, type AwsCollectorOptions } from '../../functions/adapters/aws/collector';
import {
  type CollectOptions,
  type CollectProgressEvent,
  collectAccount,
} from '../../functions/use-cases/collect';
import { type FakeClock, fakeClock } from '../support/clock';

export const ACCOUNT_ID = '111122223333';
export const NOW = new Date('2024-06-01T12:00:00Z');
export const HOME_REGION = 'eu-west-1';

const TIMESTAMP_MEMBER = /(Date|Time)$|^Expiration$|^LastAuthenticated$/;

/** A recorded response as the SDK returns it: timestamps as Date, `Content` as bytes. */
// biome-ignore lint/suspicious/noExplicitAny: fixtures are AWS responses of many shapes
export function fixture<T = any>(name: string): T {
  const text = readFileSync(new URL(`../fixtures/aws/${name}`, import.meta.url), 'utf8');
  return revive(JSON.parse(text)) as T;
}

function revive(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((item) => revive(item));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revive(v, k)]));
  }
  if (typeof value === 'string' && key === 'Content') return new Uint8Array(Buffer.from(value, 'base64'));
  if (typeof value === 'string' && TIMESTAMP_MEMBER.test(key)) return new Date(value);
  return value;
}

/** The recorded fixture JSON as written on disk (no revival), for comparing CLI-shaped output. */
// biome-ignore lint/suspicious/noExplicitAny: fixtures are AWS responses of many shapes
export function rawFixture<T = any>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/aws/${name}`, import.meta.url), 'utf8')) as T;
}

export const mocks = {
  iam: mockClient(IAMClient),
  sts: mockClient(STSClient),
  secrets: mockClient(SecretsManagerClient),
  ec2: mockClient(EC2Client),
  organizations: mockClient(OrganizationsClient),
};

/**
 * The input of each paginated call as it was when sent, by operation. The SDK paginators send one
 * input object for every page and change its token in place, so the calls the mocks record all
 * show the last token.
 */
const inputsAsSent = new Map<string, object[]>();

export function sentInputs(operation: string): object[] {
  return inputsAsSent.get(operation) ?? [];
}

function recordingInputs<I extends object, R>(
  operation: string,
  fake: (input: I, getClient: () => unknown) => R,
): (input: I, getClient: () => unknown) => R {
  return (input, getClient) => {
    inputsAsSent.set(operation, [...sentInputs(operation), { ...input }]);
    return fake(input, getClient);
  };
}

export function resetMocks(): void {
  for (const mock of Object.values(mocks)) mock.reset();
  inputsAsSent.clear();
}

export function awsError<E extends Error>(
  ErrorClass: new (opts: { message: string; $metadata: object }) => E,
  message = 'failed',
): E {
  return new ErrorClass({ message, $metadata: { httpStatusCode: 400 } });
}

/** An SDK error as it surfaces for codes the client has no class for (AccessDenied, Throttling). */
export function serviceError(name: string, message = `${name} error`, httpStatusCode = 400): Error {
  const error = new Error(message) as Error & { $metadata: object; $fault: string };
  error.name = name;
  error.$metadata = { httpStatusCode };
  error.$fault = 'client';
  return error;
}

const SLA_PAGES: Record<string, string> = {
  '': 'get-service-last-accessed-details-page-1.json',
  'sla-page-2': 'get-service-last-accessed-details-page-2.json',
};

/** A healthy account: every call answers with the recorded fixtures. */
export function stubHealthyAccount(): void {
  mocks.sts.on(GetCallerIdentityCommand).resolves(fixture('get-caller-identity.json'));
  mocks.iam.on(GetAccountAuthorizationDetailsCommand).callsFake(
    recordingInputs('iam:GetAccountAuthorizationDetails', (input: { Marker?: string }) => {
      const page = { '': 1, 'marker-page-2': 2, 'marker-page-3': 3 }[input.Marker ?? ''];
      if (!page) throw serviceError('InvalidInput', `unknown marker ${input.Marker}`);
      return fixture(`get-account-authorization-details-page-${page}.json`);
    }),
  );
  mocks.iam.on(GenerateCredentialReportCommand).resolves({ State: 'COMPLETE' });
  mocks.iam.on(GetCredentialReportCommand).resolves(fixture('get-credential-report.json'));
  const keys = fixture<Record<string, object>>('list-access-keys.json');
  mocks.iam.on(ListAccessKeysCommand).callsFake((input: { UserName: string }) => {
    const output = keys[input.UserName];
    if (!output)
      throw awsError(NoSuchEntityException, `The user with name ${input.UserName} cannot be found.`);
    return output;
  });
  mocks.iam.on(ListServerCertificatesCommand).resolves(fixture('list-server-certificates.json'));
  mocks.iam
    .on(GenerateServiceLastAccessedDetailsCommand)
    .callsFake((input: { Arn: string }) => ({ JobId: `job:${input.Arn}` }));
  mocks.iam
    .on(GetServiceLastAccessedDetailsCommand)
    .callsFake((input: { Marker?: string }) => fixture(SLA_PAGES[input.Marker ?? '']!));
  mocks.secrets.on(ListSecretsCommand).callsFake(
    recordingInputs('secretsmanager:ListSecrets', async (input: { NextToken?: string }, getClient) => {
      const region = await (getClient() as SecretsManagerClient).config.region();
      if (region === 'eu-west-1') {
        return fixture(
          input.NextToken ? 'list-secrets-eu-west-1-page-2.json' : 'list-secrets-eu-west-1-page-1.json',
        );
      }
      if (region === 'us-east-1') return fixture('list-secrets-us-east-1.json');
      return { SecretList: [] };
    }),
  );
  const withPolicy = fixture('get-resource-policy-with-policy.json');
  mocks.secrets.on(GetResourcePolicyCommand).callsFake((input: { SecretId: string }) => {
    if (input.SecretId === withPolicy.ARN) return withPolicy;
    if (!input.SecretId.startsWith('arn:aws:secretsmanager:')) {
      throw awsError(ResourceNotFoundException, 'Secrets Manager cannot find the specified secret.');
    }
    const name = input.SecretId.split(':secret:')[1]!.replace(/-[A-Za-z0-9]{6}$/, '');
    return { ARN: input.SecretId, Name: name };
  });
  mocks.ec2.on(DescribeRegionsCommand).resolves(fixture('describe-regions.json'));
  mocks.organizations.on(DescribeOrganizationCommand).resolves(fixture('describe-organization.json'));
}

export interface RunOptions extends Partial<CollectOptions> {
  collector?: AwsCollectorOptions;
  clock?: FakeClock;
}

/** Runs `collectAccount` over the stubbed clients, as the CLI would over real ones. */
export async function runCollection(options: RunOptions = {}) {
  const clock = options.clock ?? fakeClock(NOW);
  const clients = createAwsClients({
    region: HOME_REGION,
    credentials: { accessKeyId: 'AKIAUNITTEST00000000', secretAccessKey: 'unit-test-secret' },
  });
  const collector = new AwsCollector(clients, { clock, ...options.collector });
  const events: CollectProgressEvent[] = [];
  const { collector: _collector, clock: _clock, ...collectOptions } = options;
  const result = await collectAccount(
    { source: collector, now: () => NOW },
    { settings: { disabledRules: [] }, ...collectOptions },
    (event) => events.push(event),
  );
  clients.destroy();
  return { result, events, clock };
}

/** `prefix:Operation` of every command a mock received, in order. */
export function commandsSent(): string[] {
  const prefixes: [keyof typeof mocks, string][] = [
    ['sts', 'sts'],
    ['iam', 'iam'],
    ['secrets', 'secretsmanager'],
    ['ec2', 'ec2'],
    ['organizations', 'organizations'],
  ];
  return prefixes.flatMap(([mock, prefix]) =>
    mocks[mock].calls().map((call) => `${prefix}:${call.args[0].constructor.name.replace(/Command$/, '')}`),
  );
}
