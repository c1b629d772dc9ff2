import { type AwsClientOptions, type AwsClients, createAwsClients } from '../adapters/aws/clients';

/**
 * Where and as whom AWS is called: the one input every factory of the wiring layer takes. The CLI
 * fills it from its flags, a handler from its environment (an empty config: the Lambda's own role
 * and region), and an organization scan from a member account's assumed-role credentials.
 */
export type AwsConfig = Pick<
  AwsClientOptions,
  'profile' | 'region' | 'endpoint' | 'credentials' | 'maxAttempts'
>;

/** The SDK clients of the reading and acting adapters (IAM, STS, EC2, Secrets Manager). */
export function awsClients(aws: AwsConfig): AwsClients {
  return createAwsClients(aws);
}

/** A client configuration for the clients `createAwsClients` does not build (DynamoDB, EventBridge). */
export interface SdkClientConfig {
  region?: string;
  profile?: string;
  endpoint?: string;
  credentials?: AwsConfig['credentials'];
  maxAttempts?: number;
}

export function sdkConfig(aws: AwsConfig, maxAttempts?: number): SdkClientConfig {
  const attempts = maxAttempts ?? aws.maxAttempts;
  return {
    ...(aws.region ? { region: aws.region } : {}),
    ...(aws.profile ? { profile: aws.profile } : {}),
    ...(aws.endpoint ? { endpoint: aws.endpoint } : {}),
    ...(aws.credentials ? { credentials: aws.credentials } : {}),
    ...(attempts !== undefined ? { maxAttempts: attempts } : {}),
  };
}

/**
 * The region a config resolves to: its own, else the SDK's (AWS_REGION, the profile), else
 * us-east-1. The findings table of the CLI lives there.
 */
export async function resolvedRegion(aws: AwsConfig): Promise<string> {
  if (aws.region) return aws.region;
  const probe = createAwsClients({ ...(aws.profile ? { profile: aws.profile } : {}) });
  try {
    return await probe.homeRegion();
  } finally {
    probe.destroy();
  }
}
