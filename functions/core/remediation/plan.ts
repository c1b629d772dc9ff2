import { evaluationContext, type PrivilegeAnalyzer, subResourceOf } from '../engine';
import { type Finding, findingId } from '../finding';
import type { AccessKeySnapshot, RoleSnapshot, SecretSnapshot, Snapshot, UserSnapshot } from '../model';
import { daysBetween, type RemediationActionId, type Rule, type RuleResult } from '../rule';
import { RULES } from '../rules';
import type { ScanSettings } from '../settings';
import { QUARANTINE_POLICY_DOCUMENT, QUARANTINE_POLICY_NAME, remediationAction } from './catalog';
import { type ProtectionConfig, protectionReason } from './protection';

export type PrincipalType = 'role' | 'user' | 'group';

export type RemediationStep =
  | { action: 'deactivate-access-key'; userName: string; accessKeyId: string }
  | {
      action: 'detach-managed-policy';
      principalType: PrincipalType;
      principalName: string;
      policyArn: string;
    }
  | {
      action: 'delete-inline-policy';
      principalType: PrincipalType;
      principalName: string;
      policyName: string;
    }
  | { action: 'quarantine-role'; roleName: string; policyName: string; policyDocument: string }
  | { action: 'rotate-secret'; secretId: string; region: string };

export type RefusalGate =
  | 'no-action'
  | 'not-found'
  | 'protected'
  | 'rule-passes'
  | 'changed'
  | 'in-use'
  | 'not-rotatable'
  | 'nothing-to-remove'
  /** The rule threw on the fresh state: neither a reason to act nor proof that it passes. */
  | 'unverifiable';

export type RemediationPlan =
  | {
      outcome: 'plan';
      findingId: string;
      actions: RemediationActionId[];
      steps: RemediationStep[];
      summary: string;
    }
  | { outcome: 'refused'; findingId: string; gate: RefusalGate; reason: string };

/** The live state re-read just before planning. `snapshot` undefined means the resource is gone. */
export interface FreshState {
  snapshot?: Snapshot;
  /** For an access key: the owning user (tags decide protection). */
  owner?: UserSnapshot;
}

export interface PlanContext {
  now: Date;
  settings: ScanSettings;
  protection: ProtectionConfig;
  privilege?: PrivilegeAnalyzer;
  rules?: readonly Rule[];
}

/** A policy the privilege rules propose to remove, carried in their evidence as `removablePolicies`. */
export interface RemovablePolicy {
  type: 'managed' | 'inline';
  /** Managed policy ARN. */
  arn?: string;
  /** Inline policy name (or managed policy name, for display). */
  name: string;
}

/**
 * Plans the remediation of a finding against freshly read state. Pure. Every gate fails closed:
 * anything unexpected is a refusal with a reason, never a guess.
 */
export function planRemediation(finding: Finding, fresh: FreshState, ctx: PlanContext): RemediationPlan {
  const refuse = (gate: RefusalGate, reason: string): RemediationPlan => ({
    outcome: 'refused',
    findingId: finding.id,
    gate,
    reason,
  });
  const actionId = finding.remediation.action;
  if (!actionId) return refuse('no-action', `Rule ${finding.ruleId} has no automatic remediation.`);
  const action = remediationAction(actionId);
  if (!action.appliesTo.includes(finding.ruleId)) {
    return refuse('no-action', `Action ${actionId} does not apply to rule ${finding.ruleId}.`);
  }
  const snapshot = fresh.snapshot;
  if (!snapshot) return refuse('not-found', `${finding.resourceArn} no longer exists.`);

  const subject = protectionSubject(snapshot, fresh.owner);
  if (!subject) return refuse('changed', `${finding.resourceArn} is not a resource remediation can act on.`);
  const protectedBecause = protectionReason(subject, ctx.protection);
  if (protectedBecause) return refuse('protected', `${protectedBecause}.`);

  // Re-run the rule on the fresh state: if the identity was used since, or the resource changed, stop.
  const rule = (ctx.rules ?? RULES).find((r) => r.meta.id === finding.ruleId);
  if (!rule) return refuse('no-action', `Rule ${finding.ruleId} is not in the catalog.`);
  if (!rule.meta.resourceKinds.includes(snapshot.kind)) {
    return refuse(
      'changed',
      `${finding.resourceArn} is now a ${snapshot.kind}, not what the finding was about.`,
    );
  }
  const freshId = findingId(snapshot.accountId, finding.ruleId, snapshot.arn, subResourceOf(snapshot));
  if (freshId !== finding.id) {
    return refuse('changed', `${finding.resourceArn} changed since the finding was recorded.`);
  }
  const result = evaluate(rule, snapshot, ctx);
  if (result.status === 'error') {
    return refuse(
      'unverifiable',
      `Rule ${finding.ruleId} could not evaluate ${finding.resourceArn}: ${result.reason}.`,
    );
  }
  if (result.status !== 'fail') {
    return refuse(
      'rule-passes',
      `Rule ${finding.ruleId} now passes for ${finding.resourceArn}; nothing to remediate.`,
    );
  }

  switch (snapshot.kind) {
    case 'access-key':
      return planAccessKey(finding, snapshot, refuse);
    case 'role':
      if (actionId === 'quarantine-role') return planQuarantine(finding, snapshot, refuse);
      return planPolicyRemoval(finding, snapshot, result, ctx, refuse);
    case 'user':
    case 'group':
      return planPolicyRemoval(finding, snapshot, result, ctx, refuse);
    case 'secret':
      return planRotation(finding, snapshot, refuse);
    default:
      return refuse('no-action', `No remediation for ${snapshot.kind} resources.`);
  }
}

type Refuse = (gate: RefusalGate, reason: string) => RemediationPlan;

function planAccessKey(finding: Finding, key: AccessKeySnapshot, refuse: Refuse): RemediationPlan {
  if (!key.keyId)
    return refuse('changed', `The access key id of ${key.userName} is unknown; re-collect live.`);
  if (!key.active) return refuse('rule-passes', `Access key ${key.keyId} is already inactive.`);
  return {
    outcome: 'plan',
    findingId: finding.id,
    actions: ['deactivate-access-key'],
    steps: [{ action: 'deactivate-access-key', userName: key.userName, accessKeyId: key.keyId }],
    summary: `Deactivate access key ${key.keyId} of user ${key.userName}.`,
  };
}

function planQuarantine(finding: Finding, role: RoleSnapshot, refuse: Refuse): RemediationPlan {
  if (role.inlinePolicies.some((p) => p.name === QUARANTINE_POLICY_NAME)) {
    return refuse('rule-passes', `Role ${role.name} already carries the ${QUARANTINE_POLICY_NAME} policy.`);
  }
  return {
    outcome: 'plan',
    findingId: finding.id,
    actions: ['quarantine-role'],
    steps: [
      {
        action: 'quarantine-role',
        roleName: role.name,
        policyName: QUARANTINE_POLICY_NAME,
        policyDocument: JSON.stringify(QUARANTINE_POLICY_DOCUMENT),
      },
    ],
    summary: `Attach the deny-all inline policy ${QUARANTINE_POLICY_NAME} to role ${role.name}.`,
  };
}

function planRotation(finding: Finding, secret: SecretSnapshot, refuse: Refuse): RemediationPlan {
  // Rotation is configured with a Lambda function or managed by the owning service (no function).
  if (!secret.rotationEnabled) {
    return refuse('not-rotatable', `Secret ${secret.name} has no rotation configured; rotate it by hand.`);
  }
  return {
    outcome: 'plan',
    findingId: finding.id,
    actions: ['rotate-secret'],
    steps: [{ action: 'rotate-secret', secretId: secret.arn, region: secret.region }],
    summary: `Rotate secret ${secret.name} now with its configured rotation function.`,
  };
}

function planPolicyRemoval(
  finding: Finding,
  principal: RoleSnapshot | UserSnapshot | Snapshot,
  result: Extract<RuleResult, { status: 'fail' }>,
  ctx: PlanContext,
  refuse: Refuse,
): RemediationPlan {
  if (principal.kind !== 'role' && principal.kind !== 'user' && principal.kind !== 'group') {
    return refuse('no-action', `No policy remediation for ${principal.kind} resources.`);
  }
  // Removing standing admin from an identity that is in use would break it: only unused ones.
  if (finding.ruleId === 'standing-admin') {
    const inUse =
      principal.kind === 'group'
        ? `Group ${principal.name} grants its members' permissions, and whether they use them is not known`
        : inUseReason(principal, ctx);
    if (inUse) return refuse('in-use', `${inUse}; narrow its policies instead of detaching them.`);
  }
  const removable = removablePolicies(result.evidence.removablePolicies);
  if (removable.length === 0) {
    return refuse(
      'nothing-to-remove',
      `No policy of ${principal.name} can be removed whole; narrow it by hand.`,
    );
  }
  const attachedArns = new Set(principal.managedPolicies.map((p) => p.arn));
  const inlineNames = new Set(principal.inlinePolicies.map((p) => p.name));
  const steps: RemediationStep[] = [];
  for (const policy of removable) {
    if (policy.type === 'managed' && policy.arn && attachedArns.has(policy.arn)) {
      steps.push({
        action: 'detach-managed-policy',
        principalType: principal.kind,
        principalName: principal.name,
        policyArn: policy.arn,
      });
    } else if (policy.type === 'inline' && inlineNames.has(policy.name)) {
      steps.push({
        action: 'delete-inline-policy',
        principalType: principal.kind,
        principalName: principal.name,
        policyName: policy.name,
      });
    } else {
      return refuse('changed', `Policy ${policy.name} is no longer attached to ${principal.name}.`);
    }
  }
  const actions = [...new Set(steps.map((s) => s.action))];
  return {
    outcome: 'plan',
    findingId: finding.id,
    actions,
    steps,
    summary: `Remove ${steps.length} ${steps.length === 1 ? 'policy' : 'policies'} from ${principal.kind} ${principal.name}: ${removable.map((p) => p.name).join(', ')}.`,
  };
}

/** The `removablePolicies` evidence of the privilege rules; anything malformed is nothing. */
export function removablePolicies(value: unknown): RemovablePolicy[] {
  if (!Array.isArray(value)) return [];
  const out: RemovablePolicy[] = [];
  for (const item of value) {
    if (typeof item !== 'object' || item === null) return [];
    const { type, arn, name } = item as Record<string, unknown>;
    if ((type !== 'managed' && type !== 'inline') || typeof name !== 'string') return [];
    if (type === 'managed' && typeof arn !== 'string') return [];
    out.push(typeof arn === 'string' ? { type, arn, name } : { type, name });
  }
  return out;
}

/** Why a role or user counts as in use within its window, or undefined when it is unused. */
function inUseReason(principal: RoleSnapshot | UserSnapshot, ctx: PlanContext): string | undefined {
  const { thresholds } = ctx.settings;
  if (principal.kind === 'role') {
    if (principal.lastUsedAt && daysBetween(principal.lastUsedAt, ctx.now) < thresholds.roleUnusedDays) {
      return `Role ${principal.name} was used ${daysBetween(principal.lastUsedAt, ctx.now)} days ago`;
    }
    if (!principal.lastUsedAt && daysBetween(principal.createdAt, ctx.now) < thresholds.roleUnusedDays) {
      return `Role ${principal.name} is younger than the unused window`;
    }
    return undefined;
  }
  const creds = principal.credentials;
  if (!creds) return `User ${principal.name} has no credential report data`;
  if (
    creds.passwordLastUsedAt &&
    daysBetween(creds.passwordLastUsedAt, ctx.now) < thresholds.passwordUnusedDays
  ) {
    return `User ${principal.name} signed in ${daysBetween(creds.passwordLastUsedAt, ctx.now)} days ago`;
  }
  for (const key of creds.accessKeys) {
    if (key.lastUsedAt && daysBetween(key.lastUsedAt, ctx.now) < thresholds.accessKeyUnusedDays) {
      return `User ${principal.name} used an access key ${daysBetween(key.lastUsedAt, ctx.now)} days ago`;
    }
  }
  if (principal.createdAt && daysBetween(principal.createdAt, ctx.now) < thresholds.accessKeyUnusedDays) {
    return `User ${principal.name} is younger than the unused window`;
  }
  return undefined;
}

function protectionSubject(snapshot: Snapshot, owner: UserSnapshot | undefined) {
  switch (snapshot.kind) {
    case 'role':
      return { arn: snapshot.arn, name: snapshot.name, path: snapshot.path, tags: snapshot.tags };
    case 'user':
      return { arn: snapshot.arn, name: snapshot.name, path: snapshot.path, tags: snapshot.tags };
    case 'group':
      return { arn: snapshot.arn, name: snapshot.name, path: snapshot.path };
    case 'access-key':
      // The key is protected when its user is; without the user's tags we cannot tell, so refuse.
      if (!owner || owner.arn !== snapshot.arn) return undefined;
      return { arn: owner.arn, name: owner.name, path: owner.path, tags: owner.tags };
    case 'secret':
      return { arn: snapshot.arn, name: snapshot.name, tags: snapshot.tags };
    default:
      return undefined;
  }
}

function evaluate(
  rule: Rule,
  snapshot: Snapshot,
  ctx: PlanContext,
): RuleResult | { status: 'error'; reason: string } {
  const privilege = ctx.privilege;
  const evaluation = evaluationContext(snapshot.accountId, ctx.settings, ctx.now, (arn) =>
    privilege && arn === snapshot.arn && (snapshot.kind === 'role' || snapshot.kind === 'user')
      ? privilege(snapshot)
      : undefined,
  );
  try {
    return rule.evaluate(snapshot, evaluation);
  } catch (error) {
    // A rule that cannot evaluate the fresh state is neither a green light nor proof of a fix.
    return { status: 'error', reason: (error as Error).message };
  }
}

/** True when two step lists are the same steps in the same order (key order does not matter). */
export function sameSteps(a: readonly RemediationStep[], b: readonly RemediationStep[]): boolean {
  // Order does not matter: live reads may list a principal's policies in another order.
  const left = a.map(canonicalJson).sort();
  const right = b.map(canonicalJson).sort();
  return left.length === right.length && left.every((step, i) => step === right[i]);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
