import type { Condition, PolicyDocument, Principal, Statement } from '../../policy/types';
import type { EvaluationContext } from '../../rule';
import { arnAccount, isAccountId, isOurAccount, principalAccount } from './accounts';
import { coveredActions, statementCoversAction } from './actions';
import {
  describeCondition,
  hasPolicyVariable,
  isFixedValue,
  NEGATED_OPERATORS,
  vacuityOf,
} from './conditions';

/**
 * Who a resource policy (a secret's policy, a role's trust policy) lets in, as far as the
 * organization boundary goes. A statement that names every principal (`"*"`, `{"AWS": "*"}`, or
 * Allow with NotPrincipal) or an account outside the organization is an exposure unless one of its
 * conditions pins the caller to the organization: `aws:PrincipalOrgID` equal to our organization id,
 * `aws:PrincipalAccount` / `aws:SourceAccount` / `aws:PrincipalArn` / `aws:SourceArn` naming our
 * accounts, a VPC endpoint or VPC, or a bounded source CIDR, each with fixed values under a positive
 * operator. `ForAllValues:` and `...IfExists` do not restrict (they are true when the key is absent),
 * nor do wildcards or policy variables in the values, negated operators, or keys that say nothing
 * about the caller (`sts:ExternalId`, `aws:SecureTransport`). A Deny statement for every principal
 * whose only conditions are negated organization conditions (`StringNotEquals aws:PrincipalOrgID`)
 * closes the actions it covers.
 */

type KeyKind = 'organization' | 'organization-path' | 'account' | 'arn' | 'network' | 'ip';

const CALLER_KEYS: Readonly<Record<string, KeyKind>> = {
  'aws:principalorgid': 'organization',
  'aws:sourceorgid': 'organization',
  'aws:principalorgpaths': 'organization-path',
  'aws:sourceorgpaths': 'organization-path',
  'aws:principalaccount': 'account',
  'aws:sourceaccount': 'account',
  'aws:sourceowner': 'account',
  'aws:principalarn': 'arn',
  'aws:sourcearn': 'arn',
  'aws:sourcevpce': 'network',
  'aws:sourcevpc': 'network',
  'aws:sourceip': 'ip',
};

const STRING_OPERATORS = ['StringEquals', 'StringEqualsIgnoreCase', 'StringLike'];
const OPERATORS: Readonly<Record<KeyKind, readonly string[]>> = {
  organization: STRING_OPERATORS,
  'organization-path': STRING_OPERATORS,
  account: STRING_OPERATORS,
  network: STRING_OPERATORS,
  arn: [...STRING_OPERATORS, 'ArnEquals', 'ArnLike'],
  ip: ['IpAddress'],
};
const NEGATED: Readonly<Record<string, string>> = {
  StringNotEquals: 'StringEquals',
  StringNotEqualsIgnoreCase: 'StringEqualsIgnoreCase',
  StringNotLike: 'StringLike',
  ArnNotEquals: 'ArnEquals',
  ArnNotLike: 'ArnLike',
  NotIpAddress: 'IpAddress',
};

/** What one condition does to the set of callers. */
export interface ConditionAssessment {
  condition: Condition;
  /** Set when the condition holds callers to fixed values; lists the foreign ones among them. */
  restricts?: { foreignAccounts: string[]; foreignOrganizations: string[] };
  /** Why the condition does not restrict the caller (for evidence). */
  weakness?: string;
}

/** How an Allow statement's conditions bound its callers. */
export type CallerScope =
  | { kind: 'organization' }
  | { kind: 'foreign'; accounts: string[]; organizations: string[] }
  | { kind: 'unrestricted' };

export interface Exposure {
  statement: Statement;
  /** `any`: every AWS principal can match; `external`: named accounts or organizations outside ours. */
  kind: 'any' | 'external';
  /** The principal entries, as written, that open the statement (`*`, an account, an ARN). */
  principals: string[];
  /** Accounts outside the organization the statement admits. */
  accounts: string[];
  /** Organization ids other than ours that conditions name. */
  organizations: string[];
  /** The asked-about actions the statement grants them that no guardrail denies. */
  actions: string[];
  /** The statement's conditions that do not restrict the caller, with why. */
  weakConditions: string[];
}

/** Assesses one condition of an Allow statement. */
export function assessCondition(condition: Condition, ctx: EvaluationContext): ConditionAssessment {
  const kind = CALLER_KEYS[condition.key.toLowerCase()];
  if (!kind) return { condition, weakness: 'the key does not identify the caller' };
  const vacuity = vacuityOf(condition);
  if (vacuity) return { condition, weakness: vacuity };
  if (NEGATED_OPERATORS.has(condition.operator)) {
    return { condition, weakness: 'a negated operator admits every other value' };
  }
  if (!OPERATORS[kind].includes(condition.operator)) {
    return { condition, weakness: `${condition.operator} does not hold the key to listed values` };
  }
  return assessValues(condition, kind, condition.operator, ctx);
}

function assessValues(
  condition: Condition,
  kind: KeyKind,
  operator: string,
  ctx: EvaluationContext,
): ConditionAssessment {
  const foreignAccounts: string[] = [];
  const foreignOrganizations: string[] = [];
  for (const value of condition.values) {
    const weakness = valueWeakness(value, kind, operator);
    if (weakness) return { condition, weakness };
    if (kind === 'organization' || kind === 'organization-path') {
      const organization = kind === 'organization' ? value : (value.split('/')[0] ?? '');
      if (organization !== ctx.organization.id) foreignOrganizations.push(organization);
    } else if (kind === 'account' || kind === 'arn') {
      const account = kind === 'account' ? value : arnAccount(value);
      if (account && isAccountId(account) && !isOurAccount(account, ctx)) foreignAccounts.push(account);
    }
  }
  return { condition, restricts: { foreignAccounts, foreignOrganizations } };
}

function valueWeakness(value: string, kind: KeyKind, operator: string): string | undefined {
  if (hasPolicyVariable(value)) return `${value} is a policy variable`;
  switch (kind) {
    case 'organization-path': {
      const organization = value.split('/')[0] ?? '';
      return isFixedValue(organization, operator) && organization !== ''
        ? undefined
        : `${value} does not fix the organization`;
    }
    case 'arn': {
      const account = arnAccount(value);
      // An ARN without an account (an S3 bucket) restricts only when it is fixed whole.
      if (account === undefined || account === '') {
        return isFixedValue(value, operator) ? undefined : `${value} is a wildcard`;
      }
      return isFixedValue(account, operator) ? undefined : `${value} matches any account`;
    }
    case 'ip':
      return cidrIsBounded(value) ? undefined : `${value} is too broad a network`;
    default:
      return isFixedValue(value, operator) ? undefined : `${value} is a wildcard`;
  }
}

/** A source CIDR no broader than /8 (IPv4) or /32 (IPv6) bounds the callers to a network. */
function cidrIsBounded(value: string): boolean {
  const [address = '', prefixText] = value.split('/');
  const ipv6 = address.includes(':');
  const prefix = prefixText === undefined ? (ipv6 ? 128 : 32) : Number(prefixText);
  if (!Number.isInteger(prefix)) return false;
  return ipv6 ? prefix >= 32 : prefix >= 8;
}

/** How the conditions of an Allow statement bound the callers (conditions are ANDed). */
export function callerScope(
  conditions: readonly Condition[],
  ctx: EvaluationContext,
): { scope: CallerScope; assessments: ConditionAssessment[] } {
  const assessments = conditions.map((c) => assessCondition(c, ctx));
  const restricting = assessments.filter((a) => a.restricts);
  if (
    restricting.some(
      (a) => a.restricts!.foreignAccounts.length === 0 && a.restricts!.foreignOrganizations.length === 0,
    )
  ) {
    return { scope: { kind: 'organization' }, assessments };
  }
  if (restricting.length > 0) {
    return {
      scope: {
        kind: 'foreign',
        accounts: unique(restricting.flatMap((a) => a.restricts!.foreignAccounts)),
        organizations: unique(restricting.flatMap((a) => a.restricts!.foreignOrganizations)),
      },
      assessments,
    };
  }
  return { scope: { kind: 'unrestricted' }, assessments };
}

/**
 * Deny statements that close a policy to everything outside the organization: every principal,
 * and only negated caller conditions whose values are all ours (`StringNotEquals
 * aws:PrincipalOrgID`, `...IfExists` allowed: an absent key still denies).
 */
export function organizationGuardrails(document: PolicyDocument, ctx: EvaluationContext): Statement[] {
  return document.statements.filter((statement) => {
    if (statement.effect !== 'Deny' || statement.notPrincipals || statement.notResources) return false;
    if (!statement.principals?.some((p) => p.kind === 'any')) return false;
    if (statement.conditions.length === 0) return false;
    return statement.conditions.every((condition) => {
      const positive = NEGATED[condition.operator];
      const kind = CALLER_KEYS[condition.key.toLowerCase()];
      if (!positive || !kind || condition.qualifier) return false;
      if (!OPERATORS[kind].includes(positive)) return false;
      const assessment = assessValues(condition, kind, positive, ctx);
      return (
        assessment.restricts !== undefined &&
        assessment.restricts.foreignAccounts.length === 0 &&
        assessment.restricts.foreignOrganizations.length === 0
      );
    });
  });
}

/** True when the Allow statement names every principal: `"*"`, `{"AWS": "*"}`, or Allow with NotPrincipal. */
export function namesEveryPrincipal(statement: Statement): boolean {
  if (statement.notPrincipals) return true;
  return statement.principals?.some((p) => p.kind === 'any') ?? false;
}

/**
 * The Allow statements of a resource policy that admit callers outside the organization for any of
 * `actions`. Service, federated and canonical-user principals are not considered here.
 */
export function findExposures(
  document: PolicyDocument,
  actions: readonly string[],
  ctx: EvaluationContext,
): Exposure[] {
  const guardrails = organizationGuardrails(document, ctx);
  const exposures: Exposure[] = [];
  for (const statement of document.statements) {
    if (statement.effect !== 'Allow') continue;
    const granted = coveredActions(statement, actions).filter(
      (action) => !guardrails.some((deny) => statementCoversAction(deny, action)),
    );
    if (granted.length === 0) continue;
    const everyone = namesEveryPrincipal(statement);
    const external = externalPrincipals(statement.principals ?? [], ctx);
    if (!everyone && external.length === 0) continue;
    const { scope, assessments } = callerScope(statement.conditions, ctx);
    if (scope.kind === 'organization') continue;
    const weakConditions = assessments
      .filter((a) => a.weakness)
      .map((a) => `${describeCondition(a.condition)} (${a.weakness})`);
    if (everyone) {
      exposures.push({
        statement,
        kind: scope.kind === 'unrestricted' ? 'any' : 'external',
        principals: statement.notPrincipals
          ? [`NotPrincipal ${statement.notPrincipals.map(describePrincipal).join(', ')}`]
          : ['*'],
        accounts: scope.kind === 'foreign' ? scope.accounts : [],
        organizations: scope.kind === 'foreign' ? scope.organizations : [],
        actions: granted,
        weakConditions,
      });
    } else {
      exposures.push({
        statement,
        kind: 'external',
        principals: external.map((e) => e.value),
        accounts: unique(external.map((e) => e.account)),
        organizations: scope.kind === 'foreign' ? scope.organizations : [],
        actions: granted,
        weakConditions,
      });
    }
  }
  return exposures;
}

function externalPrincipals(principals: readonly Principal[], ctx: EvaluationContext) {
  const out: { value: string; account: string }[] = [];
  for (const principal of principals) {
    if (principal.kind !== 'aws') continue;
    const account = principalAccount(principal.value);
    if (account && !isOurAccount(account, ctx)) out.push({ value: principal.value, account });
  }
  return out;
}

export function describePrincipal(principal: Principal): string {
  return principal.kind === 'any' ? '*' : principal.value;
}

/** Evidence for a statement: its index and sid. */
export function statementEvidence(statement: Statement): { statementIndex: number; sid: string | null } {
  return { statementIndex: statement.index, sid: statement.sid ?? null };
}

/** How a reason names a statement: `statement 0 ("Sid")`. */
export function describeStatement(statement: Statement): string {
  return statement.sid ? `statement ${statement.index} ("${statement.sid}")` : `statement ${statement.index}`;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
