import type { ReviewStateInput } from '../core/normalize/review';
import { campaignsDecidingStandings } from '../core/review/standing';
import type { ReviewItem } from '../core/review/types';
import type { ReviewStore } from './review-ports';

/** What the scan reads of the review store. */
export type ReviewStateSource = Pick<ReviewStore, 'listCampaigns' | 'listItems' | 'listAttestations'>;

/**
 * The account's entitlement review state for a scan: the campaigns that decide its identities'
 * standings (per rhythm, down to the newest one past its deadline) with their items, and its
 * attestations. Any failure is left to the caller (the scan records it as a failed read).
 */
export async function readReviewScanState(
  source: ReviewStateSource,
  accountId: string,
  now: Date,
): Promise<ReviewStateInput> {
  const campaigns = campaignsDecidingStandings(await source.listCampaigns(), accountId, now);
  const items: ReviewItem[] = [];
  for (const campaign of campaigns) items.push(...(await source.listItems(campaign.campaignId)));
  const attestations = await source.listAttestations(accountId);
  return { read: true, campaigns, items, attestations };
}
