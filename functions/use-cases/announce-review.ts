import { describeError } from '../core/describe-error';
import type { Actor } from '../core/remediation/request';
import type { ReviewCampaign, ReviewDecision, ReviewItem } from '../core/review/types';
import {
  escalationMessage,
  ITEMS_PER_MESSAGE,
  orderReviewItems,
  reminderMessage,
  reviewMessage,
} from '../core/slack/review-messages';
import type { AdvanceReviewResult, OwnerItems } from './advance-review-campaigns';
import type { ReviewStore } from './review-ports';
import type { ReviewMessageLog, ReviewMessenger, SlackMessageRef } from './review-slack-ports';

/**
 * Entitlement reviews in Slack, on the review function's side: a started campaign is announced by
 * posting each owner's review to the owner's Slack target (a user id: a direct message from the
 * app; a channel: the channel), and the daily advance's reminders and escalations are posted.
 *
 * ReviewCampaignStarted is delivered at least once: each posted message is recorded with the items
 * it shows, and an owner with a recorded message is not posted to again. An owner's failure does
 * not stop the others; the announcement fails at the end, so the delivery is retried for them.
 */

export interface ReviewSlackDeps {
  store: Pick<ReviewStore, 'getCampaign' | 'listItems' | 'listAttestations'>;
  messenger: ReviewMessenger;
  messages: ReviewMessageLog;
  /** Owner id -> Slack user or channel. An owner without one cannot be asked in Slack. */
  ownerSlack: Readonly<Record<string, string>>;
  /** Where unanswered identities go at the deadline (and owners Slack cannot reach). */
  escalationChannel?: string;
  now: () => Date;
}

/** Message records outlive the campaign's deadline by this long: answers after it still update them. */
const MESSAGE_RECORD_DAYS_AFTER_DEADLINE = 90;
const DAY_MS = 86_400_000;

/** Some owners' reviews could not be posted; the others were. */
export class ReviewAnnouncementError extends Error {
  override readonly name = 'ReviewAnnouncementError';
  constructor(
    readonly failures: readonly { owner: string; error: string }[],
    options?: { cause?: unknown },
  ) {
    super(
      `${failures.length} owner review(s) could not be posted: ${failures.map((f) => `${f.owner}: ${f.error}`).join('; ')}`,
      options,
    );
  }
}

export interface AnnounceResult {
  campaignId: string;
  outcome: 'announced' | 'unknown-campaign' | 'closed';
  /** Owners whose review was posted now, with how many messages it took. */
  posted: { owner: string; messages: number }[];
  /** Owners whose review was posted by an earlier delivery. */
  alreadyPosted: string[];
  /** Owners without a Slack target: told to the escalation channel when there is one. */
  unreachable: string[];
}

/** Posts every owner's review of the campaign (once per owner). */
export async function announceCampaign(campaignId: string, deps: ReviewSlackDeps): Promise<AnnounceResult> {
  const result: AnnounceResult = {
    campaignId,
    outcome: 'announced',
    posted: [],
    alreadyPosted: [],
    unreachable: [],
  };
  const campaign = await deps.store.getCampaign(campaignId);
  if (!campaign) return { ...result, outcome: 'unknown-campaign' };
  if (campaign.state !== 'open') return { ...result, outcome: 'closed' };
  const failures: { owner: string; error: string }[] = [];
  let firstError: unknown;
  const unreachableItems: ReviewItem[] = [];
  for (const owner of campaign.owners) {
    try {
      if ((await deps.messages.list(campaignId, owner)).length > 0) {
        result.alreadyPosted.push(owner);
        continue;
      }
      const items = await deps.store.listItems(campaignId, owner);
      if (items.length === 0) continue;
      if (!targetOf(owner, deps)) {
        result.unreachable.push(owner);
        unreachableItems.push(...items);
        continue;
      }
      const refs = await postOwnerReview(campaign, owner, items, deps);
      result.posted.push({ owner, messages: refs.length });
    } catch (error) {
      firstError ??= error;
      failures.push({ owner, error: describeError(error) });
    }
  }
  if (unreachableItems.length > 0 && deps.escalationChannel) {
    try {
      await tellUnreachable(campaign, result.unreachable, unreachableItems, deps);
    } catch (error) {
      firstError ??= error;
      failures.push({ owner: '(escalation channel)', error: describeError(error) });
    }
  }
  if (failures.length > 0) throw new ReviewAnnouncementError(failures, { cause: firstError });
  return result;
}

/** The owner's Slack target, or undefined. */
export function targetOf(owner: string, deps: Pick<ReviewSlackDeps, 'ownerSlack'>): string | undefined {
  return Object.hasOwn(deps.ownerSlack, owner) ? deps.ownerSlack[owner] : undefined;
}

/** Identity ARN -> its current attestation, for the accounts of `items`. */
export async function attestationsOf(
  items: readonly ReviewItem[],
  store: Pick<ReviewStore, 'listAttestations'>,
): Promise<Map<string, ReviewDecision>> {
  const byArn = new Map<string, ReviewDecision>();
  for (const accountId of new Set(items.map((item) => item.accountId))) {
    for (const attestation of await store.listAttestations(accountId)) {
      byArn.set(attestation.identityArn, attestation.decision);
    }
  }
  return byArn;
}

/**
 * Posts `items` as the owner's review (as many messages as Slack's block limit needs) and records
 * each message with its items. With `handedOverBy`, the messages say who handed them over, and are
 * recorded after the owner's earlier ones.
 */
export async function postOwnerReview(
  campaign: ReviewCampaign,
  owner: string,
  items: readonly ReviewItem[],
  deps: ReviewSlackDeps,
  options: { handedOverBy?: Actor } = {},
): Promise<SlackMessageRef[]> {
  const target = targetOf(owner, deps);
  if (!target) throw new Error(`owner ${owner} has no Slack target`);
  const now = deps.now();
  const attestations = await attestationsOf(items, deps.store);
  const ordered = orderReviewItems(items);
  const chunks: ReviewItem[][] = [];
  for (let i = 0; i < ordered.length; i += ITEMS_PER_MESSAGE)
    chunks.push(ordered.slice(i, i + ITEMS_PER_MESSAGE));
  const earlier = options.handedOverBy ? (await deps.messages.list(campaign.campaignId, owner)).length : 0;
  const expiresAt = new Date(Date.parse(campaign.deadline) + MESSAGE_RECORD_DAYS_AFTER_DEADLINE * DAY_MS);
  const refs: SlackMessageRef[] = [];
  for (const [i, chunk] of chunks.entries()) {
    const part = { index: i + 1, count: chunks.length };
    const message = reviewMessage(
      {
        campaign,
        owner,
        items: chunk,
        now,
        attestations,
        ownerSlack: deps.ownerSlack,
        ...(options.handedOverBy ? { handedOverBy: options.handedOverBy } : {}),
      },
      part,
      ordered.length,
    );
    const ref = await deps.messenger.post(target, message);
    refs.push(ref);
    await deps.messages.record(
      {
        campaignId: campaign.campaignId,
        owner,
        seq: earlier + i + 1,
        ...part,
        channel: ref.channel,
        ts: ref.ts,
        itemIds: chunk.map((item) => item.itemId),
        postedAt: now.toISOString(),
        ...(options.handedOverBy ? { handedOverBy: options.handedOverBy } : {}),
      },
      expiresAt,
    );
  }
  return refs;
}

/**
 * Owners Slack cannot reach: their identities go to the escalation channel at once, recorded like
 * a review message so that a repeated delivery does not tell the channel again.
 */
async function tellUnreachable(
  campaign: ReviewCampaign,
  owners: readonly string[],
  items: readonly ReviewItem[],
  deps: ReviewSlackDeps,
): Promise<void> {
  const expiresAt = new Date(Date.parse(campaign.deadline) + MESSAGE_RECORD_DAYS_AFTER_DEADLINE * DAY_MS);
  for (const owner of owners) {
    const owned = items.filter((item) => item.owner === owner);
    const message = escalationMessage({ campaign, owner, items: owned, unreachable: true });
    const ref = await deps.messenger.post(deps.escalationChannel!, message);
    await deps.messages.record(
      {
        campaignId: campaign.campaignId,
        owner,
        seq: 1,
        index: 1,
        count: 1,
        channel: ref.channel,
        ts: ref.ts,
        itemIds: owned.map((item) => item.itemId),
        postedAt: deps.now().toISOString(),
      },
      expiresAt,
    );
  }
}

export interface AdvanceMessagesResult {
  reminded: { campaignId: string; owner: string; items: number }[];
  escalated: { campaignId: string; owner: string; items: number }[];
  /** Reminders to owners without a Slack target, and escalations without an escalation channel. */
  undelivered: { campaignId: string; owner: string; kind: 'reminder' | 'escalation'; reason: string }[];
  failures: { campaignId: string; owner: string; kind: 'reminder' | 'escalation'; error: string }[];
}

/**
 * Posts what a run of the daily advance marked: a reminder to each owner (in the thread of the
 * owner's review, shown in the conversation too), and each owner's overdue identities to the
 * escalation channel. The marks are written before this runs, so a failed message is reported,
 * never sent twice by a later run.
 */
export async function postAdvanceMessages(
  advanced: Pick<AdvanceReviewResult, 'reminders' | 'escalations'>,
  deps: ReviewSlackDeps,
): Promise<AdvanceMessagesResult> {
  const result: AdvanceMessagesResult = { reminded: [], escalated: [], undelivered: [], failures: [] };
  const campaigns = new Map<string, ReviewCampaign | undefined>();
  const campaignOf = async (campaignId: string) => {
    if (!campaigns.has(campaignId)) campaigns.set(campaignId, await deps.store.getCampaign(campaignId));
    return campaigns.get(campaignId);
  };
  const each = async (
    kind: 'reminder' | 'escalation',
    groups: readonly OwnerItems[],
    send: (campaign: ReviewCampaign, group: OwnerItems) => Promise<string | undefined>,
  ) => {
    for (const group of groups) {
      const key = { campaignId: group.campaignId, owner: group.owner };
      try {
        const campaign = await campaignOf(group.campaignId);
        if (!campaign) {
          result.undelivered.push({ ...key, kind, reason: 'the campaign is no longer stored' });
          continue;
        }
        const undelivered = await send(campaign, group);
        if (undelivered) result.undelivered.push({ ...key, kind, reason: undelivered });
        else
          (kind === 'reminder' ? result.reminded : result.escalated).push({
            ...key,
            items: group.items.length,
          });
      } catch (error) {
        result.failures.push({ ...key, kind, error: describeError(error) });
      }
    }
  };
  await each('reminder', advanced.reminders, async (campaign, group) => {
    const target = targetOf(group.owner, deps);
    if (!target) return 'the owner has no Slack target';
    const message = reminderMessage({
      campaign,
      owner: group.owner,
      items: group.items,
      ownerSlack: deps.ownerSlack,
    });
    const [first] = await deps.messages.list(campaign.campaignId, group.owner);
    // In the thread of the review where there is one: the reminder sits with the buttons.
    if (first) await deps.messenger.post(first.channel, message, { threadTs: first.ts });
    else await deps.messenger.post(target, message);
    return undefined;
  });
  await each('escalation', advanced.escalations, async (campaign, group) => {
    if (!deps.escalationChannel) return 'no escalation channel is configured';
    const message = escalationMessage({
      campaign,
      owner: group.owner,
      items: group.items,
      ownerSlack: deps.ownerSlack,
    });
    await deps.messenger.post(deps.escalationChannel, message);
    return undefined;
  });
  return result;
}
