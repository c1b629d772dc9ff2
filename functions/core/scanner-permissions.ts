/**
 * Every IAM action the live collector calls, and nothing else: the scanner role is built from
 * this list (and a test proves the collector's calls match it). Read-only, and never
 * `secretsmanager:GetSecretValue`: the scanner reads secret metadata, not secret values.
 */
export const SCANNER_ACTIONS = [
  'ec2:DescribeRegions',
  'iam:GenerateCredentialReport',
  'iam:GenerateServiceLastAccessedDetails',
  'iam:GetAccountAuthorizationDetails',
  'iam:GetCredentialReport',
  'iam:GetServiceLastAccessedDetails',
  'iam:ListAccessKeys',
  'iam:ListServerCertificates',
  'organizations:DescribeOrganization',
  'secretsmanager:GetResourcePolicy',
  'secretsmanager:ListSecrets',
  'sts:GetCallerIdentity',
] as const;

export type ScannerAction = (typeof SCANNER_ACTIONS)[number];
