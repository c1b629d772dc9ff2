import type { Statement } from '../../policy/types';
import { wildcardMatcher } from '../../policy/wildcard';

/** True when the IAM pattern (`*` any run, `?` one character) matches the whole value. */
export function wildcardMatches(
  pattern: string,
  value: string,
  options: { ignoreCase?: boolean } = {},
): boolean {
  if (options.ignoreCase) return wildcardMatcher(pattern.toLowerCase())(value.toLowerCase());
  return wildcardMatcher(pattern)(value);
}

/** Actions are case-insensitive: `sts:Assume*` matches `sts:AssumeRole`. */
export function actionMatches(pattern: string, action: string): boolean {
  return wildcardMatches(pattern, action, { ignoreCase: true });
}

/** True when the statement's Action (or NotAction) covers the action, whatever the effect. */
export function statementCoversAction(statement: Statement, action: string): boolean {
  if (statement.actions) return statement.actions.some((pattern) => actionMatches(pattern, action));
  if (statement.notActions) return !statement.notActions.some((pattern) => actionMatches(pattern, action));
  return false;
}

/** The actions of `candidates` the statement covers, in the order given. */
export function coveredActions(statement: Statement, candidates: readonly string[]): string[] {
  return candidates.filter((action) => statementCoversAction(statement, action));
}

/** The actions a role's trust policy grants: assuming the role, by any of the three ways. */
export const ASSUME_ACTIONS = [
  'sts:AssumeRole',
  'sts:AssumeRoleWithWebIdentity',
  'sts:AssumeRoleWithSAML',
] as const;

/** The Secrets Manager actions a secret's resource policy can grant on it. */
export const SECRET_ACTIONS = [
  'secretsmanager:GetSecretValue',
  'secretsmanager:PutSecretValue',
  'secretsmanager:UpdateSecret',
  'secretsmanager:PutResourcePolicy',
  'secretsmanager:DeleteResourcePolicy',
  'secretsmanager:DeleteSecret',
  'secretsmanager:RotateSecret',
  'secretsmanager:CancelRotateSecret',
  'secretsmanager:UpdateSecretVersionStage',
  'secretsmanager:RestoreSecret',
  'secretsmanager:ReplicateSecretToRegions',
  'secretsmanager:RemoveRegionsFromReplication',
  'secretsmanager:StopReplicationToReplica',
  'secretsmanager:TagResource',
  'secretsmanager:UntagResource',
  'secretsmanager:DescribeSecret',
  'secretsmanager:ListSecretVersionIds',
  'secretsmanager:GetResourcePolicy',
  'secretsmanager:ValidateResourcePolicy',
] as const;
