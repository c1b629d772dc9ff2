import type { EvaluationContext } from '../../rule';

const ACCOUNT_ID = /^\d{12}$/;

export function isAccountId(value: string): boolean {
  return ACCOUNT_ID.test(value);
}

/**
 * The account field of an ARN (`arn:partition:service:region:account:resource`): `''` for ARNs
 * without one (S3 buckets), undefined when the value is not an ARN.
 */
export function arnAccount(value: string): string | undefined {
  const parts = value.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return parts[4];
}

/**
 * The account an AWS principal names: a bare account id, or the account of an IAM or STS ARN
 * (`arn:aws:iam::123456789012:root`, `...:role/x`, `arn:aws:sts::123456789012:assumed-role/x/y`).
 * Unique ids (`AROA...`, `AIDA...`, left in a policy when its principal was deleted) name none.
 */
export function principalAccount(value: string): string | undefined {
  if (isAccountId(value)) return value;
  const account = arnAccount(value);
  return account !== undefined && isAccountId(account) ? account : undefined;
}

/** The scanned account and the configured organization accounts are "ours". */
export function isOurAccount(account: string, ctx: EvaluationContext): boolean {
  return ctx.organization.accountIds.has(account);
}
