import type { Actor } from '../core/remediation/request';
import type {
  Attestation,
  CampaignState,
  ReviewCampaign,
  ReviewDecision,
  ReviewEvent,
  ReviewHandoff,
  ReviewItem,
} from '../core/review/types';

/**
 * The small interfaces the entitlement review use cases work against. The DynamoDB adapter
 * implements the store over the findings table; tests pass moto-backed adapters or fakes.
 */

export type { Attestation } from '../core/review/types';

export interface ReviewStore {
  /**
   * Writes the campaign and its items. Conditional on the campaign being new: returns false (and
   * writes nothing more) when a campaign with the id exists, so a redelivered start is a no-op.
   */
  createCampaign(campaign: ReviewCampaign, items: readonly ReviewItem[]): Promise<boolean>;
  getCampaign(campaignId: string): Promise<ReviewCampaign | undefined>;
  /** Campaigns, newest first; only those in `state` when given. */
  listCampaigns(state?: CampaignState): Promise<ReviewCampaign[]>;
  /** The campaign's items, most risky first; only one owner's when given. */
  listItems(campaignId: string, owner?: string): Promise<ReviewItem[]>;
  getItem(campaignId: string, owner: string, itemId: string): Promise<ReviewItem | undefined>;
  /**
   * Records the answer in one conditional write (the item is not yet decided). Returns the updated
   * item, or undefined when it was decided already or is not there (reassigned meanwhile).
   */
  decide(
    campaignId: string,
    owner: string,
    itemId: string,
    decision: ReviewDecision,
  ): Promise<ReviewItem | undefined>;
  /**
   * Moves an item from one owner to another, undecided (it keeps its id, loses its reminder and
   * escalation marks, and `handoff` is appended to its handoffs). Conditional: the item is undecided,
   * or answered "not mine" without a new owner (the escalation channel resolving it). Returns the
   * moved item, or undefined when it was decided otherwise or moved already.
   */
  reassign(
    campaignId: string,
    fromOwner: string,
    itemId: string,
    toOwner: string,
    handoff: ReviewHandoff,
  ): Promise<ReviewItem | undefined>;
  /** Marks the item reminded, once: false when it was reminded or decided already. */
  markReminded(campaignId: string, owner: string, itemId: string, at: Date): Promise<boolean>;
  /** Marks the item escalated, once: false when it was escalated or decided already. */
  markEscalated(campaignId: string, owner: string, itemId: string, at: Date): Promise<boolean>;
  /** Closes an open campaign; false when it was closed already. */
  close(campaignId: string, at: Date): Promise<boolean>;
  /** Keeps `decision` as the identity's attestation (the latest keep replaces the one before). */
  putAttestation(accountId: string, identityArn: string, attestation: Attestation): Promise<void>;
  listAttestations(accountId: string): Promise<Attestation[]>;
  /** Per rhythm (a campaign's scope), when its latest campaign started; for one account's campaigns when given. */
  lastStartedByRhythm(accountId?: string): Promise<Record<string, string>>;
}

export interface ReviewEvents {
  /** Details carry ids only (campaignId, itemId, account, identity ARN), never justifications. */
  publish(type: ReviewEvent, detail: Record<string, unknown>): Promise<void>;
}

/**
 * Turns a "reduce" answer into remediation requests through the approval path: each open
 * remediable finding of the identity becomes one. `none` says why nothing could be requested.
 */
export interface ReductionRequests {
  requestReduction(item: ReviewItem, by: Actor): Promise<{ requestIds: string[] } | { none: string }>;
}
