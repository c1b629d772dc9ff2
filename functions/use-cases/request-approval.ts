import { createHash } from 'node:crypto';
import type { Finding } from '../core/finding';
import type { StoredFinding } from '../core/reconcile';
import {
  QUARANTINE_POLICY_DOCUMENT,
  QUARANTINE_POLICY_NAME,
  remediationAction,
} from '../core/remediation/catalog';
import {
  type PrincipalType,
  type RefusalGate,
  type RemediationPlan,
  type RemediationStep,
  removablePolicies,
} from '../core/remediation/plan';
import { type ProtectionConfig, protectionReason } from '../core/remediation/protection';
import type { Actor, RemediationRequest } from '../core/remediation/request';
import { evidenceHighlights } from '../core/slack/messages';
import type { ApprovalNotifier, RemediationRequestStore } from './remediation-ports';
import { buildRemediationRequest } from './remediation-request';

/**
 * Turns newly opened remediable findings into remediation requests awaiting approval in Slack:
 * plan from the finding's own data (a dry plan: the remediation function plans again against live
 * state before it acts, and refuses if the plan changed), record a `pending` request, post the
 * message with Approve / Reject, and record where the message is. A finding remediation would
 * refuse (a protected principal, an unknown key id, ...) is shown in Slack without buttons and
 * no request is opened.
 *
 * Deliveries are at least once: the request id is derived from the finding and the scan that
 * opened it, so a repeated delivery finds the request already there and posts nothing twice.
 */

/** The requester of requests opened by a scan. */
export const SCAN_REQUESTER: Actor = { kind: 'system', id: 'iam-posture' };

/** Changes of a scan that (re)open a finding, as run-scan reports them. */
const OPENING_CHANGES = new Set(['opened', 'reopened', 'unsuppressed']);

export interface RequestNotifier extends Pick<ApprovalNotifier, 'postRequest'> {
  postRefusal(finding: Finding, reason: string): Promise<{ channel: string; ts: string }>;
}

export interface RequestApprovalDeps {
  requests: RemediationRequestStore;
  notifier: RequestNotifier;
  protection: ProtectionConfig;
  now: () => Date;
  /** How long a request waits for approval; default that of `buildRemediationRequest` (24 h). */
  ttlHours?: number;
}

export type RequestApprovalOutcome =
  | { outcome: 'posted'; findingId: string; request: RemediationRequest }
  /** A repeated delivery: the request exists (and its message is posted, or being posted). */
  | { outcome: 'already-requested'; findingId: string; request: RemediationRequest }
  /** Remediation would refuse: shown in Slack, no request opened. */
  | {
      outcome: 'refused';
      findingId: string;
      gate: RefusalGate;
      reason: string;
      slack: { channel: string; ts: string };
    }
  /** Not a finding to ask about: not open, suppressed, no automatic remediation. */
  | { outcome: 'skipped'; findingId: string; reason: string };

/** The finding as stored, and the scan whose result opened it. */
export interface OpenedFinding {
  finding: Finding & { status?: StoredFinding['status'] };
  scanId: string;
}

/** The request id for a finding opened by a scan: stable across deliveries, opaque to Slack. */
export function approvalRequestId(findingId: string, scanId: string): string {
  return createHash('sha256')
    .update(`remediation-request\n${findingId}\n${scanId}`)
    .digest('hex')
    .slice(0, 32);
}

/** Opens (once) the remediation request for one newly opened finding and posts it to Slack. */
export async function requestApproval(
  opened: OpenedFinding,
  deps: RequestApprovalDeps,
): Promise<RequestApprovalOutcome> {
  const { finding, scanId } = opened;
  const skip = (reason: string): RequestApprovalOutcome => ({
    outcome: 'skipped',
    findingId: finding.id,
    reason,
  });
  if (opened.finding.status !== undefined && opened.finding.status !== 'open') {
    return skip(`The finding is ${opened.finding.status}, not open.`);
  }
  if (finding.suppression) return skip('The finding is suppressed.');
  if (!finding.remediation.action) return skip(`Rule ${finding.ruleId} has no automatic remediation.`);
  if (finding.result !== 'fail')
    return skip('The rule could not evaluate the resource; there is nothing to plan.');

  const plan = planFromFinding(finding, deps.protection);
  if (plan.outcome === 'refused') {
    if (plan.gate === 'no-action') return skip(plan.reason);
    const slack = await deps.notifier.postRefusal(finding, plan.reason);
    return { outcome: 'refused', findingId: finding.id, gate: plan.gate, reason: plan.reason, slack };
  }

  const requestId = approvalRequestId(finding.id, scanId);
  const existing = await deps.requests.get(requestId);
  if (existing) {
    // A delivery that stored the request but failed before recording its message: post it now.
    if (existing.state === 'pending' && !existing.slack) return post(existing, deps);
    return { outcome: 'already-requested', findingId: finding.id, request: existing };
  }

  const request = buildRemediationRequest({
    finding,
    plan,
    requestedBy: SCAN_REQUESTER,
    now: deps.now(),
    requestId,
    ...(deps.ttlHours === undefined ? {} : { ttlHours: deps.ttlHours }),
  });
  const highlights = evidenceHighlights(finding.evidence);
  if (Object.keys(highlights).length > 0) request.highlights = highlights;
  try {
    await deps.requests.create(request);
  } catch (error) {
    // Another delivery created it first and is posting it; anything else is a real failure.
    const raced = await deps.requests.get(requestId);
    if (raced) return { outcome: 'already-requested', findingId: finding.id, request: raced };
    throw error;
  }
  return post(request, deps);
}

async function post(request: RemediationRequest, deps: RequestApprovalDeps): Promise<RequestApprovalOutcome> {
  const slack = await deps.notifier.postRequest(request);
  await deps.requests.setSlackMessage(request.requestId, slack);
  return { outcome: 'posted', findingId: request.findingId, request: { ...request, slack } };
}

export type ScanApprovalOutcome =
  | RequestApprovalOutcome
  | { outcome: 'failed'; findingId: string; error: string };

/**
 * Requests approval for every finding a scan opened, reopened or unsuppressed (the changes of a
 * run-scan result). One finding's failure does not stop the others; it is reported.
 */
export async function requestApprovalsForScan(
  scan: { scanId: string; changes: readonly { kind: string; after: StoredFinding }[] },
  deps: RequestApprovalDeps,
): Promise<ScanApprovalOutcome[]> {
  const outcomes: ScanApprovalOutcome[] = [];
  for (const change of scan.changes) {
    if (!OPENING_CHANGES.has(change.kind)) continue;
    try {
      outcomes.push(await requestApproval({ finding: change.after, scanId: scan.scanId }, deps));
    } catch (error) {
      outcomes.push({
        outcome: 'failed',
        findingId: change.after.id,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
    }
  }
  return outcomes;
}

// ------------------------------------------------------------------------------- the dry plan

type Refusal = Extract<RemediationPlan, { outcome: 'refused' }>;

/**
 * The plan a person is asked to approve, from the finding alone (pure). It produces the same steps
 * `planRemediation` produces from the live resource when nothing changed, and refuses what can be
 * known to be refused from the finding: protected principals by name, path and ARN, unknown key
 * ids, secrets without rotation, groups holding admin policies. Tags and recent use are only
 * known live: the remediation function checks them before acting.
 */
export function planFromFinding(finding: Finding, protection: ProtectionConfig): RemediationPlan {
  const refuse = (gate: RefusalGate, reason: string): Refusal => ({
    outcome: 'refused',
    findingId: finding.id,
    gate,
    reason,
  });
  const actionId = finding.remediation.action;
  if (!actionId) return refuse('no-action', `Rule ${finding.ruleId} has no automatic remediation.`);
  if (!remediationAction(actionId).appliesTo.includes(finding.ruleId)) {
    return refuse('no-action', `Action ${actionId} does not apply to rule ${finding.ruleId}.`);
  }

  const subject = subjectOf(finding);
  if (!subject) return refuse('changed', `${finding.resourceArn} is not a resource remediation can act on.`);
  const protectedBecause = protectionReason(subject, protection);
  if (protectedBecause) return refuse('protected', `${protectedBecause}.`);

  const plan = (actions: RemediationStep['action'][], steps: RemediationStep[], summary: string) =>
    ({ outcome: 'plan', findingId: finding.id, actions, steps, summary }) as const;

  switch (actionId) {
    case 'deactivate-access-key': {
      const keyId = finding.subResource;
      if (finding.resourceType !== 'access-key' || subject.kind !== 'user') {
        return refuse('changed', `${finding.resourceArn} is not an IAM user's access key.`);
      }
      if (!keyId || /^slot-\d$/.test(keyId)) {
        return refuse('changed', `The access key id of ${subject.name} is unknown; re-collect live.`);
      }
      return plan(
        ['deactivate-access-key'],
        [{ action: 'deactivate-access-key', userName: subject.name, accessKeyId: keyId }],
        `Deactivate access key ${keyId} of user ${subject.name}.`,
      );
    }
    case 'quarantine-role':
      if (subject.kind !== 'role') return refuse('changed', `${finding.resourceArn} is not a role.`);
      return plan(
        ['quarantine-role'],
        [
          {
            action: 'quarantine-role',
            roleName: subject.name,
            policyName: QUARANTINE_POLICY_NAME,
            policyDocument: JSON.stringify(QUARANTINE_POLICY_DOCUMENT),
          },
        ],
        `Attach the deny-all inline policy ${QUARANTINE_POLICY_NAME} to role ${subject.name}.`,
      );
    case 'rotate-secret': {
      if (subject.kind !== 'secret') return refuse('changed', `${finding.resourceArn} is not a secret.`);
      if (finding.evidence.rotationEnabled === false) {
        return refuse(
          'not-rotatable',
          `Secret ${subject.name} has no rotation configured; rotate it by hand.`,
        );
      }
      return plan(
        ['rotate-secret'],
        [
          {
            action: 'rotate-secret',
            secretId: finding.resourceArn,
            region: finding.region ?? subject.region,
          },
        ],
        `Rotate secret ${subject.name} now with its configured rotation function.`,
      );
    }
    case 'detach-managed-policy':
    case 'delete-inline-policy': {
      if (subject.kind === 'secret')
        return refuse('no-action', 'No policy remediation for secret resources.');
      if (finding.ruleId === 'standing-admin' && subject.kind === 'group') {
        return refuse(
          'in-use',
          `Group ${subject.name} grants its members' permissions, and whether they use them is not known; narrow its policies instead of detaching them.`,
        );
      }
      const removable = removablePolicies(finding.evidence.removablePolicies);
      if (removable.length === 0) {
        return refuse(
          'nothing-to-remove',
          `No policy of ${subject.name} can be removed whole; narrow it by hand.`,
        );
      }
      const principalType: PrincipalType = subject.kind;
      const steps: RemediationStep[] = removable.map((policy) =>
        policy.type === 'managed'
          ? {
              action: 'detach-managed-policy',
              principalType,
              principalName: subject.name,
              policyArn: policy.arn!,
            }
          : {
              action: 'delete-inline-policy',
              principalType,
              principalName: subject.name,
              policyName: policy.name,
            },
      );
      return plan(
        [...new Set(steps.map((s) => s.action))],
        steps,
        `Remove ${steps.length} ${steps.length === 1 ? 'policy' : 'policies'} from ${principalType} ${subject.name}: ${removable.map((p) => p.name).join(', ')}.`,
      );
    }
  }
}

type Subject =
  | { kind: PrincipalType; arn: string; name: string; path: string }
  | { kind: 'secret'; arn: string; name: string; region: string };

const IAM_ARN = /^arn:[a-z-]+:iam::\d{12}:(role|user|group)(\/(?:[^/]+\/)*)([^/]+)$/;
const SECRET_ARN = /^arn:[a-z-]+:secretsmanager:([a-z0-9-]+):\d{12}:secret:(.+)$/;

/** Name, path (or region) of the finding's resource, read from its ARN. */
function subjectOf(finding: Finding): Subject | undefined {
  const iam = IAM_ARN.exec(finding.resourceArn);
  if (iam) {
    return { kind: iam[1] as PrincipalType, arn: finding.resourceArn, path: iam[2]!, name: iam[3]! };
  }
  const secret = SECRET_ARN.exec(finding.resourceArn);
  if (secret) {
    // The ARN ends with `-` and six random characters Secrets Manager appends to the name.
    const name = secret[2]!.replace(/-[A-Za-z0-9]{6}$/, '');
    return { kind: 'secret', arn: finding.resourceArn, name, region: secret[1]! };
  }
  return undefined;
}
