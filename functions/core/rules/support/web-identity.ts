import type { Condition, Statement } from '../../policy/types';
import { statementCoversAction } from './actions';
import { conditionKeyIs, fixedPrefix, hasPolicyVariable, POSITIVE_STRING_OPERATORS } from './conditions';

/**
 * Web identity federation in trust policies: which provider a `Federated` principal names, which
 * token claim scopes it to one workload, and how wide a claim pattern reaches.
 */

export type ProviderFamily =
  | 'github'
  | 'gitlab'
  | 'terraform-cloud'
  | 'eks'
  | 'cognito'
  | 'google'
  | 'facebook'
  | 'amazon'
  | 'oidc';

export interface WebIdentityProvider {
  /** The `Federated` value as written. */
  principal: string;
  /** The issuer, which prefixes its condition keys (`token.actions.githubusercontent.com`). */
  issuer: string;
  family: ProviderFamily;
  /**
   * True when anyone can obtain tokens from the issuer (GitHub.com Actions, GitLab.com, HCP
   * Terraform, Cognito, Google, ...): an unscoped trust is then open to the world, not to one
   * cluster or one self-hosted instance.
   */
  shared: boolean;
}

/** How far a claim constraint reaches. */
export type ClaimReach = 'one' | 'owner' | 'any';

interface FamilyRules {
  /** Claims that scope the trust; one fixed constraint on any of them is enough. */
  claims: readonly string[];
  /** What one scoped unit is called, for reasons: repository, project, workspace, namespace, ... */
  unit: string;
  /** What an owner-wide pattern spans. */
  owner: string;
  /** Reach of a pattern (`StringLike`) on the scoping claim; literal values reach one subject. */
  reach(pattern: string): ClaimReach;
}

const WEB_IDENTITY_ACTION = 'sts:AssumeRoleWithWebIdentity';

/**
 * The web identity provider a `Federated` principal names, or undefined for SAML providers. OIDC
 * providers are ARNs (`arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com`);
 * Cognito, Google, Facebook and Login with Amazon are named by host.
 */
export function webIdentityProvider(principal: string): WebIdentityProvider | undefined {
  let issuer = principal;
  if (principal.startsWith('arn:')) {
    const marker = ':oidc-provider/';
    const at = principal.indexOf(marker);
    if (at < 0) return undefined;
    issuer = principal.slice(at + marker.length);
  }
  const host = issuer.toLowerCase();
  const provider = (family: ProviderFamily, shared: boolean): WebIdentityProvider => ({
    principal,
    issuer,
    family,
    shared,
  });
  if (host === 'token.actions.githubusercontent.com') return provider('github', true);
  // GitHub Enterprise Cloud with a unique issuer URL: token.actions.githubusercontent.com/<enterprise>.
  if (host.startsWith('token.actions.githubusercontent.com/')) return provider('github', false);
  if (host === 'gitlab.com') return provider('gitlab', true);
  if (/^gitlab\.|\.gitlab\./.test(host)) return provider('gitlab', false);
  if (host === 'app.terraform.io') return provider('terraform-cloud', true);
  if (/^oidc\.eks\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/id\//.test(host)) return provider('eks', false);
  if (host === 'cognito-identity.amazonaws.com') return provider('cognito', true);
  if (host === 'accounts.google.com') return provider('google', true);
  if (host === 'graph.facebook.com') return provider('facebook', true);
  if (host === 'www.amazon.com') return provider('amazon', true);
  return provider('oidc', false);
}

/** The claims of a family and how patterns on them reach. */
export function familyRules(family: ProviderFamily): FamilyRules {
  return FAMILIES[family];
}

const fixedOnly = (pattern: string): ClaimReach =>
  fixedPrefix(pattern, 'StringLike') === pattern ? 'one' : 'any';

const FAMILIES: Readonly<Record<ProviderFamily, FamilyRules>> = {
  github: {
    claims: ['sub'],
    unit: 'repository',
    owner: 'every repository of the owner',
    reach: (pattern) =>
      leadingClaimsReach(pattern, {
        repo: ownerSlashName,
        repository_owner: ownerClaim,
        repository_owner_id: ownerClaim,
        repository_id: (value, complete) => (complete && value !== '' ? 'one' : undefined),
      }),
  },
  gitlab: {
    claims: ['sub'],
    unit: 'project',
    owner: 'every project of the group',
    reach: (pattern) =>
      leadingClaimsReach(pattern, {
        project_path: ownerSlashName,
        namespace_path: ownerClaim,
      }),
  },
  'terraform-cloud': {
    claims: ['sub'],
    unit: 'workspace',
    owner: 'every workspace of the organization',
    reach: (pattern) =>
      leadingClaimsReach(pattern, {
        organization: ownerClaim,
        project: () => undefined,
        workspace: (value, complete) => (complete && value !== '' ? 'one' : undefined),
      }),
  },
  eks: {
    claims: ['sub'],
    unit: 'namespace',
    owner: 'every namespace of the cluster',
    // system:serviceaccount:<namespace>:<name>; a fixed namespace is the boundary (pods of a
    // namespace can run as any of its service accounts).
    reach: (pattern) => {
      const prefix = fixedPrefix(pattern, 'StringLike');
      if (prefix === pattern) return 'one';
      const parts = prefix.split(':');
      return parts.length >= 4 && parts[0] === 'system' && parts[1] === 'serviceaccount' && parts[2] !== ''
        ? 'one'
        : 'any';
    },
  },
  cognito: { claims: ['aud'], unit: 'identity pool', owner: 'every identity pool', reach: fixedOnly },
  google: { claims: ['aud', 'oaud', 'sub'], unit: 'client', owner: 'every client', reach: fixedOnly },
  facebook: { claims: ['app_id', 'id'], unit: 'app', owner: 'every app', reach: fixedOnly },
  amazon: { claims: ['app_id', 'user_id'], unit: 'app', owner: 'every app', reach: fixedOnly },
  // Unknown issuers: the claim format is unknown, so only a pattern that starts with a wildcard
  // (and so matches subjects of any shape) is taken as unscoped.
  oidc: {
    claims: ['sub'],
    unit: 'subject',
    owner: 'many subjects',
    reach: (pattern) => (fixedPrefix(pattern, 'StringLike') === '' ? 'any' : 'one'),
  },
};

type ClaimReader = (value: string, complete: boolean) => ClaimReach | undefined;

/** `owner/name`: one unit when complete, the owner when only `owner/` is fixed. */
function ownerSlashName(value: string, complete: boolean): ClaimReach | undefined {
  const slash = value.indexOf('/');
  if (complete && slash > 0 && slash < value.length - 1) return 'one';
  return slash > 0 ? 'owner' : undefined;
}

function ownerClaim(value: string, complete: boolean): ClaimReach | undefined {
  return complete && value !== '' ? 'owner' : undefined;
}

/**
 * Reads `key:value:key:value...` claims from the fixed start of a subject pattern (subject
 * formats like GitHub's `repo:org/name:ref:refs/heads/main`). Only a fixed start counts: a claim
 * found after a wildcard could be forged through a free-text claim such as an environment name.
 * Reading stops at the first claim the family does not know (the context part of the subject).
 */
function leadingClaimsReach(pattern: string, readers: Readonly<Record<string, ClaimReader>>): ClaimReach {
  const prefix = fixedPrefix(pattern, 'StringLike');
  if (prefix === pattern) return 'one';
  const tokens = prefix.split(':');
  let owner = false;
  for (let i = 0; i + 1 < tokens.length; i += 2) {
    const reader = readers[tokens[i]!];
    if (!reader) break;
    const complete = i + 2 < tokens.length;
    const reach = reader(tokens[i + 1]!, complete);
    if (reach === 'one') return 'one';
    if (reach === 'owner') owner = true;
    if (!complete) break;
  }
  return owner ? 'owner' : 'any';
}

export type ScopeProblem =
  | { kind: 'missing'; claim: string }
  | { kind: 'for-all-values'; claim: string; conditions: Condition[] }
  | { kind: 'negated-only'; claim: string; conditions: Condition[] }
  | {
      kind: 'wide-pattern';
      claim: string;
      reach: 'owner' | 'any';
      values: string[];
      conditions: Condition[];
    };

/**
 * Whether the statement's conditions scope the provider's tokens to one workload. Conditions are
 * ANDed, so one scoping condition is enough; the values of one condition are ORed, so a single wide
 * value opens it. Returns undefined when the trust is scoped.
 */
export function scopeProblem(statement: Statement, provider: WebIdentityProvider): ScopeProblem | undefined {
  const rules = familyRules(provider.family);
  const keys = rules.claims.map((claim) => `${provider.issuer}:${claim}`);
  const onClaims = statement.conditions.filter((c) => keys.some((key) => conditionKeyIs(c, key)));
  const claim = keys[0]!;
  if (onClaims.length === 0) return { kind: 'missing', claim };
  const positive = onClaims.filter((c) => POSITIVE_STRING_OPERATORS.has(c.operator));
  if (positive.length === 0) return { kind: 'negated-only', claim, conditions: onClaims };
  const effective = positive.filter((c) => c.qualifier !== 'ForAllValues');
  if (effective.length === 0) return { kind: 'for-all-values', claim, conditions: positive };
  let widest: { reach: 'owner' | 'any'; values: string[]; condition: Condition } | undefined;
  for (const condition of effective) {
    const wide = condition.values.filter((value) => valueReach(value, condition.operator, rules) !== 'one');
    if (wide.length === 0) return undefined;
    const reach = wide.some((value) => valueReach(value, condition.operator, rules) === 'any')
      ? 'any'
      : 'owner';
    if (!widest || (widest.reach === 'any' && reach === 'owner')) widest = { reach, values: wide, condition };
  }
  return {
    kind: 'wide-pattern',
    claim: widest!.condition.key,
    reach: widest!.reach,
    values: widest!.values,
    conditions: effective,
  };
}

function valueReach(value: string, operator: string, rules: FamilyRules): ClaimReach {
  if (operator !== 'StringLike') return hasPolicyVariable(value) ? 'any' : 'one';
  return rules.reach(value);
}

/** The web identity providers an Allow statement lets assume the role with a token. */
export function webIdentityProvidersOf(statement: Statement): WebIdentityProvider[] {
  if (statement.effect !== 'Allow' || !statementCoversAction(statement, WEB_IDENTITY_ACTION)) return [];
  const providers: WebIdentityProvider[] = [];
  for (const principal of statement.principals ?? []) {
    if (principal.kind !== 'federated') continue;
    const provider = webIdentityProvider(principal.value);
    if (provider) providers.push(provider);
  }
  return providers;
}
