import type { GroupSnapshot, ManagedPolicy, RoleSnapshot, UserSnapshot } from '../model';
import {
  actionKey,
  type CompiledPolicy,
  type CompiledStatement,
  compilePolicy,
  compileUnshared,
} from './compile';
import { RecentCache } from './recent';
import type { Effect } from './types';
import { type PolicyVariables, resolvePattern } from './variables';
import { covers, hasWildcard, overlaps } from './wildcard';

/**
 * Effective permissions of a role, user or group from its identity policies: inline policies,
 * attached managed policies (their default version) and, for a user, the policies of its groups;
 * capped by its permissions boundary. Explicit deny wins; an action is allowed only when the
 * identity policies and the boundary (if any) both allow it. Conditions are not evaluated: a
 * grant that depends on one is `conditional`, and a conditional Deny is reported without removing
 * an unconditional grant. Resource policies, SCPs and session policies are out of scope.
 *
 * Resources: a query names a resource ARN, `*` for "every resource", or `ANY_RESOURCE` for "at
 * least one resource". A Deny scoped to some resources does not change the answer for `*`; ask
 * with that resource's ARN instead.
 */

export type PolicyPrincipal = RoleSnapshot | UserSnapshot | GroupSnapshot;

export interface PolicyRef {
  type: 'inline' | 'managed';
  name: string;
  arn?: string;
  /** The group the policy reaches a user through. */
  group?: { name: string; arn: string };
  /** True for the permissions boundary. */
  boundary?: boolean;
}

/** A statement that decided a query, in a JSON-friendly shape for evidence. */
export interface StatementRef {
  policyType: 'inline' | 'managed';
  policyName: string;
  policyArn?: string;
  group?: string;
  boundary?: boolean;
  statementIndex: number;
  sid?: string;
  effect: Effect;
  conditional: boolean;
}

export type DecisionKind = 'allowed' | 'conditional' | 'denied' | 'implicit-deny';

export interface Decision {
  decision: DecisionKind;
  /**
   * allowed / conditional: the identity statements that grant it, then the boundary statements
   * that permit it. denied: the unconditional Deny statements.
   */
  statements: readonly StatementRef[];
  /** Conditional Deny statements that apply to the query. */
  conditionalDenies: readonly StatementRef[];
  /** implicit-deny only: the identity policies grant it but the permissions boundary does not. */
  blockedByBoundary?: boolean;
}

export interface AttachedPolicy {
  readonly ref: PolicyRef;
  readonly policy: CompiledPolicy;
}

export interface PrincipalPolicies {
  readonly principal: PolicyPrincipal;
  readonly identity: readonly AttachedPolicy[];
  readonly boundary?: AttachedPolicy;
  /** Managed policies (or the boundary) whose document could not be read; they are left out. */
  readonly unreadable: readonly PolicyRef[];
  readonly variables: PolicyVariables;
  /** Which tracked services the identity policies can reach (see `serviceBit`). */
  readonly reach: number;
}

/** "At least one resource", optionally not counting grants limited to the `except` ARNs. */
export interface AnyResource {
  readonly any: true;
  readonly except?: ReadonlySet<string>;
}

export type ResourceQuery = string | AnyResource;

export const ANY_RESOURCE: AnyResource = Object.freeze({ any: true });

/** The user name that stands for "any member" when a group is evaluated on its own. */
export const GROUP_MEMBER_NAME = '{member}';

const NO_REFS: readonly StatementRef[] = Object.freeze([]);
const IMPLICIT_DENY: Decision = Object.freeze({
  decision: 'implicit-deny',
  statements: NO_REFS,
  conditionalDenies: NO_REFS,
});

/** Policy sets of the last few principals (snapshots are immutable: cached by object). */
const recent = new RecentCache<PolicyPrincipal, PrincipalPolicies>(8);

/** The policies that apply to a principal, compiled. */
export function principalPolicies(principal: PolicyPrincipal): PrincipalPolicies {
  return recent.get(principal, buildPrincipalPolicies);
}

function buildPrincipalPolicies(principal: PolicyPrincipal): PrincipalPolicies {
  const own = holderPolicies(principal);
  let identity = own.attached;
  let unreadable = own.unreadable;
  if (principal.kind === 'user' && principal.groups.length > 0) {
    identity = [...identity];
    unreadable = [...unreadable];
    for (const group of principal.groups) {
      const held = groupPolicies(group);
      identity.push(...held.attached);
      unreadable.push(...held.unreadable);
    }
  }
  let boundary: AttachedPolicy | undefined;
  if (principal.kind !== 'group' && principal.permissionsBoundary) {
    const ref: PolicyRef = { ...managedRef(principal.permissionsBoundary), boundary: true };
    const document = principal.permissionsBoundary.document;
    // An unreadable boundary is left out: that over-states what the principal can do, never under-states it.
    if (document) boundary = { ref, policy: compilePolicy(document) };
    else unreadable = [...unreadable, ref];
  }
  return new Policies(principal, identity, unreadable, boundary);
}

class Policies implements PrincipalPolicies {
  private vars: PolicyVariables | undefined;
  private mask: number | undefined;

  constructor(
    readonly principal: PolicyPrincipal,
    readonly identity: readonly AttachedPolicy[],
    readonly unreadable: readonly PolicyRef[],
    readonly boundary?: AttachedPolicy,
  ) {}

  get variables(): PolicyVariables {
    this.vars ??= principalVariables(this.principal);
    return this.vars;
  }

  get reach(): number {
    if (this.mask === undefined) {
      let mask = 0;
      for (const attached of this.identity) mask |= attached.policy.allowMask;
      this.mask = mask;
    }
    return this.mask;
  }
}

/** Policies evaluated as a principal's identity policies, e.g. a permissions boundary on its own. */
export function policiesOf(
  principal: PolicyPrincipal,
  identity: readonly AttachedPolicy[],
  boundary?: AttachedPolicy,
): PrincipalPolicies {
  return new Policies(principal, identity, [], boundary);
}

interface HeldPolicies {
  attached: AttachedPolicy[];
  unreadable: PolicyRef[];
}

const directManaged = new WeakMap<ManagedPolicy, AttachedPolicy>();
const byGroup = new WeakMap<GroupSnapshot, HeldPolicies>();

/** The policies a holder holds itself. Managed policies share one entry across every holder. */
function holderPolicies(holder: PolicyPrincipal, group?: { name: string; arn: string }): HeldPolicies {
  const attached: AttachedPolicy[] = [];
  const unreadable: PolicyRef[] = [];
  for (const inline of holder.inlinePolicies) {
    const ref: PolicyRef = { type: 'inline', name: inline.name };
    if (group) ref.group = group;
    // A group's inline policy is shared by its members; a role's or user's is its own.
    attached.push({ ref, policy: group ? compilePolicy(inline.document) : compileUnshared(inline.document) });
  }
  for (const managed of holder.managedPolicies) {
    if (!managed.document) {
      unreadable.push(group ? { ...managedRef(managed), group } : managedRef(managed));
      continue;
    }
    if (group) {
      attached.push({ ref: { ...managedRef(managed), group }, policy: compilePolicy(managed.document) });
      continue;
    }
    let shared = directManaged.get(managed);
    if (!shared || shared.policy.document !== managed.document) {
      shared = { ref: managedRef(managed), policy: compilePolicy(managed.document) };
      directManaged.set(managed, shared);
    }
    attached.push(shared);
  }
  return { attached, unreadable };
}

/** A group's policies as they reach its members; computed once per group and shared by its users. */
function groupPolicies(group: GroupSnapshot): HeldPolicies {
  let held = byGroup.get(group);
  if (!held) {
    held = holderPolicies(group, { name: group.name, arn: group.arn });
    byGroup.set(group, held);
  }
  return held;
}

function managedRef(policy: ManagedPolicy): PolicyRef {
  return { type: 'managed', name: policy.name, arn: policy.arn };
}

function principalVariables(principal: PolicyPrincipal): PolicyVariables {
  const vars = new Map<string, string>();
  vars.set('aws:principalaccount', principal.accountId);
  if (principal.kind === 'group') {
    vars.set('aws:username', GROUP_MEMBER_NAME);
    vars.set('aws:principaltype', 'User');
    return vars;
  }
  vars.set('aws:principalarn', principal.arn);
  vars.set('aws:principaltype', principal.kind === 'user' ? 'User' : 'AssumedRole');
  if (principal.kind === 'user') vars.set('aws:username', principal.name);
  for (const [key, value] of Object.entries(principal.tags))
    vars.set(`aws:principaltag/${key.toLowerCase()}`, value);
  return vars;
}

interface Hit {
  readonly attached: AttachedPolicy;
  readonly statement: CompiledStatement;
}

/** Is `action` allowed for the principal on `resource` (an ARN, `*` for every resource, or `ANY_RESOURCE`)? */
export function evaluate(
  policies: PrincipalPolicies,
  action: string,
  resource: ResourceQuery = '*',
): Decision {
  const key = actionKey(action);
  const identityHits = collect(policies.identity, key);
  if (identityHits.length === 0) return IMPLICIT_DENY;
  const boundaryHits = policies.boundary ? collect([policies.boundary], key) : NO_HITS;
  const denies: Hit[] = [];
  for (const hit of identityHits) if (!hit.statement.allow) denies.push(hit);
  for (const hit of boundaryHits) if (!hit.statement.allow) denies.push(hit);
  const allows = identityHits.filter((h) => h.statement.allow);
  if (allows.length === 0) {
    const request = typeof resource === 'string' ? resource : '*';
    const hard = denies.filter(
      (h) => !h.statement.conditional && coversResource(h.statement, request, policies.variables),
    );
    return hard.length > 0 ? denied(hard, []) : IMPLICIT_DENY;
  }
  const boundaryAllows = policies.boundary ? boundaryHits.filter((h) => h.statement.allow) : undefined;
  return typeof resource === 'string'
    ? evaluateEvery(policies, resource, allows, denies, boundaryAllows)
    : evaluateSome(policies, resource, allows, denies, boundaryAllows);
}

/** Decisions for several actions on the same resource, keyed by the action as given. */
export function evaluateActions(
  policies: PrincipalPolicies,
  actions: readonly string[],
  resource: ResourceQuery = '*',
): Map<string, Decision> {
  const out = new Map<string, Decision>();
  for (const action of actions) out.set(action, evaluate(policies, action, resource));
  return out;
}

/** The actions of the list that are allowed outright (not conditionally) on the resource. */
export function allowedActions(
  policies: PrincipalPolicies,
  actions: readonly string[],
  resource: ResourceQuery = '*',
): string[] {
  return actions.filter((action) => evaluate(policies, action, resource).decision === 'allowed');
}

const NO_HITS: readonly Hit[] = Object.freeze([]);

function collect(attached: readonly AttachedPolicy[], key: ReturnType<typeof actionKey>): readonly Hit[] {
  let hits: Hit[] | undefined;
  for (const policy of attached) {
    const statements = policy.policy.statementsFor(key);
    if (statements.length === 0) continue;
    hits ??= [];
    for (const statement of statements) hits.push({ attached: policy, statement });
  }
  return hits ?? NO_HITS;
}

function evaluateEvery(
  policies: PrincipalPolicies,
  resource: string,
  allows: readonly Hit[],
  denies: readonly Hit[],
  boundaryAllows: readonly Hit[] | undefined,
): Decision {
  const vars = policies.variables;
  const hardDenies: Hit[] = [];
  const softDenies: Hit[] = [];
  for (const hit of denies) {
    if (!coversResource(hit.statement, resource, vars)) continue;
    (hit.statement.conditional ? softDenies : hardDenies).push(hit);
  }
  if (hardDenies.length > 0) return denied(hardDenies, softDenies);
  const granting = allows.filter((h) => coversResource(h.statement, resource, vars));
  if (granting.length === 0) return IMPLICIT_DENY;
  let permitting: Hit[] = [];
  if (boundaryAllows) {
    permitting = boundaryAllows.filter((h) => coversResource(h.statement, resource, vars));
    if (permitting.length === 0) return blockedByBoundary();
  }
  const firm = granting.filter((h) => !h.statement.conditional);
  const firmBoundary = permitting.filter((h) => !h.statement.conditional);
  const allowed = firm.length > 0 && (!boundaryAllows || firmBoundary.length > 0);
  return {
    decision: allowed ? 'allowed' : 'conditional',
    statements: [
      ...(firm.length > 0 ? firm : granting),
      ...(firmBoundary.length > 0 ? firmBoundary : permitting),
    ].map(toRef),
    conditionalDenies: softDenies.map(toRef),
  };
}

function evaluateSome(
  policies: PrincipalPolicies,
  query: AnyResource,
  allows: readonly Hit[],
  denies: readonly Hit[],
  boundaryAllows: readonly Hit[] | undefined,
): Decision {
  const vars = policies.variables;
  const firm = new Set<Hit>();
  const soft = new Set<Hit>();
  const killedBy = new Set<Hit>();
  const softDenies = new Set<Hit>();
  let blocked = false;
  for (const hit of allows) {
    for (const candidate of candidates(hit.statement, vars)) {
      if (query.except && isSelfOnly(candidate, query.except, policies.principal.accountId)) continue;
      const hard = denies.find(
        (d) => !d.statement.conditional && coversResource(d.statement, candidate, vars),
      );
      if (hard) {
        killedBy.add(hard);
        continue;
      }
      let level = hit.statement.conditional ? 1 : 2;
      let permitting: Hit[] = [];
      if (boundaryAllows) {
        permitting = boundaryAllows.filter((b) => overlapsResource(b.statement, candidate, vars));
        if (permitting.length === 0) {
          blocked = true;
          continue;
        }
        if (permitting.every((b) => b.statement.conditional)) level = 1;
      }
      for (const d of denies) {
        if (d.statement.conditional && coversResource(d.statement, candidate, vars)) softDenies.add(d);
      }
      const target = level === 2 ? firm : soft;
      target.add(hit);
      for (const b of permitting) if (level === 1 || !b.statement.conditional) target.add(b);
    }
  }
  if (firm.size > 0) {
    return {
      decision: 'allowed',
      statements: [...firm].map(toRef),
      conditionalDenies: [...softDenies].map(toRef),
    };
  }
  if (soft.size > 0) {
    return {
      decision: 'conditional',
      statements: [...soft].map(toRef),
      conditionalDenies: [...softDenies].map(toRef),
    };
  }
  if (killedBy.size > 0) return denied([...killedBy], [...softDenies]);
  return blocked ? blockedByBoundary() : IMPLICIT_DENY;
}

function denied(hard: readonly Hit[], soft: readonly Hit[]): Decision {
  return { decision: 'denied', statements: hard.map(toRef), conditionalDenies: soft.map(toRef) };
}

function blockedByBoundary(): Decision {
  return {
    decision: 'implicit-deny',
    statements: NO_REFS,
    conditionalDenies: NO_REFS,
    blockedByBoundary: true,
  };
}

/** The resource patterns an Allow statement grants, as concrete patterns for this principal. */
function candidates(statement: CompiledStatement, vars: PolicyVariables): string[] {
  if (statement.notResource) {
    // "Everything but ..." grants something unless it excludes every resource.
    for (const r of statement.resources) {
      const p = resolvePattern(r, vars);
      if (p !== undefined && covers(p, '*')) return [];
    }
    return statement.resources.length > 0 ? ['*'] : [];
  }
  const out: string[] = [];
  for (const r of statement.resources) {
    const p = resolvePattern(r, vars);
    if (p !== undefined) out.push(p);
  }
  return out;
}

/** The statement's Resource covers every resource the request denotes (NotResource: excludes none of it). */
function coversResource(statement: CompiledStatement, request: string, vars: PolicyVariables): boolean {
  const list = statement.resources;
  if (!statement.notResource) {
    for (const r of list) {
      if (r.kind === 'static') {
        if (r.matches(request)) return true;
        continue;
      }
      const p = resolvePattern(r, vars);
      if (p !== undefined && covers(p, request)) return true;
    }
    return false;
  }
  if (list.length === 0) return false;
  for (const r of list) {
    const p = resolvePattern(r, vars);
    if (p !== undefined && overlaps(p, request)) return false;
  }
  return true;
}

/** The statement's Resource reaches at least part of what the request denotes. */
function overlapsResource(statement: CompiledStatement, request: string, vars: PolicyVariables): boolean {
  const list = statement.resources;
  if (!statement.notResource) {
    for (const r of list) {
      const p = resolvePattern(r, vars);
      if (p !== undefined && overlaps(p, request)) return true;
    }
    return false;
  }
  if (list.length === 0) return false;
  for (const r of list) {
    const p = resolvePattern(r, vars);
    if (p !== undefined && covers(p, request)) return false;
  }
  return true;
}

/**
 * True when a granted resource pattern can only mean the principal itself (or its own groups or
 * policies), e.g. `arn:aws:iam::*:user/${aws:username}`. The account field may be a wildcard.
 */
function isSelfOnly(pattern: string, self: ReadonlySet<string>, accountId: string): boolean {
  if (self.has(pattern)) return true;
  if (!hasWildcard(pattern)) return false;
  const parts = pattern.split(':');
  if (parts.length < 6) return false;
  if (parts[3] === '*') parts[3] = '';
  if (parts[4] === '*') parts[4] = accountId;
  const normalized = parts.join(':');
  return !hasWildcard(normalized) && self.has(normalized);
}

const refCaches = new WeakMap<AttachedPolicy, StatementRef[]>();

function toRef(hit: Hit): StatementRef {
  return refOf(hit.attached, hit.statement);
}

function refOf(attached: AttachedPolicy, statement: CompiledStatement): StatementRef {
  let refs = refCaches.get(attached);
  if (!refs) {
    refs = [];
    refCaches.set(attached, refs);
  }
  const s = statement.statement;
  let ref = refs[s.index];
  if (!ref) {
    const policy = attached.ref;
    ref = {
      policyType: policy.type,
      policyName: policy.name,
      ...(policy.arn ? { policyArn: policy.arn } : {}),
      ...(policy.group ? { group: policy.group.name } : {}),
      ...(policy.boundary ? { boundary: true } : {}),
      statementIndex: s.index,
      ...(s.sid ? { sid: s.sid } : {}),
      effect: s.effect,
      conditional: statement.conditional,
    };
    refs[s.index] = ref;
  }
  return ref;
}

/** A stable text key for a statement reference (to de-duplicate evidence). */
export function statementKey(ref: StatementRef): string {
  return `${ref.boundary ? 'boundary' : ''}|${ref.group ?? ''}|${ref.policyArn ?? ref.policyName}|${ref.statementIndex}`;
}

/** "At least one resource other than these ARNs" (the principal itself, its groups, its policies). */
export function anyResourceExcept(self: Iterable<string>): AnyResource {
  return { any: true, except: new Set(self) };
}

/** Convenience for ad-hoc checks: `evaluate(principalPolicies(p), action, resource)`. */
export function evaluatePrincipal(
  principal: PolicyPrincipal,
  action: string,
  resource: ResourceQuery = '*',
): Decision {
  return evaluate(principalPolicies(principal), action, resource);
}
