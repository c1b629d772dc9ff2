import type {
  ElevationApproval,
  ElevationEvent,
  ElevationProfile,
  ElevationRequest,
  ElevationState,
  Eligibility,
} from '../core/jit/types';

/**
 * The small interfaces the just-in-time elevation use cases work against. Adapters implement them
 * over DynamoDB (the findings table), IAM, EventBridge Scheduler and the findings bus; tests pass
 * moto-backed adapters or fakes.
 */

export interface JitStore {
  get(grantId: string): Promise<ElevationRequest | undefined>;
  /** Stores a new request; fails if the grant id exists. */
  create(request: ElevationRequest): Promise<void>;
  /** One conditional write from `from`; returns the updated request, or undefined when it was not in `from`. */
  transition(
    grantId: string,
    from: ElevationState,
    to: ElevationState,
    changes: Partial<ElevationRequest>,
  ): Promise<ElevationRequest | undefined>;
  /**
   * Adds an approval while still 'requested', the hash matches and `expectedCount` approvals are
   * recorded (conditional); returns the updated request or undefined.
   */
  addApproval(
    grantId: string,
    approval: ElevationApproval,
    expectedCount: number,
  ): Promise<ElevationRequest | undefined>;
  setSlackMessage(grantId: string, slack: { channel: string; ts: string }): Promise<void>;
  listByState(state: ElevationState): Promise<ElevationRequest[]>;
  putEligibility(e: Eligibility): Promise<void>;
  deleteEligibility(accountId: string, principalArn: string, profile: string): Promise<void>;
  listEligibility(accountId: string): Promise<Eligibility[]>;
  markEligibilityUsed(accountId: string, principalArn: string, profile: string, at: string): Promise<void>;
}

/** Inline policies of the principals of one account (IAM). */
export interface GrantPolicies {
  put(principalArn: string, policyName: string, document: object): Promise<void>;
  /** The inline policy's document, or undefined when the principal has no such policy. */
  get(principalArn: string, policyName: string): Promise<object | undefined>;
  delete(principalArn: string, policyName: string): Promise<'deleted' | 'absent'>;
  listInline(principalArn: string): Promise<{ name: string; document: object }[]>;
  /** The managed policy's default version, decoded. */
  managedPolicyDocument(policyArn: string): Promise<object>;
  principalExists(principalArn: string): Promise<boolean>;
}

/** The one-time schedule that revokes a grant at the end of its window. */
export interface RevokeScheduler {
  /** Returns the schedule name; scheduling a grant again is idempotent. */
  scheduleRevoke(grantId: string, at: Date): Promise<string>;
  /** Deletes the schedule; an absent one is fine. */
  cancel(scheduleName: string): Promise<void>;
}

export interface JitEvents {
  publish(type: ElevationEvent, detail: Record<string, unknown>): Promise<void>;
}

/** The elevation profiles of the deploy config, by name. */
export type JitProfiles = readonly ElevationProfile[];

/** What the JIT function's use cases (grant, revoke, reconcile) work against. */
export interface JitFunctionDeps {
  store: JitStore;
  policies: GrantPolicies;
  scheduler: RevokeScheduler;
  events: JitEvents;
  profiles: JitProfiles;
  now(): Date;
}
