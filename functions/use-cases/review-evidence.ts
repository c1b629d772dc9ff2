import { type EvidenceRow, evidenceRows } from '../core/review/evidence';
import type { ReviewCampaign, ReviewItem } from '../core/review/types';
import type { ReviewStore } from './review-ports';

/** A campaign, its items and one evidence row per identity, for export (CSV or JSON). */

export class ReviewCampaignNotFoundError extends Error {
  override readonly name = 'ReviewCampaignNotFoundError';
  constructor(readonly campaignId: string) {
    super(`no review campaign ${campaignId}`);
  }
}

export interface ReviewEvidence {
  campaign: ReviewCampaign;
  items: ReviewItem[];
  rows: EvidenceRow[];
}

export async function reviewEvidence(
  campaignId: string,
  deps: { store: ReviewStore },
): Promise<ReviewEvidence> {
  const campaign = await deps.store.getCampaign(campaignId);
  if (!campaign) throw new ReviewCampaignNotFoundError(campaignId);
  const items = await deps.store.listItems(campaignId);
  return { campaign, items, rows: evidenceRows(campaign, items) };
}
