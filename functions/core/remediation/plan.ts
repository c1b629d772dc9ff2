import { parseIamPrincipalArn, parseSecretArn } from '../arn';
import { evaluationContext, type PrivilegeAnalyzer, subResourceOf } from '../engine';
import { type Finding, findingId } from '../finding';
import { isEligible } from '../jit/request';
import type { ElevationProfile } from '../jit/types';
import type { GroupSnapshot, RoleSnapshot, Snapshot, UserSnapshot } from '../model';
import { daysBetween, type Evidence, type RemediationActionId, type Rule, type RuleResult } from '../rule';
import { RULES } from '../rules';
import type { ScanSettings } from '../settings';
import { isQuarantinePolicyArn, QUARANTINE_POLICY_NAME, remediationAction } from './catalog';
import { type ProtectionConfig, type ProtectionSubject, protectionReason } from './protection';

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
  | {
      action: 'quarantine-role';
      roleName: string;
      /** The quarantine policy's name; the executor attaches the managed policy of its account. */
      policyName: string;
      /**
       * Only in requests approved before quarantine used the managed policy (it was put inline);
       * such a step no longer matches a fresh plan, so it is refused, never executed.
       */
      policyDocument?: string;
    }
  | { action: 'rotate-secret'; secretId: string; region: string }
  /** Records the principal as eligible for a just-in-time profile (an item of the findings table). */
  | { action: 'make-eligible'; principalArn: string; accountId: string; profile: string };

export type RefusalGate =
  | 'no-action'
  | 'not-found'
  | 'protected'
  | 'rule-passes'
  | 'changed'
  | 'in-use'
  | 'not-rotatable'
  | 'nothing-to-remove'
  /** Conversion to just-in-time was asked for, and no profile covers the principal. */
  | 'no-jit-profile'
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

export interface PlanContext extends ConversionOptions {
  now: Date;
  settings: ScanSettings;
  protection: ProtectionConfig;
  privilege?: PrivilegeAnalyzer;
  rules?: readonly Rule[];
}

/** What decides between removing standing administrator access and converting it to just-in-time. */
export interface ConversionOptions {
  /**
   * The elevation profiles where just-in-time elevation is deployed. A standing-admin finding on
   * a role or user some profile's `eligible` patterns cover is then converted (`convert-to-jit`)
   * rather than only removed.
   */
  jitProfiles?: readonly ElevationProfile[];
  /**
   * The action asked for, instead of choosing one: the action of an approved request, so execution
   * plans what was approved (a conversion whose principal no profile covers any more is refused,
   * not turned into a plain removal). Default: the finding's, or conversion as above.
   */
  action?: RemediationActionId;
}

/** A policy the privilege rules propose to remove, carried in their evidence as `removablePolicies`. */
export type RemovablePolicy =
  | { type: 'managed'; arn: string; name: string }
  | { type: 'inline'; name: string };

type Refusal = Extract<RemediationPlan, { outcome: 'refused' }>;
type Refuse = (gate: RefusalGate, reason: string) => Refusal;

function refuser(finding: Finding): Refuse {
  return (gate, reason) => ({ outcome: 'refused', findingId: finding.id, gate, reason });
}

/**
 * What the planner knows of the resource it would act on: everything when it was read live, what
 * the ARN and the evidence say when it comes from a finding. A fact only live state can tell is
 * optional, and its gate applies when it is known.
 */
type Target =
  | {
      kind: 'access-key';
      /** The owning user: a key is protected when its user is. */
      subject: ProtectionSubject;
      userName: string;
      /** Undefined when the key is known only by its credential-report slot. */
      keyId: string | undefined;
      active?: boolean;
    }
  | {
      kind: PrincipalType;
      subject: ProtectionSubject;
      name: string;
      attached?: { managedArns: ReadonlySet<string>; inlineNames: ReadonlySet<string> };
      /** Why the principal counts as in use within its window. */
      inUse?: string;
    }
  | {
      kind: 'secret';
      subject: ProtectionSubject;
      arn: string;
      name: string;
      region: string;
      /** Undefined when the finding does not say. */
      rotationEnabled: boolean | undefined;
    };

/**
 * Plans the remediation of a finding against freshly read state: what the remediation function
 * executes. Pure. Every gate fails closed: anything unexpected is a refusal with a reason, never a
 * guess.
 */
export function planRemediation(finding: Finding, fresh: FreshState, ctx: PlanContext): RemediationPlan {
  const refuse = refuser(finding);
  const actionId = applicableAction(finding, ctx);
  if (typeof actionId !== 'string') return actionId;
  const snapshot = fresh.snapshot;
  if (!snapshot) return refuse('not-found', `${finding.resourceArn} no longer exists.`);
  const target = liveTarget(snapshot, fresh.owner, ctx);
  if (!target) return notActionable(finding);
  const protectedBecause = protectionRefusal(finding, target, ctx.protection);
  if (protectedBecause) return protectedBecause;

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
  return planSteps(finding, actionId, target, result.evidence, ctx);
}

/**
 * The plan a person is asked to approve, from the finding alone (pure). It goes through the gates
 * of `planRemediation` that the finding can answer, and builds its steps the same way, so it plans
 * the same steps when nothing changed: protected principals by name, path and ARN, unknown key
 * ids, secrets without rotation, groups holding admin policies. Tags, recent use and what is still
 * attached are only known live: the remediation function checks them before acting.
 */
export function planFromFinding(
  finding: Finding,
  protection: ProtectionConfig,
  conversion: ConversionOptions = {},
): RemediationPlan {
  const actionId = applicableAction(finding, conversion);
  if (typeof actionId !== 'string') return actionId;
  const target = findingTarget(finding);
  if (!target) return notActionable(finding);
  const protectedBecause = protectionRefusal(finding, target, protection);
  if (protectedBecause) return protectedBecause;
  return planSteps(finding, actionId, target, finding.evidence, conversion);
}

/**
 * The action to plan: the one asked for, else conversion to just-in-time for a standing-admin
 * finding on a principal a profile covers, else the finding's own. A refusal when there is none
 * or it does not fit the rule.
 */
function applicableAction(finding: Finding, conversion: ConversionOptions): RemediationActionId | Refusal {
  const refuse = refuser(finding);
  if (!finding.remediation.action) {
    return refuse('no-action', `Rule ${finding.ruleId} has no automatic remediation.`);
  }
  const actionId =
    conversion.action ??
    (remediationAction('convert-to-jit').appliesTo.includes(finding.ruleId) &&
    coveringProfile(finding.resourceArn, conversion.jitProfiles)
      ? 'convert-to-jit'
      : finding.remediation.action);
  if (!remediationAction(actionId).appliesTo.includes(finding.ruleId)) {
    return refuse('no-action', `Action ${actionId} does not apply to rule ${finding.ruleId}.`);
  }
  return actionId;
}

/** Protected principals are never touched, whatever the finding says. */
function protectionRefusal(
  finding: Finding,
  target: Target,
  protection: ProtectionConfig,
): Refusal | undefined {
  const protectedBecause = protectionReason(target.subject, protection);
  return protectedBecause ? refuser(finding)('protected', `${protectedBecause}.`) : undefined;
}

function notActionable(finding: Finding): Refusal {
  return refuser(finding)('changed', `${finding.resourceArn} is not a resource remediation can act on.`);
}

/** A plan of these steps; its actions are the steps' unless named (a conversion is one action). */
type PlanBuilder = (
  steps: RemediationStep[],
  summary: string,
  actions?: RemediationActionId[],
) => RemediationPlan;

/** The steps of the action on the target, behind the gates of that action. */
function planSteps(
  finding: Finding,
  actionId: RemediationActionId,
  target: Target,
  evidence: Evidence,
  conversion: ConversionOptions,
): RemediationPlan {
  const refuse = refuser(finding);
  const plan: PlanBuilder = (steps, summary, actions) => ({
    outcome: 'plan',
    findingId: finding.id,
    actions: actions ?? [...new Set(steps.flatMap((s) => (s.action === 'make-eligible' ? [] : [s.action])))],
    steps,
    summary,
  });
  switch (actionId) {
    case 'deactivate-access-key': {
      if (target.kind !== 'access-key') {
        return refuse('changed', `${finding.resourceArn} is not an IAM user's access key.`);
      }
      if (!target.keyId) {
        return refuse('changed', `The access key id of ${target.userName} is unknown; re-collect live.`);
      }
      if (target.active === false) {
        return refuse('rule-passes', `Access key ${target.keyId} is already inactive.`);
      }
      return plan(
        [{ action: 'deactivate-access-key', userName: target.userName, accessKeyId: target.keyId }],
        `Deactivate access key ${target.keyId} of user ${target.userName}.`,
      );
    }
    case 'quarantine-role':
      if (target.kind !== 'role') return refuse('changed', `${finding.resourceArn} is not a role.`);
      if (
        target.attached?.inlineNames.has(QUARANTINE_POLICY_NAME) ||
        [...(target.attached?.managedArns ?? [])].some(isQuarantinePolicyArn)
      ) {
        return refuse(
          'rule-passes',
          `Role ${target.name} already carries the ${QUARANTINE_POLICY_NAME} policy.`,
        );
      }
      return plan(
        [{ action: 'quarantine-role', roleName: target.name, policyName: QUARANTINE_POLICY_NAME }],
        `Attach the deny-all managed policy ${QUARANTINE_POLICY_NAME} to role ${target.name}.`,
      );
    case 'rotate-secret':
      if (target.kind !== 'secret') return refuse('changed', `${finding.resourceArn} is not a secret.`);
      // Rotation is configured with a Lambda function or managed by the owning service (no function).
      if (target.rotationEnabled === false) {
        return refuse(
          'not-rotatable',
          `Secret ${target.name} has no rotation configured; rotate it by hand.`,
        );
      }
      return plan(
        [{ action: 'rotate-secret', secretId: target.arn, region: target.region }],
        `Rotate secret ${target.name} now with its configured rotation function.`,
      );
    case 'detach-managed-policy':
    case 'delete-inline-policy':
      return planPolicyRemoval(finding, target, evidence, refuse, plan);
    case 'convert-to-jit':
      return planConversion(finding, target, evidence, conversion.jitProfiles ?? [], refuse, plan);
  }
}

/** The first profile (in configuration order) whose `eligible` patterns cover the principal. */
function coveringProfile(
  principalArn: string,
  profiles: readonly ElevationProfile[] | undefined,
): ElevationProfile | undefined {
  return profiles?.find((profile) => isEligible(principalArn, profile));
}

/**
 * Converting standing administrator access: the principal is made eligible for a profile first, so
 * it is never left with neither, then the policies granting it are removed exactly as a removal
 * would remove them (same gates, same before-state). Only a principal a profile's `eligible`
 * patterns cover: the JIT function's role can write grant policies on those principals only.
 */
function planConversion(
  finding: Finding,
  target: Target,
  evidence: Evidence,
  profiles: readonly ElevationProfile[],
  refuse: Refuse,
  plan: PlanBuilder,
): RemediationPlan {
  if (target.kind !== 'role' && target.kind !== 'user') {
    return refuse(
      'no-action',
      `Only a role or user can be made eligible for just-in-time elevation; ${finding.resourceArn} is a ${target.kind}.`,
    );
  }
  const profile = coveringProfile(target.subject.arn, profiles);
  if (!profile) {
    const names = profiles.map((p) => p.name);
    return refuse(
      'no-jit-profile',
      `No just-in-time profile covers ${target.kind} ${target.name}${names.length > 0 ? ` (profiles: ${names.join(', ')})` : ' (no profile is configured)'}: elevation can be granted only to the principals a profile's eligible patterns match. Add it to a profile's eligible patterns, or remove the policy instead.`,
    );
  }
  const removal = planPolicyRemoval(finding, target, evidence, refuse, plan);
  if (removal.outcome === 'refused') return removal;
  const eligible: RemediationStep = {
    action: 'make-eligible',
    principalArn: target.subject.arn,
    accountId: finding.accountId,
    profile: profile.name,
  };
  return plan(
    [eligible, ...removal.steps],
    `Convert to just-in-time (profile ${profile.name}): make ${target.kind} ${target.name} eligible, then remove ${removal.steps.length} ${removal.steps.length === 1 ? 'policy' : 'policies'}: ${removal.steps.map(removedPolicyName).join(', ')}.`,
    ['convert-to-jit'],
  );
}

function removedPolicyName(step: RemediationStep): string {
  if (step.action === 'detach-managed-policy')
    return step.policyArn.slice(step.policyArn.lastIndexOf('/') + 1);
  if (step.action === 'delete-inline-policy') return step.policyName;
  return step.action;
}

function planPolicyRemoval(
  finding: Finding,
  target: Target,
  evidence: Evidence,
  refuse: Refuse,
  plan: PlanBuilder,
): RemediationPlan {
  if (target.kind !== 'role' && target.kind !== 'user' && target.kind !== 'group') {
    return refuse('no-action', `No policy remediation for ${target.kind} resources.`);
  }
  // Removing standing admin from an identity that is in use would break it: only unused ones.
  if (finding.ruleId === 'standing-admin') {
    const inUse =
      target.kind === 'group'
        ? `Group ${target.name} grants its members' permissions, and whether they use them is not known`
        : target.inUse;
    if (inUse) return refuse('in-use', `${inUse}; narrow its policies instead of detaching them.`);
  }
  const removable = removablePolicies(evidence.removablePolicies);
  if (removable.length === 0) {
    return refuse(
      'nothing-to-remove',
      `No policy of ${target.name} can be removed whole; narrow it by hand.`,
    );
  }
  const steps: RemediationStep[] = [];
  for (const policy of removable) {
    const attached =
      !target.attached ||
      (policy.type === 'managed'
        ? target.attached.managedArns.has(policy.arn)
        : target.attached.inlineNames.has(policy.name));
    if (!attached) return refuse('changed', `Policy ${policy.name} is no longer attached to ${target.name}.`);
    steps.push(
      policy.type === 'managed'
        ? {
            action: 'detach-managed-policy',
            principalType: target.kind,
            principalName: target.name,
            policyArn: policy.arn,
          }
        : {
            action: 'delete-inline-policy',
            principalType: target.kind,
            principalName: target.name,
            policyName: policy.name,
          },
    );
  }
  return plan(
    steps,
    `Remove ${steps.length} ${steps.length === 1 ? 'policy' : 'policies'} from ${target.kind} ${target.name}: ${removable.map((p) => p.name).join(', ')}.`,
  );
}

/** The `removablePolicies` evidence of the privilege rules; anything malformed is nothing. */
export function removablePolicies(value: unknown): RemovablePolicy[] {
  if (!Array.isArray(value)) return [];
  const out: RemovablePolicy[] = [];
  for (const item of value) {
    if (typeof item !== 'object' || item === null) return [];
    const { type, arn, name } = item as Record<string, unknown>;
    if (typeof name !== 'string') return [];
    if (type === 'managed' && typeof arn === 'string') out.push({ type, arn, name });
    else if (type === 'inline') out.push({ type, name });
    else return [];
  }
  return out;
}

/** The target as read live. Undefined for a resource remediation does not act on. */
function liveTarget(
  snapshot: Snapshot,
  owner: UserSnapshot | undefined,
  ctx: PlanContext,
): Target | undefined {
  switch (snapshot.kind) {
    case 'role':
    case 'user':
      return {
        ...principalTarget(snapshot),
        subject: { arn: snapshot.arn, name: snapshot.name, path: snapshot.path, tags: snapshot.tags },
        inUse: inUseReason(snapshot, ctx),
      };
    case 'group':
      return {
        ...principalTarget(snapshot),
        subject: { arn: snapshot.arn, name: snapshot.name, path: snapshot.path },
      };
    case 'access-key':
      // The key is protected when its user is; without the user's tags we cannot tell, so refuse.
      if (!owner || owner.arn !== snapshot.arn) return undefined;
      return {
        kind: 'access-key',
        subject: { arn: owner.arn, name: owner.name, path: owner.path, tags: owner.tags },
        userName: snapshot.userName,
        keyId: snapshot.keyId,
        active: snapshot.active,
      };
    case 'secret':
      return {
        kind: 'secret',
        subject: { arn: snapshot.arn, name: snapshot.name, tags: snapshot.tags },
        arn: snapshot.arn,
        name: snapshot.name,
        region: snapshot.region,
        rotationEnabled: snapshot.rotationEnabled === true,
      };
    default:
      return undefined;
  }
}

function principalTarget(principal: RoleSnapshot | UserSnapshot | GroupSnapshot) {
  return {
    kind: principal.kind,
    name: principal.name,
    attached: {
      managedArns: new Set(principal.managedPolicies.map((p) => p.arn)),
      inlineNames: new Set(principal.inlinePolicies.map((p) => p.name)),
    },
  };
}

/** The sub-resource of a key finding whose key id was unknown at scan time. */
const KEY_SLOT = /^slot-\d$/;

/** The target as far as the finding tells: name, path (or region) from its ARN, facts from its evidence. */
function findingTarget(finding: Finding): Target | undefined {
  const iam = parseIamPrincipalArn(finding.resourceArn);
  if (iam) {
    const { type: kind, name } = iam;
    const subject = { arn: finding.resourceArn, name, path: iam.path };
    if (finding.resourceType === 'access-key' && kind === 'user') {
      const keyId = finding.subResource;
      return {
        kind: 'access-key',
        subject,
        userName: name,
        keyId: keyId && !KEY_SLOT.test(keyId) ? keyId : undefined,
      };
    }
    return { kind, subject, name };
  }
  const secret = parseSecretArn(finding.resourceArn);
  if (secret) {
    const { name } = secret;
    const rotationEnabled = finding.evidence.rotationEnabled;
    return {
      kind: 'secret',
      subject: { arn: finding.resourceArn, name },
      arn: finding.resourceArn,
      name,
      region: finding.region ?? secret.region,
      rotationEnabled: typeof rotationEnabled === 'boolean' ? rotationEnabled : undefined,
    };
  }
  return undefined;
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
