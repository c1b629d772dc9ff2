import type { Actor } from '../core/remediation/request';
import type { ReviewTiming } from '../core/review/config';
import type { ReviewAnswer, ReviewDecision, ReviewItem } from '../core/review/types';
import type { ReductionRequests, ReviewEvents, ReviewStore } from './review-ports';

/**
 * Records an owner's answer for one identity: keep (with a justification, kept as an attestation
 * until it expires), reduce (remediation requests through the approval path) or not mine (handed
 * to the named owner, or left for the escalation channel). An item is answered once: the store's
 * conditional write settles a double click. Who may answer is the caller's decision (the Slack
 * route checks the owner's target and the configured reviewers; the CLI is an operator).
 */

export interface RecordReviewDeps {
  store: ReviewStore;
  events: ReviewEvents;
  reductions: ReductionRequests;
  timing: Pick<ReviewTiming, 'attestationDays'>;
}

export interface RecordReviewInput {
  campaignId: string;
  owner: string;
  itemId: string;
  answer: ReviewAnswer;
  justification?: string;
  /** Not mine: the owner to hand the item to. */
  reassignTo?: string;
  by: Actor;
  now: Date;
}

export const JUSTIFICATION_MAX = 1000;

export type RecordReviewOutcome =
  | {
      outcome: 'recorded';
      item: ReviewItem;
      /** Reduce: the remediation requests opened (empty when none could be: see `reductionUnavailable`). */
      requestIds?: string[];
      reductionUnavailable?: string;
      /** Not mine without a new owner: the escalation channel is to find one. */
      escalate?: boolean;
    }
  | { outcome: 'reassigned'; item: ReviewItem; from: string; to: string }
  | {
      outcome: 'refused';
      reason: 'not-found' | 'already-decided' | 'justification-required' | 'invalid-owner' | 'same-owner';
      message: string;
    };

const DAY_MS = 86_400_000;

export async function recordReviewDecision(
  input: RecordReviewInput,
  deps: RecordReviewDeps,
): Promise<RecordReviewOutcome> {
  const justification = input.justification?.trim() || undefined;
  if (justification && justification.length > JUSTIFICATION_MAX) {
    return refused('justification-required', `a justification is at most ${JUSTIFICATION_MAX} characters`);
  }
  if (input.answer === 'keep' && !justification) {
    return refused(
      'justification-required',
      'keeping an identity needs a justification: why it still needs what it holds',
    );
  }
  const item = await deps.store.getItem(input.campaignId, input.owner, input.itemId);
  if (!item) {
    return refused(
      'not-found',
      `no review item ${input.itemId} of ${input.owner} in campaign ${input.campaignId} (answered elsewhere or handed on)`,
    );
  }
  const reassignTo = input.reassignTo?.trim() || undefined;
  if (input.answer === 'not-mine' && reassignTo !== undefined) {
    return reassign(item, reassignTo, justification, input, deps);
  }
  if (item.decision) return alreadyDecided(item);

  const at = input.now.toISOString();
  const decision: ReviewDecision = { answer: input.answer, by: input.by, at };
  if (justification) decision.justification = justification;
  let requestIds: string[] | undefined;
  let reductionUnavailable: string | undefined;
  if (input.answer === 'keep') {
    decision.attestedUntil = new Date(
      input.now.getTime() + deps.timing.attestationDays * DAY_MS,
    ).toISOString();
  } else if (input.answer === 'reduce') {
    // Requests are opened before the answer is written, so the answer names them; their ids are
    // derived from the findings, so a lost race opens nothing twice.
    const reduction = await deps.reductions.requestReduction(item, input.by);
    if ('none' in reduction) {
      reductionUnavailable = reduction.none;
      decision.reductionUnavailable = reduction.none;
      requestIds = [];
    } else {
      requestIds = reduction.requestIds;
      decision.remediationRequestIds = reduction.requestIds;
      if (reduction.requestIds[0]) decision.remediationRequestId = reduction.requestIds[0];
    }
  }
  const decided = await deps.store.decide(item.campaignId, item.owner, item.itemId, decision);
  if (!decided) {
    const now = await deps.store.getItem(item.campaignId, item.owner, item.itemId);
    return now?.decision
      ? alreadyDecided(now)
      : refused('not-found', `review item ${item.itemId} was handed on meanwhile`);
  }
  if (input.answer === 'keep') {
    await deps.store.putAttestation(item.accountId, item.identityArn, {
      accountId: item.accountId,
      identityArn: item.identityArn,
      campaignId: item.campaignId,
      itemId: item.itemId,
      decision,
    });
  }
  await publishDecided(deps, item, {
    answer: input.answer,
    ...(requestIds ? { remediationRequestIds: requestIds } : {}),
  });
  return {
    outcome: 'recorded',
    item: decided,
    ...(requestIds ? { requestIds } : {}),
    ...(reductionUnavailable ? { reductionUnavailable } : {}),
    ...(input.answer === 'not-mine' ? { escalate: true } : {}),
  };
}

async function reassign(
  item: ReviewItem,
  to: string,
  justification: string | undefined,
  input: RecordReviewInput,
  deps: RecordReviewDeps,
): Promise<RecordReviewOutcome> {
  if (to.length > 256) return refused('invalid-owner', 'an owner id is at most 256 characters');
  if (to === item.owner) return refused('same-owner', `the item is already ${to}'s`);
  if (item.decision && !(item.decision.answer === 'not-mine' && !item.decision.reassignedTo)) {
    return alreadyDecided(item);
  }
  const moved = await deps.store.reassign(item.campaignId, item.owner, item.itemId, to, {
    from: item.owner,
    to,
    by: input.by,
    at: input.now.toISOString(),
    ...(justification ? { justification } : {}),
  });
  if (!moved) {
    return refused('already-decided', `review item ${item.itemId} was answered or handed on meanwhile`);
  }
  await publishDecided(deps, item, { answer: 'not-mine', reassigned: true });
  return { outcome: 'reassigned', item: moved, from: item.owner, to };
}

function alreadyDecided(item: ReviewItem): RecordReviewOutcome {
  const decision = item.decision!;
  return refused(
    'already-decided',
    `${item.identityName} was already answered "${decision.answer}" at ${decision.at}`,
  );
}

function refused(
  reason: Extract<RecordReviewOutcome, { outcome: 'refused' }>['reason'],
  message: string,
): RecordReviewOutcome {
  return { outcome: 'refused', reason, message };
}

/** `ReviewDecided`: ids and the answer, never the justification. */
function publishDecided(
  deps: Pick<RecordReviewDeps, 'events'>,
  item: ReviewItem,
  detail: { answer: ReviewAnswer } & Record<string, unknown>,
): Promise<void> {
  return deps.events.publish('ReviewDecided', {
    version: 1,
    campaignId: item.campaignId,
    itemId: item.itemId,
    accountId: item.accountId,
    identityArn: item.identityArn,
    ...detail,
  });
}
