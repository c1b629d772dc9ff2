import type { Condition, Statement } from '../policy/types';
import { defineRule, notApplicable, pass } from '../rule';
import { isAccountId, principalAccount } from './support/accounts';
import { statementCoversAction } from './support/actions';
import {
  conditionKeyIs,
  describeCondition,
  isFixedValue,
  POSITIVE_STRING_OPERATORS,
  vacuityOf,
} from './support/conditions';
import { describeStatement, namesEveryPrincipal, statementEvidence } from './support/exposure';
import { AWS_DOCS, OWASP } from './support/references';

const MULTI_ACCOUNT_ENVIRONMENTS =
  'https://docs.aws.amazon.com/whitepapers/latest/organizing-your-aws-environment/organizing-workload-oriented-ous.html';

/** Condition keys that hold an AssumeRole caller to accounts, and the operators that do it. */
const ACCOUNT_KEYS = ['aws:PrincipalAccount', 'aws:PrincipalArn'];
const ARN_OPERATORS: ReadonlySet<string> = new Set([...POSITIVE_STRING_OPERATORS, 'ArnEquals', 'ArnLike']);

export const trustCrossEnvironment = defineRule(
  {
    id: 'trust-cross-environment',
    title: 'Production roles are not trusted by non-production accounts',
    resourceKinds: ['role'],
    severity: 'high',
    description:
      'A role in an account mapped to a production environment whose trust policy lets principals of an account mapped to a non-production environment call sts:AssumeRole (an account id, its root or a role or user ARN of it, or a wildcard principal held to it by aws:PrincipalAccount or aws:PrincipalArn). Environments come from the `environments` settings: accounts by id, else the nearest mapped OU of the account’s path (known in organization mode). An aws:PrincipalAccount or aws:PrincipalArn condition with fixed values narrows the trusted accounts; other conditions (sts:ExternalId, MFA, source IP) do not change which environment the caller comes from. Not evaluated when the role’s own account is unmapped or not production; a trusted account without a mapping is never taken as production or non-production: the role is then not evaluated, and when another account fails, the evidence lists the unmapped ones.',
    risk: 'Non-production accounts hold weaker controls, more people and test code: a role there that can assume a production role turns any compromise of the test environment into one of production, across the boundary the account split was meant to be.',
    remediation: {
      summary:
        'Remove the non-production principals from the production role’s trust policy; deploy to production from a production pipeline account, or narrow the trust with aws:PrincipalAccount / aws:PrincipalArn to production accounts.',
    },
    compliance: [
      { framework: 'owasp-nhi-2025', control: 'NHI8' },
      { framework: 'nist-csf-2.0', control: 'PR.IR-01' },
    ],
    references: [OWASP.NHI8, AWS_DOCS.principalElement, MULTI_ACCOUNT_ENVIRONMENTS],
  },
  (role, ctx) => {
    if (!role.trustPolicy) return notApplicable('the trust policy could not be parsed');
    const own = ctx.environmentOf(role.accountId);
    if (!own) {
      return notApplicable(
        `account ${role.accountId} is mapped to no environment (environments.accounts or environments.ous)`,
      );
    }
    if (!own.production)
      return notApplicable(`account ${role.accountId} is in non-production environment ${own.name}`);

    const crossings: Record<string, unknown>[] = [];
    const failing: Statement[] = [];
    const unmapped = new Set<string>();
    for (const statement of role.trustPolicy.statements) {
      if (statement.effect !== 'Allow' || !statementCoversAction(statement, 'sts:AssumeRole')) continue;
      let hit = false;
      for (const account of trustedAccounts(statement)) {
        if (account === role.accountId) continue;
        const environment = ctx.environmentOf(account);
        if (!environment) {
          unmapped.add(account);
          continue;
        }
        if (environment.production) continue;
        hit = true;
        crossings.push({
          ...statementEvidence(statement),
          account,
          environment: environment.name,
          environmentSource: environment.source,
          conditions: statement.conditions.map(describeCondition),
        });
      }
      if (hit) failing.push(statement);
    }
    const unmappedAccounts = [...unmapped].sort();
    if (crossings.length > 0) {
      const named = [...new Set(crossings.map((c) => `account ${c.account} (${c.environment})`))];
      return {
        status: 'fail',
        reason: `Role ${role.name} in production account ${role.accountId} (${own.name}) is trusted by non-production ${named.join(', ')} in ${failing.map(describeStatement).join(', ')}.`,
        evidence: {
          environment: own.name,
          environmentSource: own.source,
          crossings,
          unmappedAccounts,
        },
      };
    }
    if (unmappedAccounts.length > 0) {
      return notApplicable(
        `the trusted ${unmappedAccounts.length === 1 ? 'account' : 'accounts'} ${unmappedAccounts.join(', ')} ${unmappedAccounts.length === 1 ? 'is' : 'are'} mapped to no environment, so the trust cannot be judged`,
      );
    }
    return pass;
  },
);

/**
 * The accounts whose principals the statement admits: the accounts of its AWS principals, held to
 * the accounts its account conditions allow. A wildcard principal admits only what such a
 * condition names (an unconditioned wildcard is trust-wildcard-principal's finding).
 */
function trustedAccounts(statement: Statement): string[] {
  const allowed = conditionAccounts(statement.conditions);
  if (namesEveryPrincipal(statement)) return allowed ? [...allowed] : [];
  const named = new Set<string>();
  for (const principal of statement.principals ?? []) {
    if (principal.kind !== 'aws') continue;
    const account = principalAccount(principal.value);
    if (account !== undefined && (!allowed || allowed.has(account))) named.add(account);
  }
  return [...named];
}

/**
 * The accounts the statement's conditions hold the caller to, or undefined when none does.
 * Conditions are ANDed: with several, only accounts every one allows remain. A condition counts
 * only with a positive operator, not under ForAllValues or IfExists, and with every value fixed
 * to an account (a pattern over the account part holds nothing).
 */
function conditionAccounts(conditions: readonly Condition[]): Set<string> | undefined {
  let allowed: Set<string> | undefined;
  for (const condition of conditions) {
    if (!ACCOUNT_KEYS.some((key) => conditionKeyIs(condition, key))) continue;
    if (vacuityOf(condition) || !ARN_OPERATORS.has(condition.operator)) continue;
    const accounts = new Set<string>();
    let holds = condition.values.length > 0;
    for (const value of condition.values) {
      const account = conditionKeyIs(condition, 'aws:PrincipalAccount') ? value : principalAccount(value);
      if (account === undefined || !isAccountId(account) || !isFixedValue(account, condition.operator)) {
        holds = false;
        break;
      }
      accounts.add(account);
    }
    if (!holds) continue;
    allowed = allowed ? new Set([...allowed].filter((a) => accounts.has(a))) : accounts;
  }
  return allowed;
}
