import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient, type IAMClientConfig } from '@aws-sdk/client-iam';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { ApiCallCounter } from './api-call-counter';

/** Region for IAM, STS and EC2 when neither the options, the environment nor the profile name one. */
export const FALLBACK_REGION = 'us-east-1';

export interface AwsClientOptions {
  /** Named profile of the shared config files; the standard credential chain otherwise. */
  profile?: string;
  /** Home region: IAM, STS and EC2 calls are signed for it; the default secrets region. */
  region?: string;
  /** A local emulator or VPC endpoint. Without it the SDK still honours `AWS_ENDPOINT_URL`. */
  endpoint?: string;
  /** Attempts per request, the first included (adaptive retry mode). Default 8. */
  maxAttempts?: number;
  /**
   * Explicit credentials (emulators), or a provider of them (an assumed role, refreshed before it
   * expires); the standard credential chain otherwise.
   */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** A custom HTTP handler (proxies, connection tuning); the SDK's default otherwise. */
  requestHandler?: IAMClientConfig['requestHandler'];
}

/** The SDK clients the collector needs. Each is created on first use, then shared. */
export interface AwsClients {
  readonly iam: IAMClient;
  readonly sts: STSClient;
  readonly ec2: EC2Client;
  /** AWS Organizations (a global service; the SDK picks its endpoint). */
  readonly organizations: OrganizationsClient;
  secretsManager(region: string): SecretsManagerClient;
  /** The configured region, else the SDK's (AWS_REGION, the profile), else us-east-1. */
  homeRegion(): Promise<string>;
  /** Requests sent by every client, by operation, retries included. */
  readonly apiCalls: ApiCallCounter;
  /** Closes the clients' connections. */
  destroy(): void;
}

/**
 * The one place that builds AWS clients, for the CLI and the Lambda handlers alike: adaptive
 * retries, an optional endpoint, and the API-call counter on every client.
 */
export function createAwsClients(options: AwsClientOptions = {}): AwsClients {
  const apiCalls = new ApiCallCounter();
  const created: { destroy(): void }[] = [];
  let region: Promise<string> | undefined;
  const homeRegion = (): Promise<string> => {
    region ??= resolveRegion(options);
    return region;
  };
  const config = (clientRegion: string | (() => Promise<string>)) => ({
    region: clientRegion,
    retryMode: 'adaptive',
    maxAttempts: options.maxAttempts ?? 8,
    ...(options.profile ? { profile: options.profile } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.requestHandler ? { requestHandler: options.requestHandler } : {}),
  });
  const counted = <C extends { destroy(): void }>(client: C, stack: (client: C) => void): C => {
    stack(client);
    created.push(client);
    return client;
  };

  let iam: IAMClient | undefined;
  let sts: STSClient | undefined;
  let ec2: EC2Client | undefined;
  let organizations: OrganizationsClient | undefined;
  const secrets = new Map<string, SecretsManagerClient>();
  return {
    get iam() {
      iam ??= counted(new IAMClient(config(homeRegion)), (c) => apiCalls.attach(c.middlewareStack));
      return iam;
    },
    get sts() {
      sts ??= counted(new STSClient(config(homeRegion)), (c) => apiCalls.attach(c.middlewareStack));
      return sts;
    },
    get ec2() {
      ec2 ??= counted(new EC2Client(config(homeRegion)), (c) => apiCalls.attach(c.middlewareStack));
      return ec2;
    },
    get organizations() {
      organizations ??= counted(new OrganizationsClient(config(homeRegion)), (c) =>
        apiCalls.attach(c.middlewareStack),
      );
      return organizations;
    },
    secretsManager(secretsRegion: string) {
      let client = secrets.get(secretsRegion);
      if (!client) {
        client = counted(new SecretsManagerClient(config(secretsRegion)), (c) =>
          apiCalls.attach(c.middlewareStack),
        );
        secrets.set(secretsRegion, client);
      }
      return client;
    },
    homeRegion,
    apiCalls,
    destroy() {
      for (const client of created) client.destroy();
    },
  };
}

async function resolveRegion(options: AwsClientOptions): Promise<string> {
  if (options.region) return options.region;
  // The SDK's own resolution (AWS_REGION, the profile's region), as any AWS tool would do.
  const probe = new STSClient(options.profile ? { profile: options.profile } : {});
  try {
    return await probe.config.region();
  } catch {
    return FALLBACK_REGION;
  } finally {
    probe.destroy();
  }
}
