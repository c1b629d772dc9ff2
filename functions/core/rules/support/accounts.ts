import { ACCOUNT_ID_PATTERN, arnAccount } from '../../arn';
import type { EvaluationContext } from '../../rule';

export function isAccountId(value: string): boolean {
  return ACCOUNT_ID_PATTERN.test(value);
}

/**
 * The account an AWS principal names: a bare account id, or the account of an IAM or STS ARN
 * (`arn:aws:iam::123456789012:root`, `...:role/x`, `arn:aws:sts::123456789012:assumed-role/x/y`).
 * Unique ids (`AROA...`, `AIDA...`, left in a policy when its principal was deleted) name none.
 */
export function principalAccount(value: string): string | undefined {
  if (isAccountId(value)) return value;
  return arnAccount(value);
}

/** The scanned account and the configured organization accounts are "ours". */
export function isOurAccount(account: string, ctx: EvaluationContext): boolean {
  return ctx.organization.accountIds.has(account);
}
