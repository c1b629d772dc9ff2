import { createHash } from 'node:crypto';
import type { Finding } from '../core/finding';
import type { ElevationProfile } from '../core/jit/types';
import type { StoredFinding } from '../core/lifecycle';
import { planFromFinding, type RefusalGate } from '../core/remediation/plan';
import type { ProtectionConfig } from '../core/remediation/protection';
import { ActiveRequestExistsError, type Actor, type RemediationRequest } from '../core/remediation/request';
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
  postRefusal(
    finding: Finding,
    reason: string,
    accountName?: string,
  ): Promise<{ channel: string; ts: string }>;
}

/** Account names as the latest organization run recorded them. */
export interface AccountNames {
  accountName(accountId: string): Promise<string | undefined>;
}

export interface RequestApprovalDeps {
  requests: RemediationRequestStore;
  notifier: RequestNotifier;
  /** Names the finding's account in the message; without it, or for an unknown account, the id alone. */
  accountNames?: AccountNames;
  protection: ProtectionConfig;
  /**
   * The elevation profiles, where just-in-time elevation is deployed: a standing-admin finding on
   * a principal one covers is offered as "Convert to just-in-time (profile P)".
   */
  jitProfiles?: readonly ElevationProfile[];
  now: () => Date;
  /** How long a request waits for approval; default that of `buildRemediationRequest` (24 h). */
  ttlHours?: number;
}

export type RequestApprovalOutcome =
  | { outcome: 'posted'; findingId: string; request: RemediationRequest }
  /** A repeated delivery: the request exists (and its message is posted, or being posted). */
  | { outcome: 'already-requested'; findingId: string; request: RemediationRequest }
  /**
   * The finding (reopened by a later scan) already has a request that is pending, approved or
   * executing: no second request, no second message. `activeRequestId` names the one that is.
   */
  | { outcome: 'active-request'; findingId: string; activeRequestId: string; reason: string }
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
  /** The scan that opened it, or what else asks (a review's reduce answer): part of the request id. */
  scanId: string;
  /** Who asks; iam-posture itself (a scan) by default. The requester cannot approve. */
  requestedBy?: Actor;
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

  const plan = planFromFinding(
    finding,
    deps.protection,
    deps.jitProfiles ? { jitProfiles: deps.jitProfiles } : {},
  );
  if (plan.outcome === 'refused') {
    if (plan.gate === 'no-action') return skip(plan.reason);
    const slack = await deps.notifier.postRefusal(finding, plan.reason, await accountNameOf(finding, deps));
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
    requestedBy: opened.requestedBy ?? SCAN_REQUESTER,
    now: deps.now(),
    requestId,
    ...(deps.ttlHours === undefined ? {} : { ttlHours: deps.ttlHours }),
  });
  const accountName = await accountNameOf(finding, deps);
  if (accountName) request.accountName = accountName;
  const highlights = evidenceHighlights(finding.evidence);
  if (Object.keys(highlights).length > 0) request.highlights = highlights;
  try {
    await deps.requests.create(request);
  } catch (error) {
    if (error instanceof ActiveRequestExistsError) {
      return {
        outcome: 'active-request',
        findingId: finding.id,
        activeRequestId: error.activeRequestId,
        reason: error.message,
      };
    }
    // Another delivery created it first and is posting it; anything else is a real failure.
    const raced = await deps.requests.get(requestId);
    if (raced) return { outcome: 'already-requested', findingId: finding.id, request: raced };
    throw error;
  }
  return post(request, deps);
}

/**
 * The name of the finding's account, or undefined. A name is only a label: a failed look-up
 * leaves the message with the account id, which identifies the account on its own.
 */
async function accountNameOf(finding: Finding, deps: RequestApprovalDeps): Promise<string | undefined> {
  try {
    return (await deps.accountNames?.accountName(finding.accountId)) || undefined;
  } catch {
    return undefined;
  }
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
