import { byOwner, nextReminders } from '../core/review/plan';
import type { ReviewItem } from '../core/review/types';
import type { ReviewEvents, ReviewStore } from './review-ports';

/**
 * Moves open campaigns along the clock: reminds owners of unanswered items once the reminder
 * instant passes, escalates what is still unanswered at the deadline (and publishes it overdue),
 * and closes a campaign past its deadline once every item is answered or escalated. Each mark is a
 * conditional write, so two runs at once remind and escalate each item once; what it returns is
 * what this run marked, for the Slack side to message.
 */

export interface AdvanceReviewDeps {
  store: ReviewStore;
  events: ReviewEvents;
}

export interface OwnerItems {
  campaignId: string;
  owner: string;
  items: ReviewItem[];
}

export interface AdvanceReviewResult {
  reminders: OwnerItems[];
  escalations: OwnerItems[];
  /** Items that became overdue in this run (one ReviewOverdue event each). */
  overdue: number;
  closed: string[];
}

export async function advanceReviewCampaigns(
  now: Date,
  deps: AdvanceReviewDeps,
): Promise<AdvanceReviewResult> {
  const result: AdvanceReviewResult = { reminders: [], escalations: [], overdue: 0, closed: [] };
  for (const campaign of await deps.store.listCampaigns('open')) {
    const items = await deps.store.listItems(campaign.campaignId);
    const plan = nextReminders(campaign, items, now);
    const reminded: ReviewItem[] = [];
    for (const item of plan.remind) {
      if (await deps.store.markReminded(campaign.campaignId, item.owner, item.itemId, now)) {
        reminded.push({ ...item, remindedAt: now.toISOString() });
      }
    }
    const escalated: ReviewItem[] = [];
    for (const item of plan.escalate) {
      if (await deps.store.markEscalated(campaign.campaignId, item.owner, item.itemId, now)) {
        escalated.push({ ...item, escalatedAt: now.toISOString() });
        await deps.events.publish('ReviewOverdue', {
          version: 1,
          campaignId: campaign.campaignId,
          itemId: item.itemId,
          accountId: item.accountId,
          identityArn: item.identityArn,
          owner: item.owner,
          deadline: campaign.deadline,
        });
        result.overdue += 1;
      }
    }
    for (const group of byOwner(reminded))
      result.reminders.push({ campaignId: campaign.campaignId, ...group });
    for (const group of byOwner(escalated))
      result.escalations.push({ campaignId: campaign.campaignId, ...group });

    if (now.getTime() >= Date.parse(campaign.deadline)) {
      // Re-read: an answer or a handoff may have landed while this run marked.
      const settled = (await deps.store.listItems(campaign.campaignId)).every(
        (item) => item.decision !== undefined || item.escalatedAt !== undefined,
      );
      if (settled && (await deps.store.close(campaign.campaignId, now)))
        result.closed.push(campaign.campaignId);
    }
  }
  return result;
}
