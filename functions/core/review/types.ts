import type { Actor } from '../remediation/request';
import type { Severity } from '../rule';

/**
 * Entitlement reviews: on a rhythm, each owner answers for each of their non-human identities:
 * keep (an attestation with an expiry), reduce (a remediation request through the approval path)
 * or not mine (reassign). The shapes every part shares.
 */

export const REVIEW_ANSWERS = ['keep', 'reduce', 'not-mine'] as const;
export type ReviewAnswer = (typeof REVIEW_ANSWERS)[number];

/** What an owner sees about one identity, most risky first. */
export interface ReviewItem {
  /** Stable within the campaign: a short hash of the identity ARN (alphanumeric, <= 16 chars). */
  itemId: string;
  campaignId: string;
  owner: string;
  identityArn: string;
  identityKind: 'role' | 'user' | 'secret';
  identityName: string;
  accountId: string;
  adminEquivalent: boolean;
  canEscalate: boolean;
  /** Services granted but not accessed within the window, when known. */
  unusedServices?: string[];
  lastUsedAt?: string;
  /** Ages of the identity's active credentials (keys, secret rotation), days. */
  credentialAgesDays?: number[];
  openFindings: { ruleId: string; severity: Severity; findingId: string }[];
  /** Ordering key: higher is riskier. */
  risk: number;
  decision?: ReviewDecision;
  remindedAt?: string;
  escalatedAt?: string;
  /** "Not mine" answers that handed the item on, oldest first: who passed it to whom. */
  handoffs?: ReviewHandoff[];
}

export interface ReviewHandoff {
  from: string;
  to: string;
  by: Actor;
  at: string;
  justification?: string;
}

export interface ReviewDecision {
  answer: ReviewAnswer;
  by: Actor;
  at: string;
  /** Keep: the justification (required). Reduce: optional note. Not mine: why, optional. */
  justification?: string;
  /** Keep: the attestation holds until then. */
  attestedUntil?: string;
  /** Not mine: the owner it was handed to, when named. */
  reassignedTo?: string;
  /** Reduce: the remediation request opened. */
  remediationRequestId?: string;
  /** Reduce: every remediation request opened (one per open remediable finding). */
  remediationRequestIds?: string[];
  /** Reduce: why no remediation request could be opened (no open remediable finding, ...). */
  reductionUnavailable?: string;
}

/** The latest "keep" answer for one identity: what the identity is shown with until it expires. */
export interface Attestation {
  accountId: string;
  identityArn: string;
  campaignId: string;
  itemId: string;
  decision: ReviewDecision;
}

export const CAMPAIGN_STATES = ['open', 'closed'] as const;
export type CampaignState = (typeof CAMPAIGN_STATES)[number];

export interface ReviewCampaign {
  campaignId: string;
  /** The configured rhythm it came from (`quarterly`, `admin-monthly`, ...) or `manual`. */
  scope: string;
  accountIds: string[];
  startedAt: string;
  startedBy: Actor;
  deadline: string;
  /** Before the deadline, unanswered owners are reminded at this instant. */
  remindAt: string;
  state: CampaignState;
  closedAt?: string;
  owners: string[];
  itemCount: number;
}

/** Events on the findings bus, source `iam-posture`. */
export const REVIEW_EVENTS = ['ReviewCampaignStarted', 'ReviewDecided', 'ReviewOverdue'] as const;
export type ReviewEvent = (typeof REVIEW_EVENTS)[number];
