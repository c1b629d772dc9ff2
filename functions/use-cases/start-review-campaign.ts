import type { Finding } from '../core/finding';
import type { Inventory } from '../core/model';
import { createPrivilegeAnalyzer } from '../core/privilege';
import type { Actor } from '../core/remediation/request';
import type { ReviewRhythm, ReviewScope, ReviewTiming } from '../core/review/config';
import {
  byOwner,
  dueRhythms,
  manualCampaignId,
  planReviewItems,
  rhythmCampaignId,
} from '../core/review/plan';
import type { ReviewCampaign, ReviewItem } from '../core/review/types';
import type { OwnershipSettings } from '../core/settings';
import type { Thresholds } from '../core/thresholds';
import type { ReviewEvents, ReviewStore } from './review-ports';

/**
 * Starts entitlement review campaigns: by hand (CLI), or after a scan for each configured rhythm
 * whose period has no campaign yet. A campaign is written once: its id is derived from the rhythm,
 * the period and the account, so a redelivered scan event starts nothing twice.
 */

export interface StartReviewDeps {
  store: ReviewStore;
  events: ReviewEvents;
}

export interface StartReviewInput {
  /** Which identities the campaign lists. */
  scope: ReviewScope;
  /** The rhythm the campaign comes from; `manual` (the default) for one started by hand. */
  rhythm?: string;
  /** Derived from the rhythm (or the instant, for a manual campaign) when absent. */
  campaignId?: string;
  accountId: string;
  inventory: Inventory;
  /** The account's open findings (shown per identity, and ranking it). */
  findings: readonly Finding[];
  startedBy: Actor;
  now: Date;
  timing: ReviewTiming;
  ownership: Pick<OwnershipSettings, 'tagKeys' | 'patterns'>;
  thresholds: Pick<Thresholds, 'serviceUnusedDays'>;
}

export interface StartReviewResult {
  campaign: ReviewCampaign;
  items: ReviewItem[];
  /** False when the campaign existed already (nothing was written or published). */
  created: boolean;
}

const DAY_MS = 86_400_000;

export async function startReviewCampaign(
  input: StartReviewInput,
  deps: StartReviewDeps,
): Promise<StartReviewResult> {
  const campaignId = input.campaignId ?? manualCampaignId(input.accountId, input.now);
  const items = planReviewItems({
    campaignId,
    scope: input.scope,
    accountId: input.accountId,
    inventory: input.inventory,
    findings: input.findings,
    privilege: createPrivilegeAnalyzer(input.inventory),
    ownership: input.ownership,
    thresholds: input.thresholds,
    now: input.now,
  });
  const deadline = new Date(input.now.getTime() + input.timing.deadlineDays * DAY_MS);
  const campaign: ReviewCampaign = {
    campaignId,
    scope: input.rhythm ?? 'manual',
    accountIds: [input.accountId],
    startedAt: input.now.toISOString(),
    startedBy: input.startedBy,
    deadline: deadline.toISOString(),
    remindAt: new Date(deadline.getTime() - input.timing.remindBeforeDays * DAY_MS).toISOString(),
    state: 'open',
    owners: byOwner(items).map((group) => group.owner),
    itemCount: items.length,
  };
  const created = await deps.store.createCampaign(campaign, items);
  if (!created) {
    const existing = await deps.store.getCampaign(campaignId);
    return {
      campaign: existing ?? campaign,
      items: existing ? await deps.store.listItems(campaignId) : items,
      created: false,
    };
  }
  await deps.events.publish('ReviewCampaignStarted', {
    version: 1,
    campaignId,
    accountIds: campaign.accountIds,
    owners: campaign.owners,
    itemCount: campaign.itemCount,
  });
  return { campaign, items, created: true };
}

export interface StartDueInput extends Omit<StartReviewInput, 'scope' | 'rhythm' | 'campaignId'> {
  rhythms: readonly ReviewRhythm[];
}

/**
 * Starts each rhythm due for the account (once per calendar period). Called after a scan with its
 * inventory and findings; returns the campaigns it created.
 */
export async function startDueCampaigns(
  input: StartDueInput,
  deps: StartReviewDeps,
): Promise<StartReviewResult[]> {
  const lastStarted = await deps.store.lastStartedByRhythm(input.accountId);
  const due = new Set(dueRhythms(input.rhythms, lastStarted, input.now));
  const started: StartReviewResult[] = [];
  for (const rhythm of input.rhythms) {
    if (!due.has(rhythm.name)) continue;
    const result = await startReviewCampaign(
      {
        ...input,
        scope: rhythm.scope,
        rhythm: rhythm.name,
        campaignId: rhythmCampaignId(rhythm, input.accountId, input.now),
      },
      deps,
    );
    if (result.created) started.push(result);
  }
  return started;
}
