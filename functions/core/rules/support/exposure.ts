import { parseArn } from '../../arn';
import type { Condition, PolicyDocument, Principal, Statement } from '../../policy/types';
import type { EvaluationContext } from '../../rule';
import { isAccountId, isOurAccount, principalAccount } from './accounts';
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
 *
 * When the account's own organization is unknown (not read, not configured), a statement held to an
 * organization by such a condition is neither ours nor foreign: it is "unconfirmed", reported on its
 * own and never as an exposure. `aws:ResourceOrgID` and `aws:ResourceOrgPaths` name the organization
 * of the resource the policy is attached to: one naming ours holds no caller back, one naming another
 * organization never matches (the statement never applies), and one naming an unknown organization
 * is unconfirmed.
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

/** Keys naming the organization of the resource itself (the policy's own resource). */
const RESOURCE_ORGANIZATION_KEYS: ReadonlySet<string> = new Set([
  'aws:resourceorgid',
  'aws:resourceorgpaths',
]);

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
  /**
   * Set when the condition holds callers to fixed values; lists the foreign ones among them, and
   * the organizations that cannot be told ours or foreign because our own is unknown.
   */
  restricts?: {
    foreignAccounts: string[];
    foreignOrganizations: string[];
    unconfirmedOrganizations: string[];
  };
  /** Why the condition does not restrict the caller (for evidence). */
  weakness?: string;
}

/** How an Allow statement's conditions bound its callers. */
export type CallerScope =
  | { kind: 'organization' }
  | { kind: 'foreign'; accounts: string[]; organizations: string[] }
  | { kind: 'unconfirmed'; organizations: string[] }
  | { kind: 'unrestricted' };

/** An Allow statement whose callers are held to an organization that cannot be told ours or foreign. */
export interface UnconfirmedRestriction {
  statement: Statement;
  /** The organization ids the statement (or a Deny guarding it) is held to. */
  organizations: string[];
  /** The asked-about actions the statement grants within that organization. */
  actions: string[];
}

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
  if (RESOURCE_ORGANIZATION_KEYS.has(condition.key.toLowerCase())) {
    return assessResourceOrganization(condition, ctx);
  }
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
  const unconfirmedOrganizations: string[] = [];
  for (const value of condition.values) {
    const weakness = valueWeakness(value, kind, operator);
    if (weakness) return { condition, weakness };
    if (kind === 'organization' || kind === 'organization-path') {
      const organization = organizationOf(value, kind);
      if (ctx.organization.unknown) unconfirmedOrganizations.push(organization);
      else if (organization !== ctx.organization.id) foreignOrganizations.push(organization);
    } else if (kind === 'account' || kind === 'arn') {
      const account = kind === 'account' ? value : parseArn(value)?.account;
      if (account && isAccountId(account) && !isOurAccount(account, ctx)) foreignAccounts.push(account);
    }
  }
  return { condition, restricts: { foreignAccounts, foreignOrganizations, unconfirmedOrganizations } };
}

function organizationOf(value: string, kind: 'organization' | 'organization-path'): string {
  return kind === 'organization' ? value : (value.split('/')[0] ?? '');
}

/**
 * `aws:ResourceOrgID` / `aws:ResourceOrgPaths` in a resource policy compare the organization of the
 * policy's own resource, which is the account's: naming ours, they let every caller through;
 * naming only others, the statement never applies (it admits nobody, shown as holding callers to
 * the organization); with our organization unknown, which of the two cannot be told.
 */
function assessResourceOrganization(condition: Condition, ctx: EvaluationContext): ConditionAssessment {
  const kind = condition.key.toLowerCase() === 'aws:resourceorgid' ? 'organization' : 'organization-path';
  const vacuity = vacuityOf(condition);
  if (vacuity) return { condition, weakness: vacuity };
  if (!STRING_OPERATORS.includes(condition.operator)) {
    return { condition, weakness: `${condition.operator} does not hold the key to listed values` };
  }
  const organizations: string[] = [];
  for (const value of condition.values) {
    const weakness = valueWeakness(value, kind, condition.operator);
    if (weakness) return { condition, weakness };
    organizations.push(organizationOf(value, kind));
  }
  if (ctx.organization.unknown) {
    return {
      condition,
      restricts: {
        foreignAccounts: [],
        foreignOrganizations: [],
        unconfirmedOrganizations: unique(organizations),
      },
    };
  }
  if (ctx.organization.id !== undefined && organizations.includes(ctx.organization.id)) {
    return { condition, weakness: 'it names the resource’s own organization, which every request matches' };
  }
  return {
    condition,
    restricts: { foreignAccounts: [], foreignOrganizations: [], unconfirmedOrganizations: [] },
  };
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
      const account = parseArn(value)?.account;
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
  const noForeign = restricting.filter(
    (a) => a.restricts!.foreignAccounts.length === 0 && a.restricts!.foreignOrganizations.length === 0,
  );
  if (noForeign.some((a) => a.restricts!.unconfirmedOrganizations.length === 0)) {
    return { scope: { kind: 'organization' }, assessments };
  }
  if (noForeign.length > 0) {
    return {
      scope: {
        kind: 'unconfirmed',
        organizations: unique(noForeign.flatMap((a) => a.restricts!.unconfirmedOrganizations)),
      },
      assessments,
    };
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

/** A Deny statement that closes a policy to everything outside the organizations it names. */
interface Guardrail {
  statement: Statement;
  /** Set when the organizations it names cannot be told ours or foreign. */
  unconfirmedOrganizations: string[];
}

/**
 * Deny statements that close a policy to everything outside the organization: every principal,
 * and only negated caller conditions whose values are all ours (`StringNotEquals
 * aws:PrincipalOrgID`, `...IfExists` allowed: an absent key still denies). With our organization
 * unknown, one naming organizations is a guardrail of unconfirmed organizations.
 */
function organizationGuardrails(document: PolicyDocument, ctx: EvaluationContext): Guardrail[] {
  const guardrails: Guardrail[] = [];
  for (const statement of document.statements) {
    if (statement.effect !== 'Deny' || statement.notPrincipals || statement.notResources) continue;
    if (!statement.principals?.some((p) => p.kind === 'any')) continue;
    if (statement.conditions.length === 0) continue;
    const unconfirmedOrganizations: string[] = [];
    const closes = statement.conditions.every((condition) => {
      const positive = NEGATED[condition.operator];
      const kind = CALLER_KEYS[condition.key.toLowerCase()];
      if (!positive || !kind || condition.qualifier) return false;
      if (!OPERATORS[kind].includes(positive)) return false;
      const { restricts } = assessValues(condition, kind, positive, ctx);
      if (!restricts || restricts.foreignAccounts.length > 0 || restricts.foreignOrganizations.length > 0) {
        return false;
      }
      unconfirmedOrganizations.push(...restricts.unconfirmedOrganizations);
      return true;
    });
    if (closes) guardrails.push({ statement, unconfirmedOrganizations: unique(unconfirmedOrganizations) });
  }
  return guardrails;
}

/** True when the Allow statement names every principal: `"*"`, `{"AWS": "*"}`, or Allow with NotPrincipal. */
export function namesEveryPrincipal(statement: Statement): boolean {
  if (statement.notPrincipals) return true;
  return statement.principals?.some((p) => p.kind === 'any') ?? false;
}

/**
 * The Allow statements of a resource policy that admit callers outside the organization for any of
 * `actions`. Service, federated and canonical-user principals are not considered here. Statements
 * held to an organization that cannot be told ours or foreign are not exposures (see
 * `findUnconfirmedRestrictions`).
 */
export function findExposures(
  document: PolicyDocument,
  actions: readonly string[],
  ctx: EvaluationContext,
): Exposure[] {
  return assessStatements(document, actions, ctx).exposures;
}

/**
 * The Allow statements of a resource policy that would admit callers outside the organization for
 * any of `actions`, were it not for a restriction to an organization that, with the account's own
 * organization unknown, cannot be told ours or foreign.
 */
export function findUnconfirmedRestrictions(
  document: PolicyDocument,
  actions: readonly string[],
  ctx: EvaluationContext,
): UnconfirmedRestriction[] {
  return assessStatements(document, actions, ctx).unconfirmed;
}

function assessStatements(
  document: PolicyDocument,
  actions: readonly string[],
  ctx: EvaluationContext,
): { exposures: Exposure[]; unconfirmed: UnconfirmedRestriction[] } {
  const guardrails = organizationGuardrails(document, ctx);
  const closing = guardrails.filter((g) => g.unconfirmedOrganizations.length === 0);
  const unconfirmedGuardrails = guardrails.filter((g) => g.unconfirmedOrganizations.length > 0);
  const exposures: Exposure[] = [];
  const unconfirmed: UnconfirmedRestriction[] = [];
  for (const statement of document.statements) {
    if (statement.effect !== 'Allow') continue;
    const covered = coveredActions(statement, actions).filter(
      (action) => !closing.some((deny) => statementCoversAction(deny.statement, action)),
    );
    if (covered.length === 0) continue;
    const everyone = namesEveryPrincipal(statement);
    const external = externalPrincipals(statement.principals ?? [], ctx);
    if (!everyone && external.length === 0) continue;
    const { scope, assessments } = callerScope(statement.conditions, ctx);
    if (scope.kind === 'organization') continue;
    if (scope.kind === 'unconfirmed') {
      unconfirmed.push({ statement, organizations: scope.organizations, actions: covered });
      continue;
    }
    const guards = (action: string) =>
      unconfirmedGuardrails.filter((deny) => statementCoversAction(deny.statement, action));
    const held = covered.filter((action) => guards(action).length > 0);
    if (held.length > 0) {
      const organizations = unique(
        held.flatMap((action) => guards(action).flatMap((g) => g.unconfirmedOrganizations)),
      );
      unconfirmed.push({ statement, organizations, actions: held });
    }
    const granted = covered.filter((action) => !held.includes(action));
    if (granted.length === 0) continue;
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
  return { exposures, unconfirmed };
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
