import type { AttestationSnapshot, CoverageGap, Inventory, ReviewStandingSnapshot } from '../model';
import { REVIEW_STATE_SOURCE } from '../raw';
import { campaignsDecidingStandings, reviewStandings } from '../review/standing';
import type { Attestation, ReviewCampaign, ReviewItem } from '../review/types';
import { storedDate as dateOf, inventoryAccountArn } from './own-state';

/**
 * The entitlement review state of an account as the scan reads it from the findings table: the
 * campaigns that decide its standings (`campaignsDecidingStandings`), their items, and the
 * identities' attestations. `read: false` is a read that failed, with why.
 */
export type ReviewStateInput =
  | {
      read: true;
      campaigns: ReviewCampaign[];
      items: ReviewItem[];
      attestations: Attestation[];
    }
  | { read: false; reason: string };

/**
 * Adds the review state to an inventory: a standing per identity and rhythm for `review-overdue`,
 * the attestations in force at `now`, and a coverage gap when the read failed or a stored date
 * cannot be read (then the rule's stored findings are held, never resolved). Without `input` (an
 * offline scan, or reviews not enabled) the inventory is left as it is.
 */
export function withReviewState(
  inventory: Inventory,
  input: ReviewStateInput | undefined,
  now: Date,
): Inventory {
  if (!input) return inventory;
  const accountArn = inventoryAccountArn(inventory);
  const gap = (reason: string, category: CoverageGap['category'], detail?: string): CoverageGap => ({
    kind: 'coverage-gap',
    arn: accountArn,
    accountId: inventory.accountId,
    source: REVIEW_STATE_SOURCE,
    reason,
    category,
    ...(detail !== undefined ? { detail } : {}),
  });
  if (!input.read) {
    return {
      ...inventory,
      reviews: { read: false, reason: input.reason },
      coverageGaps: [
        ...inventory.coverageGaps,
        gap(
          `The entitlement review campaigns and attestations could not be read: ${input.reason}`,
          'ReadFailed',
        ),
      ],
    };
  }

  const gaps: CoverageGap[] = [];
  // A campaign with an unreadable date may decide any identity's standing: its gap holds them all.
  for (const campaign of campaignsDecidingStandings(input.campaigns, inventory.accountId, now)) {
    for (const field of ['startedAt', 'deadline'] as const) {
      if (dateOf(campaign[field])) continue;
      gaps.push(
        gap(
          `Review campaign ${campaign.campaignId} has an unreadable ${field} (${JSON.stringify(campaign[field])}).`,
          'Malformed',
          `campaign ${campaign.campaignId}.${field}`,
        ),
      );
    }
  }

  const standings: ReviewStandingSnapshot[] = [];
  for (const standing of reviewStandings(input.campaigns, input.items, inventory.accountId, now)) {
    const startedAt = dateOf(standing.startedAt);
    const deadline = dateOf(standing.deadline);
    const answeredAt = standing.decision ? dateOf(standing.decision.at) : undefined;
    const escalatedAt = standing.escalatedAt === undefined ? undefined : dateOf(standing.escalatedAt);
    if (!startedAt || !deadline) continue;
    if ((standing.decision && !answeredAt) || (standing.escalatedAt !== undefined && !escalatedAt)) {
      const field = standing.decision && !answeredAt ? 'decision.at' : 'escalatedAt';
      gaps.push(
        gap(
          `The review of ${standing.identityArn} in campaign ${standing.campaignId} has an unreadable ${field}.`,
          'Malformed',
          `campaign ${standing.campaignId} ${standing.identityArn}.${field}`,
        ),
      );
      continue;
    }
    standings.push({
      kind: 'review-standing',
      arn: standing.identityArn,
      accountId: standing.accountId,
      rhythm: standing.rhythm,
      campaignId: standing.campaignId,
      owner: standing.owner,
      startedAt,
      deadline,
      ...(answeredAt ? { answeredAt, answer: standing.decision!.answer } : {}),
      ...(standing.disowned ? { disowned: true } : {}),
      ...(escalatedAt ? { escalatedAt } : {}),
    });
  }

  const attestations: AttestationSnapshot[] = [];
  for (const attestation of input.attestations) {
    if (attestation.accountId !== inventory.accountId) continue;
    const { decision } = attestation;
    const at = dateOf(decision.at);
    const until = dateOf(decision.attestedUntil);
    // An attestation shows with the identity and suppresses nothing: an unreadable one is not shown.
    if (!at || !until || until.getTime() <= now.getTime()) continue;
    attestations.push({
      arn: attestation.identityArn,
      campaignId: attestation.campaignId,
      by: decision.by,
      at,
      until,
      ...(decision.justification !== undefined ? { justification: decision.justification } : {}),
    });
  }

  return {
    ...inventory,
    reviews: { read: true, standings, attestations },
    coverageGaps: [...inventory.coverageGaps, ...gaps],
  };
}
