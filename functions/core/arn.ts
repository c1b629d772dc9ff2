/**
 * Amazon Resource Names: `arn:partition:service:region:account-id:resource`. The one parser and
 * formatter of the code base; every module that needs a part of an ARN asks here.
 */

export interface Arn {
  partition: string;
  service: string;
  /** Empty for global services (IAM). */
  region: string;
  /** Empty for resources without an account (AWS managed policies have `aws`). */
  account: string;
  /** Everything after the fifth colon: `role/path/name`, `secret:name-AbCdEf`, ... */
  resource: string;
}

/** An AWS region name: `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`, ... */
export const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** A 12-digit AWS account id. */
export const ACCOUNT_ID_PATTERN = /^\d{12}$/;

const ARN_PREFIX = 'arn:';

/** The parts of an ARN, or undefined when `value` is not one (fewer than six colon-separated parts). */
export function parseArn(value: string): Arn | undefined {
  if (!value.startsWith(ARN_PREFIX)) return undefined;
  const parts = value.split(':');
  if (parts.length < 6) return undefined;
  const [, partition, service, region, account] = parts as [string, string, string, string, string];
  if (partition === '' || service === '') return undefined;
  return { partition, service, region, account, resource: parts.slice(5).join(':') };
}

export function formatArn(arn: Arn): string {
  return `arn:${arn.partition}:${arn.service}:${arn.region}:${arn.account}:${arn.resource}`;
}

/** The ARN's partition (`aws`, `aws-us-gov`, `aws-cn`); `aws` when it is not an ARN. */
export function arnPartition(value: string): string {
  return parseArn(value)?.partition ?? 'aws';
}

/** The ARN's account id when it has a 12-digit one; undefined otherwise. */
export function arnAccount(value: string): string | undefined {
  const account = parseArn(value)?.account;
  return account !== undefined && ACCOUNT_ID_PATTERN.test(account) ? account : undefined;
}

/** The ARN's region when it names one; undefined for global resources and non-ARNs. */
export function arnRegion(value: string): string | undefined {
  const region = parseArn(value)?.region;
  return region ? region : undefined;
}

/** The resource part of the ARN (after the fifth colon); undefined when it is not an ARN. */
export function arnResource(value: string): string | undefined {
  return parseArn(value)?.resource;
}

/** The account's root ARN, which stands for the whole account in gaps and trust policies. */
export function accountRootArn(partition: string, account: string): string {
  return formatArn({ partition, service: 'iam', region: '', account, resource: 'root' });
}

/** True for `arn:<partition>:iam::<account>:root`, the ARN that stands for a whole account. */
export function isAccountRootArn(value: string): boolean {
  const arn = parseArn(value);
  return (
    arn?.service === 'iam' &&
    arn.region === '' &&
    ACCOUNT_ID_PATTERN.test(arn.account) &&
    arn.resource === 'root'
  );
}

export type IamPrincipalType = 'role' | 'user' | 'group';

export interface IamPrincipalArn {
  type: IamPrincipalType;
  /** `/` or `/path/` with its slashes. */
  path: string;
  name: string;
  account: string;
  partition: string;
}

/** An IAM role, user or group ARN split into type, path and name; undefined for anything else. */
export function parseIamPrincipalArn(value: string): IamPrincipalArn | undefined {
  const arn = parseArn(value);
  if (arn?.service !== 'iam' || !ACCOUNT_ID_PATTERN.test(arn.account)) return undefined;
  const match = /^(role|user|group)(\/(?:[^/]+\/)*)([^/]+)$/.exec(arn.resource);
  if (!match) return undefined;
  return {
    type: match[1] as IamPrincipalType,
    path: match[2]!,
    name: match[3]!,
    account: arn.account,
    partition: arn.partition,
  };
}

export interface SecretArn {
  /** The secret's name, without the six random characters Secrets Manager appends. */
  name: string;
  region: string;
  account: string;
}

/** A Secrets Manager secret ARN; undefined for anything else. */
export function parseSecretArn(value: string): SecretArn | undefined {
  const arn = parseArn(value);
  if (arn?.service !== 'secretsmanager' || !arn.resource.startsWith('secret:')) return undefined;
  if (!REGION_PATTERN.test(arn.region) || !ACCOUNT_ID_PATTERN.test(arn.account)) return undefined;
  const name = arn.resource.slice('secret:'.length).replace(/-[A-Za-z0-9]{6}$/, '');
  return name === '' ? undefined : { name, region: arn.region, account: arn.account };
}
