import { AccountReader, type CallerIdentity } from './account-reader';
import type { AwsClients } from './clients';
import type { Clock, PollingOptions } from './clock';
import { type AuthorizationDetails, type CredentialReport, IamReader, type UserRef } from './iam-reader';
import { OrganizationReader } from './organization-reader';
import type { OnItemsProgress, Read } from './read';
import { type SecretRef, SecretsReader } from './secrets-reader';
import { ServiceLastAccessedReader } from './service-last-accessed';

export interface AwsCollectorOptions {
  clock?: Clock;
  /** `MaxItems` of `GetAccountAuthorizationDetails`. Default 1000. */
  pageSize?: number;
  /** Concurrent per-entity calls (ListAccessKeys, GetResourcePolicy). Default 8. */
  concurrency?: number;
  /** Concurrent service-last-accessed jobs. Default 4. */
  jobConcurrency?: number;
  credentialReport?: Partial<PollingOptions>;
  serviceLastAccessed?: Partial<PollingOptions>;
}

/**
 * Every read the collection makes against one AWS account, each returning data or coverage
 * gaps. Built from the shared client factory, so the CLI and the Lambda handlers read alike.
 */
export class AwsCollector {
  private readonly account: AccountReader;
  private readonly organizationReader: OrganizationReader;
  private readonly iam: IamReader;
  private readonly secretsReader: SecretsReader;
  private readonly lastAccessed: ServiceLastAccessedReader;

  constructor(
    private readonly clients: Pick<
      AwsClients,
      'iam' | 'sts' | 'ec2' | 'organizations' | 'secretsManager' | 'homeRegion' | 'apiCalls'
    >,
    options: AwsCollectorOptions = {},
  ) {
    this.account = new AccountReader(clients.sts, clients.ec2);
    this.organizationReader = new OrganizationReader(clients.organizations);
    this.iam = new IamReader(clients.iam, {
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.pageSize ? { pageSize: options.pageSize } : {}),
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      ...(options.credentialReport ? { credentialReport: options.credentialReport } : {}),
    });
    this.secretsReader = new SecretsReader((region) => clients.secretsManager(region), {
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    });
    this.lastAccessed = new ServiceLastAccessedReader(clients.iam, {
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.jobConcurrency ? { concurrency: options.jobConcurrency } : {}),
      ...(options.serviceLastAccessed ? { polling: options.serviceLastAccessed } : {}),
    });
  }

  callerIdentity(): Promise<CallerIdentity> {
    return this.account.callerIdentity();
  }

  homeRegion(): Promise<string> {
    return this.clients.homeRegion();
  }

  organization(accountId: string): Promise<Read<unknown>> {
    return this.organizationReader.describe(accountId);
  }

  enabledRegions(accountId: string): Promise<Read<string[]>> {
    return this.account.enabledRegions(accountId);
  }

  authorizationDetails(
    accountId: string,
    onPage?: (pages: number, entities: number) => void,
  ): Promise<Read<AuthorizationDetails>> {
    return this.iam.authorizationDetails(accountId, onPage);
  }

  credentialReport(accountId: string): Promise<Read<CredentialReport>> {
    return this.iam.credentialReport(accountId);
  }

  accessKeys(
    accountId: string,
    users: readonly UserRef[],
    onProgress?: OnItemsProgress,
  ): Promise<Read<Record<string, unknown>>> {
    return this.iam.accessKeys(accountId, users, onProgress);
  }

  serverCertificates(accountId: string): Promise<Read<unknown>> {
    return this.iam.serverCertificates(accountId);
  }

  secrets(accountId: string, region: string): Promise<Read<unknown>> {
    return this.secretsReader.listSecrets(accountId, region);
  }

  secretPolicies(
    accountId: string,
    secrets: readonly SecretRef[],
    onProgress?: OnItemsProgress,
  ): Promise<Read<unknown[]>> {
    return this.secretsReader.resourcePolicies(accountId, secrets, onProgress);
  }

  serviceLastAccessed(
    accountId: string,
    principalArns: readonly string[],
    onProgress?: OnItemsProgress,
  ): Promise<Read<Record<string, unknown>>> {
    return this.lastAccessed.read(accountId, principalArns, onProgress);
  }

  /** Requests sent so far, by operation, retries included. */
  apiCalls(): Record<string, number> {
    return this.clients.apiCalls.snapshot();
  }
}
