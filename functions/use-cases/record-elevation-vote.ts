import { type ApprovalRefusal, decideApproval, decideRejection } from '../core/jit/approval';
import type { ElevationProfile, ElevationRequest } from '../core/jit/types';
import type { SlackUser } from '../core/slack/approvers';
import { actorDetail, elevationDetail, profileNamed, publishElevationEvent } from './elevation-events';
import type { JitEvents, JitProfiles, JitStore } from './jit-ports';

export interface RecordElevationVoteInput {
  grantId: string;
  /** The hash of the grant the approver was shown. */
  grantHash: string;
  approver: SlackUser;
}

export interface RecordElevationVoteDeps {
  profiles: JitProfiles;
  store: JitStore;
  events: JitEvents;
  now(): Date;
}

export type RecordElevationVoteResult =
  | { outcome: 'recorded'; request: ElevationRequest; message: string; warnings: string[] }
  | { outcome: 'approved'; request: ElevationRequest; message: string; warnings: string[] }
  | {
      outcome: 'refused';
      reason: ApprovalRefusal | 'unknown-request' | 'unknown-profile' | 'contended';
      message: string;
    };

/** Concurrent votes on one request: each lost race re-reads and decides again, this many times. */
const ATTEMPTS = 3;

/**
 * Counts one approval. The vote is written only while the request is still open, bound to the
 * hash it was cast for, and on top of exactly the approvals it was decided against; the vote that
 * reaches the quorum moves the request to approved and announces it (ElevationApproved), which is
 * what starts the grant.
 */
export async function recordElevationVote(
  input: RecordElevationVoteInput,
  deps: RecordElevationVoteDeps,
): Promise<RecordElevationVoteResult> {
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const now = deps.now();
    const found = await requestAndProfile(input.grantId, deps, 'so nobody can approve this request');
    if (found.outcome === 'refused') return found;
    const { request, profile } = found;
    const decision = decideApproval(
      request,
      profile,
      { approver: input.approver, grantHash: input.grantHash },
      now,
    );
    if (decision.outcome === 'refused') {
      return { outcome: 'refused', reason: decision.reason, message: decision.message };
    }
    const approval = decision.request.approvals[decision.request.approvals.length - 1]!;
    const updated = await deps.store.addApproval(request.grantId, approval, request.approvals.length);
    if (!updated) continue;

    const counted = updated.approvals.filter((a) => a.grantHash === updated.grantHash).length;
    if (counted < updated.requiredApprovals) {
      return {
        outcome: 'recorded',
        request: updated,
        message: `Approval recorded: ${counted} of ${updated.requiredApprovals}.`,
        warnings: [],
      };
    }
    const approved = await deps.store.transition(updated.grantId, 'requested', 'approved', {});
    if (!approved) {
      // Another vote reached the quorum first (and announced it), or the request ended meanwhile.
      const current = (await deps.store.get(updated.grantId)) ?? updated;
      if (current.state === 'approved' || current.state === 'granted') {
        return { outcome: 'approved', request: current, message: 'Approved.', warnings: [] };
      }
      return {
        outcome: 'refused',
        reason: 'not-open',
        message: `This elevation is ${current.state}; it can no longer be approved.`,
      };
    }
    const warnings: string[] = [];
    await publishElevationEvent(
      deps.events,
      warnings,
      'ElevationApproved',
      elevationDetail(approved, { approvedBy: approved.approvals.map((a) => actorDetail(a.by)) }),
    );
    return {
      outcome: 'approved',
      request: approved,
      message: 'Approved; the grant is being written.',
      warnings,
    };
  }
  return {
    outcome: 'refused',
    reason: 'contended',
    message: 'The request changed while your approval was being recorded; try again.',
  };
}

export type RejectElevationResult =
  | { outcome: 'rejected'; request: ElevationRequest; warnings: string[] }
  | {
      outcome: 'refused';
      reason: 'not-an-approver' | 'not-open' | 'unknown-request' | 'unknown-profile';
      message: string;
    };

/**
 * A profile approver turns a waiting request down (the requester may withdraw their own this way).
 * Conditional on the request still waiting, so a rejection and the approval reaching the quorum
 * cannot both win.
 */
export async function rejectElevation(
  input: { grantId: string; approver: SlackUser },
  deps: RecordElevationVoteDeps,
): Promise<RejectElevationResult> {
  const found = await requestAndProfile(input.grantId, deps);
  if (found.outcome === 'refused') return found;
  const { request, profile } = found;
  const decision = decideRejection(request, profile, input.approver, deps.now());
  if (decision.outcome === 'refused') return decision;
  const rejected = await deps.store.transition(request.grantId, 'requested', 'rejected', {
    rejectedBy: decision.request.rejectedBy,
  });
  if (!rejected) {
    const current = await deps.store.get(request.grantId);
    return {
      outcome: 'refused',
      reason: 'not-open',
      message: `This elevation is ${current?.state ?? 'gone'}; there is nothing to reject.`,
    };
  }
  const warnings: string[] = [];
  await publishElevationEvent(
    deps.events,
    warnings,
    'ElevationRejected',
    elevationDetail(rejected, { rejectedBy: actorDetail(decision.request.rejectedBy!) }),
  );
  return { outcome: 'rejected', request: rejected, warnings };
}

/** The request and its profile, or the refusal naming which is missing (`consequence` says what follows). */
async function requestAndProfile(
  grantId: string,
  deps: Pick<RecordElevationVoteDeps, 'store' | 'profiles'>,
  consequence?: string,
): Promise<
  | { outcome: 'found'; request: ElevationRequest; profile: ElevationProfile }
  | { outcome: 'refused'; reason: 'unknown-request' | 'unknown-profile'; message: string }
> {
  const request = await deps.store.get(grantId);
  if (!request) {
    return {
      outcome: 'refused',
      reason: 'unknown-request',
      message: 'This elevation request does not exist.',
    };
  }
  const profile = profileNamed(deps.profiles, request.profile);
  if (!profile) {
    return {
      outcome: 'refused',
      reason: 'unknown-profile',
      message: `The profile ${request.profile} is no longer configured${consequence ? `, ${consequence}` : ''}.`,
    };
  }
  return { outcome: 'found', request, profile };
}
