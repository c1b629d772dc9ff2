import type { Actor } from '../remediation/request';
import type { Approver } from '../slack/ids';

/**
 * Just-in-time elevation: the shapes every part shares. A grant is one inline policy on one
 * principal, named by the grant id, whose statements carry literal `aws:CurrentTime` bounds, so
 * IAM stops honouring it at the end of the window even when every revoker fails.
 */

/** Every grant's inline policy name starts with this; the JIT role may touch no other policy. */
export const GRANT_POLICY_PREFIX = 'iam-posture-jit-';

/** One IAM policy statement, as it appears in a policy document. */
export type PolicyStatementDocument = Record<string, unknown>;

/** An elevation profile from the deploy config, after validation. */
export interface ElevationProfile {
  name: string;
  description?: string;
  /** The privilege granted: statements given inline, or copied from `managedPolicyArn` at request time. */
  statements?: PolicyStatementDocument[];
  managedPolicyArn?: string;
  /** Principal ARNs or ARN globs (`*` within a segment, `**` across `/`) that may receive it. */
  eligible: string[];
  /** Hard cap on a grant's window, minutes. */
  maxMinutes: number;
  /** Who may approve it; nobody else can. */
  approvers: Approver[];
  /** Approvals needed; raised to at least 2 when the privilege analysis finds it admin-equivalent or escalation-capable. */
  approvals: number;
  /** Break-glass: self-approval with a mandatory reason, a shorter cap, an immediate broadcast and a finding. */
  breakGlass?: { maxMinutes: number };
}

export const ELEVATION_STATES = [
  /** Waiting for approvals. */
  'requested',
  /** Enough approvals; the grant is being written. */
  'approved',
  /** The policy is on the principal. */
  'granted',
  /** Removed before or at the end (by the revoker, the reconciler, "done" or the CLI). */
  'revoked',
  'rejected',
  /** Nobody answered before the request expired. */
  'lapsed',
  /** Could not be granted (quota, principal gone, not eligible any more); `failureReason` says why. */
  'failed',
] as const;
export type ElevationState = (typeof ELEVATION_STATES)[number];

export interface ElevationApproval {
  by: Actor;
  at: string;
  /** The grant hash the approver saw; an approval counts only for that hash. */
  grantHash: string;
}

export interface ElevationRequest {
  /** Also the grant id: `GRANT_POLICY_PREFIX + grantId` is the policy name. Lower-case hex/uuid, <= 64 chars. */
  grantId: string;
  accountId: string;
  profile: string;
  principalArn: string;
  principalKind: 'role' | 'user';
  requestedBy: Actor;
  requestedAt: string;
  reason: string;
  /** The window, fixed at request time; a late approval never extends the end. */
  startsAt: string;
  endsAt: string;
  /** The exact statements to grant (a managed policy's document copied when requested), before the time bounds are added. */
  statements: PolicyStatementDocument[];
  /** sha256 hex of the canonical grant (profile, principal, statements, window, breakGlass). */
  grantHash: string;
  breakGlass: boolean;
  requiredApprovals: number;
  approvals: ElevationApproval[];
  state: ElevationState;
  /** A request nobody answers lapses at this instant. */
  expiresAt: string;
  policyName: string;
  grantedAt?: string;
  revokedAt?: string;
  revokedBy?: Actor;
  revokeReason?: string;
  rejectedBy?: Actor;
  failureReason?: string;
  /** The one-time schedule that revokes the grant at `endsAt`. */
  scheduleName?: string;
  /** The Slack message that follows the request through its life. */
  slack?: { channel: string; ts: string };
}

/** A principal made eligible for a profile at run time (by converting a standing-admin finding). */
export interface Eligibility {
  principalArn: string;
  profile: string;
  accountId: string;
  grantedBy: Actor;
  createdAt: string;
  /** The remediation request that converted the standing privilege, when there was one. */
  sourceRequestId?: string;
  /** The last time an elevation of this principal under this profile was granted. */
  lastUsedAt?: string;
}

/** Events on the findings bus, source `iam-posture`. Details carry ids, never statements or reasons. */
export const ELEVATION_EVENTS = [
  'ElevationRequested',
  'ElevationApproved',
  'ElevationGranted',
  'ElevationRevoked',
  'ElevationRejected',
  'ElevationLapsed',
  'ElevationFailed',
  'BreakGlassUsed',
] as const;
export type ElevationEvent = (typeof ELEVATION_EVENTS)[number];
