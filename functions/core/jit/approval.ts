import type { Actor } from '../remediation/request';
import { isApprover, isSameSlackUser, type SlackUser, slackActor } from '../slack/approvers';
import { isProfileApprover } from './request';
import type { ElevationProfile, ElevationRequest, ElevationState } from './types';

/**
 * Approving and ending elevations. An approval counts for the exact grant the approver saw (its
 * hash), from a profile approver who is not the requester, once per person, while the request is
 * open. Decisions are values: the caller writes them with a condition on the state they came from.
 */

export type ApprovalRefusal =
  | 'not-an-approver'
  | 'self-approval'
  | 'hash-mismatch'
  | 'expired'
  | 'not-open'
  | 'already-approved';

export type ApprovalDecision =
  | { outcome: 'recorded'; request: ElevationRequest }
  | { outcome: 'quorum'; request: ElevationRequest }
  | { outcome: 'refused'; reason: ApprovalRefusal; message: string };

export function decideApproval(
  request: ElevationRequest,
  profile: ElevationProfile,
  vote: { approver: SlackUser; grantHash: string },
  now: Date,
): ApprovalDecision {
  const refuse = (reason: ApprovalRefusal, message: string): ApprovalDecision => ({
    outcome: 'refused',
    reason,
    message,
  });
  if (request.state !== 'requested') {
    return request.state === 'approved' || request.state === 'granted'
      ? refuse('already-approved', `This elevation is already ${request.state}.`)
      : refuse('not-open', `This elevation is ${request.state}; it can no longer be approved.`);
  }
  if (now.getTime() >= Date.parse(request.expiresAt)) {
    return refuse('expired', 'This request expired before it was approved; ask again.');
  }
  if (profile.name !== request.profile || !isApprover(vote.approver, profile.approvers)) {
    return refuse('not-an-approver', `You are not an approver of the profile ${request.profile}.`);
  }
  if (isSameSlackUser(vote.approver, request.requestedBy)) {
    return refuse('self-approval', 'You asked for this elevation, so someone else must approve it.');
  }
  if (vote.grantHash !== request.grantHash) {
    return refuse(
      'hash-mismatch',
      'The request changed since you saw it; the approval was not counted. Look at it again.',
    );
  }
  if (request.approvals.some((a) => isSameSlackUser(vote.approver, a.by))) {
    return refuse('already-approved', 'You already approved this request.');
  }
  const approvals = [
    ...request.approvals,
    { by: slackActor(vote.approver), at: now.toISOString(), grantHash: vote.grantHash },
  ];
  const counted = approvals.filter((a) => a.grantHash === request.grantHash).length;
  if (counted >= request.requiredApprovals) {
    return { outcome: 'quorum', request: { ...request, approvals, state: 'approved' } };
  }
  return { outcome: 'recorded', request: { ...request, approvals } };
}

export type RejectionDecision =
  | { outcome: 'rejected'; request: ElevationRequest }
  | { outcome: 'refused'; reason: 'not-an-approver' | 'not-open'; message: string };

/**
 * A profile approver turning a waiting request down. Unlike an approval this may be the
 * requester's own: a rejection only takes privilege away.
 */
export function decideRejection(
  request: ElevationRequest,
  profile: ElevationProfile,
  approver: SlackUser,
  now: Date,
): RejectionDecision {
  if (request.state !== 'requested' || isLapsed(request, now)) {
    return {
      outcome: 'refused',
      reason: 'not-open',
      message: `This elevation is ${isLapsed(request, now) ? 'expired' : request.state}; there is nothing to reject.`,
    };
  }
  if (profile.name !== request.profile || !isApprover(approver, profile.approvers)) {
    return {
      outcome: 'refused',
      reason: 'not-an-approver',
      message: `You are not an approver of the profile ${request.profile}.`,
    };
  }
  return {
    outcome: 'rejected',
    request: { ...request, state: 'rejected', rejectedBy: slackActor(approver) },
  };
}

/** Who may end an elevation early: the requester, an approver of its profile, or the system and the CLI. */
export function canRevoke(request: ElevationRequest, by: Actor, profile: ElevationProfile): boolean {
  if (by.kind === 'system' || by.kind === 'cli') return true;
  if (sameActor(by, request.requestedBy)) return true;
  return profile.name === request.profile && isProfileApprover(by, profile);
}

function sameActor(a: Actor, b: Actor): boolean {
  return a.kind === b.kind && a.id === b.id && (a.teamId ?? '') === (b.teamId ?? '');
}

/**
 * The life of an elevation. `revoked` from `requested` is the requester withdrawing it; from
 * `approved`, an early end before the policy was written. Terminal states go nowhere.
 */
export const ELEVATION_TRANSITIONS: Readonly<Record<ElevationState, readonly ElevationState[]>> = {
  requested: ['approved', 'rejected', 'lapsed', 'revoked', 'failed'],
  approved: ['granted', 'revoked', 'failed'],
  granted: ['revoked'],
  revoked: [],
  rejected: [],
  lapsed: [],
  failed: [],
};

export function canTransition(from: ElevationState, to: ElevationState): boolean {
  return ELEVATION_TRANSITIONS[from].includes(to);
}

/** True when the request is still waiting and nobody can approve it any more. */
export function isLapsed(request: ElevationRequest, now: Date): boolean {
  return request.state === 'requested' && now.getTime() >= Date.parse(request.expiresAt);
}
