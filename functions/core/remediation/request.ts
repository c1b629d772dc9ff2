import type { Actor } from '../actor';
import type { Finding } from '../finding';
import type { RemediationActionId } from '../rule';
import type { RemediationPlan, RemediationStep } from './plan';

/**
 * A remediation request: one finding, one plan, one approval, at most one execution. Every state
 * change is a conditional write from an expected state, so a double click or a duplicate event acts
 * once.
 */
export const REQUEST_STATES = [
  'pending',
  'approved',
  'rejected',
  'expired',
  'executing',
  'executed',
  'failed',
  'refused',
  'rollback-requested',
  'rolled-back',
  'attention',
] as const;
export type RequestState = (typeof REQUEST_STATES)[number];

/** The transitions the lifecycle allows, from -> to. */
export const REQUEST_TRANSITIONS: Readonly<Record<RequestState, readonly RequestState[]>> = {
  pending: ['approved', 'rejected', 'expired'],
  approved: ['executing', 'expired'],
  // `attention`: the function stopped while executing (killed, timed out) and recorded no outcome;
  // the sweeper marks it so, and an operator rolls back whatever steps may have been applied.
  executing: ['executed', 'failed', 'refused', 'attention'],
  // `rollback-requested` is recorded by an authorized Undo click; the remediation function only
  // rolls back requests in that state, so an event alone cannot undo a remediation.
  executed: ['rolled-back', 'rollback-requested'],
  'rollback-requested': ['rolled-back'],
  rejected: [],
  expired: [],
  // A failure whose in-line rollback was incomplete can still be rolled back (CLI).
  failed: ['rolled-back'],
  refused: [],
  'rolled-back': [],
  attention: ['rolled-back'],
};

export function canTransition(from: RequestState, to: RequestState): boolean {
  return REQUEST_TRANSITIONS[from].includes(to);
}

/**
 * The states in which a request holds its finding's lock: a finding has at most one request in
 * them. A finding reopened by a later scan gets no second request while one of these is waiting
 * for a decision, acting, or left half-done for a person to roll back; once the request ends (decided against, expired, executed, refused,
 * failed, rolled back) the lock is released with that same write.
 */
export const LOCK_HOLDING_STATES: readonly RequestState[] = ['pending', 'approved', 'executing', 'attention'];

export function holdsFindingLock(state: RequestState): boolean {
  return LOCK_HOLDING_STATES.includes(state);
}

/** A request was to be created for a finding that already has a request holding its lock. */
export class ActiveRequestExistsError extends Error {
  override readonly name = 'ActiveRequestExistsError';
  constructor(
    readonly findingId: string,
    readonly activeRequestId: string,
    readonly activeState: RequestState | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      `finding ${findingId} already has remediation request ${activeRequestId}${activeState ? ` (${activeState})` : ''}; a second one is opened only once it ends`,
      options,
    );
  }
}

export type { Actor } from '../actor';

/** The state of one step's target before the step ran: exactly what rollback restores. */
export type BeforeState =
  | { action: 'deactivate-access-key'; userName: string; accessKeyId: string; status: 'Active' | 'Inactive' }
  | {
      action: 'detach-managed-policy';
      principalType: string;
      principalName: string;
      policyArn: string;
      attached: boolean;
    }
  | {
      action: 'delete-inline-policy';
      principalType: string;
      principalName: string;
      policyName: string;
      /** The policy document exactly as IAM returned it (decoded JSON text). */
      policyDocument: string;
    }
  | {
      action: 'quarantine-role';
      roleName: string;
      policyName: string;
      /**
       * The managed quarantine policy attached, and whether the role carried it already (then
       * rollback leaves it). Absent in requests that put the quarantine inline: rollback deletes that
       * inline policy, or puts `existingDocument` back when the role had a policy of that name.
       */
      policyArn?: string;
      attached?: boolean;
      existingDocument?: string;
    }
  | {
      action: 'make-eligible';
      principalArn: string;
      accountId: string;
      profile: string;
      /** The eligibility recorded before the step (rollback puts it back); absent: there was none. */
      existing?: { grantedBy: Actor; createdAt: string; sourceRequestId?: string; lastUsedAt?: string };
    }
  | {
      action: 'rotate-secret';
      secretId: string;
      region: string;
      /** The versions carrying the AWSCURRENT, AWSPREVIOUS and AWSPENDING labels (absent: none). */
      currentVersionId?: string;
      previousVersionId?: string;
      pendingVersionId?: string;
    };

export interface StepRecord {
  step: RemediationStep;
  before?: BeforeState;
  /**
   * `applying` is stored before the step runs: a record left `applying` (the function stopped
   * mid-step) may have changed AWS, so rollback treats it as touched.
   */
  status: 'pending' | 'applying' | 'done' | 'failed' | 'rolled-back';
  error?: string;
}

export interface RemediationRequest {
  requestId: string;
  findingId: string;
  accountId: string;
  /** The account's name when an organization run recorded one, for the messages. */
  accountName?: string;
  ruleId: string;
  resourceArn: string;
  subResource?: string;
  actions: RemediationActionId[];
  state: RequestState;
  /** Incremented on every write; conditional writes compare it. */
  version: number;
  createdAt: string;
  expiresAt: string;
  requestedBy: Actor;
  approvedBy?: Actor;
  approvedAt?: string;
  rejectedBy?: Actor;
  decidedAt?: string;
  executedAt?: string;
  /** When the execution that moved the request to `executing` started. */
  executionStartedAt?: string;
  /** When the sweeper found the execution stopped without an outcome. */
  attentionAt?: string;
  rollbackRequestedBy?: Actor;
  rollbackRequestedAt?: string;
  rolledBackAt?: string;
  rolledBackBy?: Actor;
  /** The plan as approved (what the person saw). */
  plan: Extract<RemediationPlan, { outcome: 'plan' }>;
  /** Steps as executed, with their before-state. */
  steps?: StepRecord[];
  /** Refusal or failure reason, one sentence. */
  outcomeReason?: string;
  /** The Slack message to update: channel and message ts. */
  slack?: { channel: string; ts: string };
  /** A few short evidence values shown with the request (e.g. `idleDays: 120`), for the message. */
  highlights?: Record<string, string>;
  /** A snapshot of the finding as approved, for the message and the audit trail. */
  finding: Pick<
    Finding,
    'id' | 'ruleId' | 'severity' | 'resourceArn' | 'subResource' | 'reason' | 'title' | 'owner'
  >;
}

/** True when the request can no longer be approved because its time ran out. */
export function isExpired(request: Pick<RemediationRequest, 'state' | 'expiresAt'>, now: Date): boolean {
  if (request.state !== 'pending' && request.state !== 'approved') return false;
  const expiresAt = new Date(request.expiresAt).getTime();
  // An unreadable expiry fails closed: the request counts as expired.
  return Number.isNaN(expiresAt) || expiresAt <= now.getTime();
}

/** How long past the function's timeout an execution may still be recording its outcome. */
export const EXECUTION_GRACE_MS = 60_000;

/**
 * True when a request has been `executing` for longer than the remediation function can run (its
 * timeout plus a grace for the last writes): whatever ran it has stopped without recording an
 * outcome. The start is the recorded execution start, else the approval (requests written before
 * the start was recorded); an unreadable start fails closed (stuck).
 */
export function isStuckExecuting(
  request: Pick<
    RemediationRequest,
    'state' | 'executionStartedAt' | 'approvedAt' | 'decidedAt' | 'createdAt'
  >,
  now: Date,
  functionTimeoutMs: number,
): boolean {
  if (request.state !== 'executing') return false;
  const started = new Date(
    request.executionStartedAt ?? request.approvedAt ?? request.decidedAt ?? request.createdAt,
  ).getTime();
  return Number.isNaN(started) || started + functionTimeoutMs + EXECUTION_GRACE_MS <= now.getTime();
}
