import { arnPartition } from '../arn';
import { IAM_WRITE_ACTIONS } from '../policy/actions';
import { actionKey, mayReach } from '../policy/compile';
import {
  ANY_RESOURCE,
  anyResourceExcept,
  type Decision,
  type DecisionKind,
  evaluate,
  GROUP_MEMBER_NAME,
  type PolicyPrincipal,
  type PrincipalPolicies,
  policiesOf,
  principalPolicies,
  type StatementRef,
  statementKey,
} from '../policy/evaluate';
import { RecentCache } from '../policy/recent';
import { ESCALATION_PATHS, type EscalationPath, type TargetScope } from './escalation-paths';

/**
 * What a role, user or group can do, as far as risk is concerned: whether it is
 * administrator-equivalent, and which known escalation paths are open to it.
 *
 * Administrator-equivalent means, unconditionally (a grant that depends on a condition, e.g. MFA
 * or a date, is not standing and is reported as `conditional`):
 * - `full-access`: `*` on `*`, and every IAM write action on `*`;
 * - `iam-full-access`: every IAM write action on `*` (`iam:*`, `NotAction: s3:*`, ...): it can
 *   grant itself anything;
 * - `self-grant`: it can attach or write a policy on itself (its role, its user, one of its
 *   groups) or create a new version of a customer managed policy attached to it, and no
 *   permissions boundary caps the result (or it can remove or replace its boundary).
 *
 * PowerUserAccess (`NotAction: iam:*, organizations:*, account:*`) is not
 * administrator-equivalent: it cannot change IAM. It does open the "existing workload" paths
 * (lambda:UpdateFunctionCode, ssm:SendCommand, ...), which reach the roles those workloads
 * already run with, so `privilege-escalation` reports it.
 */

export type AdminBasis = 'full-access' | 'iam-full-access' | 'self-grant';

export interface AdminAssessment {
  status: 'admin' | 'conditional' | 'none';
  basis?: AdminBasis;
  /** For `self-grant`: the action and the resource it reaches. */
  selfGrant?: { action: string; resource: string };
  /** The statements that grant it. */
  statements: readonly StatementRef[];
  /** Conditional Deny statements that apply (they do not remove a standing grant). */
  conditionalDenies: readonly StatementRef[];
}

export interface RequirementResult {
  action: string;
  on: TargetScope;
  decision: Decision;
}

export interface OpenPath {
  path: EscalationPath;
  /** `conditional` when a required permission is granted only under conditions. */
  status: 'open' | 'conditional';
  /** The permissions that make the path: every `allOf`, and the granted member of each `anyOf`. */
  requirements: readonly RequirementResult[];
}

export interface PrivilegeAnalysis {
  principalArn: string;
  admin: AdminAssessment;
  /**
   * Open and conditionally open escalation paths, in catalog order. Empty when the principal
   * already holds full (or full IAM) access: there is nothing left to escalate to.
   */
  paths: readonly OpenPath[];
  /** Managed policies (or the boundary) that could not be read and were left out. */
  unreadablePolicies: readonly string[];
}

const NO_REFS: readonly StatementRef[] = Object.freeze([]);
const NOT_ADMIN: AdminAssessment = Object.freeze({
  status: 'none',
  statements: NO_REFS,
  conditionalDenies: NO_REFS,
});
const NOT_GRANTED: Decision = Object.freeze({
  decision: 'implicit-deny',
  statements: NO_REFS,
  conditionalDenies: NO_REFS,
});

/**
 * Analyses of the last few principals. The engine runs every rule on one principal before the
 * next, so the privilege rules and the risk ranking share one analysis without keeping 100,000
 * of them alive.
 */
const recent = new RecentCache<PolicyPrincipal, PrivilegeAnalysis>(8);

/** The privilege of a principal (snapshots are immutable: the result is cached by object). */
export function analyzePrincipal(principal: PolicyPrincipal): PrivilegeAnalysis {
  return recent.get(principal, (p) => new Analyzer(principalPolicies(p)).run());
}

type TargetKind = 'role' | 'user' | 'group' | 'policy';

/** The kind of resource an IAM action acts on, for `self` / `others` requirements. */
const TARGET_KIND: Readonly<Record<string, TargetKind>> = {
  'iam:attachuserpolicy': 'user',
  'iam:putuserpolicy': 'user',
  'iam:createaccesskey': 'user',
  'iam:createloginprofile': 'user',
  'iam:updateloginprofile': 'user',
  'iam:deleteuserpermissionsboundary': 'user',
  'iam:putuserpermissionsboundary': 'user',
  'iam:attachgrouppolicy': 'group',
  'iam:putgrouppolicy': 'group',
  'iam:addusertogroup': 'group',
  'iam:attachrolepolicy': 'role',
  'iam:putrolepolicy': 'role',
  'iam:updateassumerolepolicy': 'role',
  'iam:passrole': 'role',
  'iam:deleterolepermissionsboundary': 'role',
  'iam:putrolepermissionsboundary': 'role',
  'iam:createpolicyversion': 'policy',
  'iam:setdefaultpolicyversion': 'policy',
};

/** Ways to give oneself any permission, each on the principal's own resources. */
const SELF_GRANT_ACTIONS = [
  'iam:AttachRolePolicy',
  'iam:PutRolePolicy',
  'iam:AttachUserPolicy',
  'iam:PutUserPolicy',
  'iam:AttachGroupPolicy',
  'iam:PutGroupPolicy',
  'iam:CreatePolicyVersion',
];

const BOUNDARY_REMOVAL_ACTIONS = [
  'iam:DeleteRolePermissionsBoundary',
  'iam:PutRolePermissionsBoundary',
  'iam:DeleteUserPermissionsBoundary',
  'iam:PutUserPermissionsBoundary',
];

/** The reach-mask bits each path needs, for the cheap pre-filter (every path action is tracked). */
const PATH_MASKS = new Map(
  ESCALATION_PATHS.map((path) => [
    path,
    {
      allOf: path.allOf.reduce((mask, r) => mask | actionKey(r.action).bit, 0),
      anyOf: (path.anyOf ?? []).map((group) => group.reduce((mask, r) => mask | actionKey(r.action).bit, 0)),
    },
  ]),
);

const IAM_BIT = actionKey('iam:*').bit;

const SCOPE_INDEX: Record<TargetScope, number> = { any: 0, self: 1, others: 2 };

const RANK: Record<DecisionKind, number> = { allowed: 3, conditional: 2, denied: 1, 'implicit-deny': 0 };

class Analyzer {
  private memo: Map<number, Decision> | undefined;
  private targets: Map<TargetKind, string[]> | undefined;

  constructor(private readonly policies: PrincipalPolicies) {}

  run(): PrivilegeAnalysis {
    const principal = this.policies.principal;
    const admin = this.policies.identity.length > 0 ? this.admin() : NOT_ADMIN;
    const paths: OpenPath[] = [];
    // A principal that already holds everything has nothing left to escalate to; one that is
    // admin-equivalent because it can grant itself anything gets there through the paths.
    if (!holdsEverything(admin) && this.policies.identity.length > 0) {
      for (const path of ESCALATION_PATHS) {
        if (path.principalKinds && !path.principalKinds.includes(principal.kind)) continue;
        const open = this.openPath(path);
        if (open) paths.push(open);
      }
    }
    return {
      principalArn: principal.arn,
      admin,
      paths,
      unreadablePolicies: this.policies.unreadable.map((r) => r.arn ?? r.name),
    };
  }

  /** False when no identity policy can reach the action's service (a cheap filter before evaluating). */
  private mayGrant(action: string): boolean {
    return mayReach(this.policies.reach, actionKey(action));
  }

  private admin(): AdminAssessment {
    // Every way to be administrator-equivalent needs IAM actions.
    if (!this.mayGrant('iam:*')) return NOT_ADMIN;
    const full = evaluate(this.policies, '*', '*');
    const iam = this.iamWrite(this.policies);
    if (iam.decision === 'allowed') {
      const basis: AdminBasis = full.decision === 'allowed' ? 'full-access' : 'iam-full-access';
      // The statements that grant all of it; the union over IAM actions only when none does alone.
      const whole = basis === 'full-access' ? full : evaluate(this.policies, 'iam:*', '*');
      return {
        status: 'admin',
        basis,
        statements: whole.decision === 'allowed' ? whole.statements : iam.statements,
        conditionalDenies: dedupe([...full.conditionalDenies, ...iam.conditionalDenies]),
      };
    }
    const self = this.selfGrant();
    // Whether the boundary caps a self-grant; computed once (it evaluates several IAM writes).
    const capped = self ? this.boundaryCaps() : true;
    if (self && self.decision.decision === 'allowed' && !capped) {
      return {
        status: 'admin',
        basis: 'self-grant',
        selfGrant: { action: self.action, resource: self.resource },
        statements: self.decision.statements,
        conditionalDenies: self.decision.conditionalDenies,
      };
    }
    if (iam.decision === 'conditional') {
      return {
        status: 'conditional',
        basis:
          full.decision === 'conditional' || full.decision === 'allowed' ? 'full-access' : 'iam-full-access',
        statements: iam.statements,
        conditionalDenies: iam.conditionalDenies,
      };
    }
    if (self && self.decision.decision !== 'denied' && !capped) {
      return {
        status: 'conditional',
        basis: 'self-grant',
        selfGrant: { action: self.action, resource: self.resource },
        statements: self.decision.statements,
        conditionalDenies: self.decision.conditionalDenies,
      };
    }
    return NOT_ADMIN;
  }

  /** Every IAM write action on `*`. Without a Deny on IAM or a boundary, `iam:*` answers for all of them. */
  private iamWrite(policies: PrincipalPolicies): Decision {
    if (!policies.boundary && !policies.identity.some((p) => (p.policy.denyMask & IAM_BIT) !== 0)) {
      const whole = evaluate(policies, 'iam:*', '*');
      if (whole.decision === 'allowed') return whole;
    }
    return this.allOnEvery(policies, IAM_WRITE_ACTIONS);
  }

  /** Every action allowed on `*`: allowed only if all are, conditional if all are at least conditionally. */
  private allOnEvery(policies: PrincipalPolicies, actions: readonly string[]): Decision {
    let conditional = false;
    const statements = new Map<string, StatementRef>();
    const softDenies = new Map<string, StatementRef>();
    for (const action of actions) {
      const d = evaluate(policies, action, '*');
      if (d.decision === 'denied' || d.decision === 'implicit-deny') return NOT_GRANTED;
      if (d.decision === 'conditional') conditional = true;
      for (const s of d.statements) statements.set(statementKey(s), s);
      for (const s of d.conditionalDenies) softDenies.set(statementKey(s), s);
    }
    return {
      decision: conditional ? 'conditional' : 'allowed',
      statements: [...statements.values()],
      conditionalDenies: [...softDenies.values()],
    };
  }

  /** The best way the principal can grant itself a policy, if any. */
  private selfGrant(): { action: string; resource: string; decision: Decision } | undefined {
    let best: { action: string; resource: string; decision: Decision } | undefined;
    for (const action of SELF_GRANT_ACTIONS) {
      for (const resource of this.selfTargets(TARGET_KIND[action.toLowerCase()]!)) {
        const decision = evaluate(this.policies, action, resource);
        if (!best || RANK[decision.decision] > RANK[best.decision.decision])
          best = { action, resource, decision };
        if (decision.decision === 'allowed') return best;
      }
    }
    return best && RANK[best.decision.decision] >= RANK.conditional ? best : undefined;
  }

  /**
   * A permissions boundary caps what a self-granted policy can add, unless the boundary itself
   * allows all of IAM or the principal can remove or replace its own boundary.
   */
  private boundaryCaps(): boolean {
    const boundary = this.policies.boundary;
    if (!boundary) return false;
    for (const action of BOUNDARY_REMOVAL_ACTIONS) {
      for (const resource of this.selfTargets(TARGET_KIND[action.toLowerCase()]!)) {
        if (evaluate(this.policies, action, resource).decision === 'allowed') return false;
      }
    }
    const boundaryAlone = policiesOf(this.policies.principal, [boundary]);
    return this.iamWrite(boundaryAlone).decision !== 'allowed';
  }

  /** False when the principal's policies cannot reach the services the path needs. */
  private mayOpen(path: EscalationPath): boolean {
    const reach = this.policies.reach;
    const needed = PATH_MASKS.get(path)!;
    if ((needed.allOf & reach) !== needed.allOf) return false;
    for (const group of needed.anyOf) if ((group & reach) === 0) return false;
    return true;
  }

  private openPath(path: EscalationPath): OpenPath | undefined {
    if (!this.mayOpen(path)) return undefined;
    const requirements: RequirementResult[] = [];
    let conditional = false;
    for (const r of path.allOf) {
      const decision = this.requirement(r.action, r.on);
      if (decision.decision !== 'allowed' && decision.decision !== 'conditional') return undefined;
      if (decision.decision === 'conditional') conditional = true;
      requirements.push({ action: r.action, on: r.on, decision });
    }
    for (const group of path.anyOf ?? []) {
      let best: RequirementResult | undefined;
      for (const r of group) {
        const decision = this.requirement(r.action, r.on);
        if (!best || RANK[decision.decision] > RANK[best.decision.decision]) {
          best = { action: r.action, on: r.on, decision };
        }
        if (decision.decision === 'allowed') break;
      }
      if (!best || RANK[best.decision.decision] < RANK.conditional) return undefined;
      if (best.decision.decision === 'conditional') conditional = true;
      requirements.push(best);
    }
    return { path, status: conditional ? 'conditional' : 'open', requirements };
  }

  private requirement(action: string, on: TargetScope): Decision {
    const key = actionKey(action).id * 3 + SCOPE_INDEX[on];
    this.memo ??= new Map();
    let decision = this.memo.get(key);
    if (!decision) {
      decision = this.computeRequirement(action, on);
      this.memo.set(key, decision);
    }
    return decision;
  }

  private computeRequirement(action: string, on: TargetScope): Decision {
    const kind = TARGET_KIND[action.toLowerCase()];
    if (on === 'any' || (on === 'others' && !kind)) return evaluate(this.policies, action, ANY_RESOURCE);
    const self = kind ? this.selfTargets(kind) : [];
    if (on === 'others') {
      return evaluate(this.policies, action, self.length > 0 ? anyResourceExcept(self) : ANY_RESOURCE);
    }
    let best: Decision = NOT_GRANTED;
    for (const resource of self) {
      const decision = evaluate(this.policies, action, resource);
      if (RANK[decision.decision] > RANK[best.decision]) best = decision;
      if (best.decision === 'allowed') break;
    }
    return best;
  }

  /** The principal's own resources of a kind: itself, its groups, its customer managed policies. */
  private selfTargets(kind: TargetKind): string[] {
    this.targets ??= new Map();
    let list = this.targets.get(kind);
    if (!list) {
      list = computeSelfTargets(this.policies.principal, kind);
      this.targets.set(kind, list);
    }
    return list;
  }
}

function computeSelfTargets(principal: PolicyPrincipal, kind: TargetKind): string[] {
  switch (kind) {
    case 'role':
      return principal.kind === 'role' ? [principal.arn] : [];
    case 'user':
      if (principal.kind === 'user') return [principal.arn];
      if (principal.kind === 'group') {
        return [`arn:${arnPartition(principal.arn)}:iam::${principal.accountId}:user/${GROUP_MEMBER_NAME}`];
      }
      return [];
    case 'group':
      if (principal.kind === 'user') return principal.groups.map((g) => g.arn);
      if (principal.kind === 'group') return [principal.arn];
      return [];
    case 'policy': {
      const holders = principal.kind === 'user' ? [principal, ...principal.groups] : [principal];
      const arns = new Set<string>();
      for (const holder of holders) {
        for (const policy of holder.managedPolicies) if (!policy.awsManaged) arns.add(policy.arn);
      }
      return [...arns];
    }
  }
}

/** Admin through `*` on `*` or all of IAM, rather than through a way to grant itself more. */
export function holdsEverything(admin: AdminAssessment): boolean {
  return admin.status === 'admin' && admin.basis !== 'self-grant';
}

function dedupe(refs: readonly StatementRef[]): StatementRef[] {
  const out = new Map<string, StatementRef>();
  for (const r of refs) out.set(statementKey(r), r);
  return [...out.values()];
}
