import type { ReviewCampaign, ReviewItem } from './types';

/**
 * Where each identity stands in the entitlement reviews: per rhythm, its latest review that was
 * answered or whose deadline passed. A review still open and unanswered neither clears a missed
 * one nor counts against the identity yet; an answer in it clears the missed one at once.
 */

/** One identity's review in one rhythm, as the scan's `review-overdue` rule reads it. */
export interface ReviewStanding {
  identityArn: string;
  accountId: string;
  rhythm: string;
  campaignId: string;
  owner: string;
  startedAt: string;
  deadline: string;
  /** Present when the review was answered keep or reduce. */
  decision?: { answer: string; at: string };
  /** Answered "not mine" with nobody named: it waits for the escalation channel. */
  disowned: boolean;
  escalatedAt?: string;
}

/**
 * The campaigns whose items decide the account's standings: per rhythm, newest first, every
 * campaign down to and including the newest one whose deadline has passed. Older campaigns of the
 * rhythm are superseded (an identity that left the newer one's scope is no longer reviewed there).
 */
export function campaignsDecidingStandings(
  campaigns: readonly ReviewCampaign[],
  accountId: string,
  now: Date,
): ReviewCampaign[] {
  const byRhythm = new Map<string, ReviewCampaign[]>();
  for (const campaign of campaigns) {
    if (!campaign.accountIds.includes(accountId)) continue;
    const list = byRhythm.get(campaign.scope) ?? [];
    list.push(campaign);
    byRhythm.set(campaign.scope, list);
  }
  const deciding: ReviewCampaign[] = [];
  for (const list of byRhythm.values()) {
    list.sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.campaignId.localeCompare(a.campaignId));
    for (const campaign of list) {
      deciding.push(campaign);
      if (isPastDeadline(campaign, now)) break;
    }
  }
  return deciding;
}

/**
 * The standings from the deciding campaigns (`campaignsDecidingStandings`) and their items. An
 * item is reviewed when answered keep or reduce; "not mine" with nobody named is not a review.
 */
export function reviewStandings(
  campaigns: readonly ReviewCampaign[],
  items: readonly ReviewItem[],
  accountId: string,
  now: Date,
): ReviewStanding[] {
  const itemsByCampaign = new Map<string, ReviewItem[]>();
  for (const item of items) {
    if (item.accountId !== accountId) continue;
    const list = itemsByCampaign.get(item.campaignId) ?? [];
    list.push(item);
    itemsByCampaign.set(item.campaignId, list);
  }
  const decided = new Map<string, ReviewStanding>();
  for (const campaign of campaignsDecidingStandings(campaigns, accountId, now)) {
    const pastDeadline = isPastDeadline(campaign, now);
    for (const item of itemsByCampaign.get(campaign.campaignId) ?? []) {
      const key = `${campaign.scope}\n${item.identityArn}`;
      if (decided.has(key)) continue;
      const reviewed = item.decision !== undefined && item.decision.answer !== 'not-mine';
      if (!reviewed && !pastDeadline) continue;
      decided.set(key, {
        identityArn: item.identityArn,
        accountId: item.accountId,
        rhythm: campaign.scope,
        campaignId: campaign.campaignId,
        owner: item.owner,
        startedAt: campaign.startedAt,
        deadline: campaign.deadline,
        ...(reviewed ? { decision: { answer: item.decision!.answer, at: item.decision!.at } } : {}),
        disowned: item.decision?.answer === 'not-mine',
        ...(item.escalatedAt !== undefined ? { escalatedAt: item.escalatedAt } : {}),
      });
    }
  }
  return [...decided.values()].sort(
    (a, b) => a.identityArn.localeCompare(b.identityArn) || a.rhythm.localeCompare(b.rhythm),
  );
}

function isPastDeadline(campaign: ReviewCampaign, now: Date): boolean {
  const deadline = Date.parse(campaign.deadline);
  // An unreadable deadline is not known to have passed: the campaign is read, and the scan names it.
  return !Number.isNaN(deadline) && now.getTime() >= deadline;
}
