import type { Finding } from '../core/finding';
import type { UserSnapshot } from '../core/model';
import type { FreshState, RemediationStep } from '../core/remediation/plan';
import type { BeforeState, RemediationRequest, RequestState } from '../core/remediation/request';

/**
 * The small interfaces the remediation use cases work against. Adapters implement them over
 * DynamoDB, IAM, Secrets Manager, EventBridge and Slack; tests pass fakes or moto-backed adapters.
 */

export interface RemediationRequestStore {
  /** Creates a request; fails if the id exists. */
  create(request: RemediationRequest): Promise<void>;
  get(requestId: string): Promise<RemediationRequest | undefined>;
  /**
   * Moves a request from `from` to `to` in one conditional write, applying `changes`. Returns the
   * updated request, or undefined when the request was not in state `from` (someone else won).
   */
  transition(
    requestId: string,
    from: RequestState,
    to: RequestState,
    changes: Partial<RemediationRequest>,
  ): Promise<RemediationRequest | undefined>;
  /** Records where the request's Slack message is, whatever the state (the message may be posted late). */
  setSlackMessage(requestId: string, slack: { channel: string; ts: string }): Promise<void>;
  /**
   * Records `slack` as the request's message only when none is recorded (a click on a message whose
   * id was never stored), in one conditional write. Returns the message recorded afterwards: `slack`,
   * or the one another writer stored first.
   */
  adoptSlackMessage(
    requestId: string,
    slack: { channel: string; ts: string },
  ): Promise<{ channel: string; ts: string } | undefined>;
  /** Saves progress (step records) while executing, conditional on the state staying `executing`. */
  saveSteps(requestId: string, steps: RemediationRequest['steps']): Promise<void>;
  listByState(state: RequestState, limit?: number): Promise<RemediationRequest[]>;
}

export interface FindingLookup {
  getFinding(findingId: string): Promise<Finding | undefined>;
  /** Marks a finding remediated after a verified change (and back to open after a rollback). */
  markRemediated(findingId: string, requestId: string, at: Date): Promise<void>;
  markReopened(findingId: string, requestId: string, at: Date): Promise<void>;
}

/** Re-reads live state for one finding's resource (role, user, access key, secret). */
export interface LiveStateReader {
  read(finding: Finding): Promise<FreshState & { owner?: UserSnapshot }>;
}

/** Executes steps against AWS; each method is one step, idempotent where AWS allows it. */
export interface RemediationExecutor {
  /** Reads the target's current state: what rollback would restore. */
  captureBefore(step: RemediationStep): Promise<BeforeState>;
  apply(step: RemediationStep): Promise<void>;
  /**
   * Re-reads and confirms the step took effect; returns a reason when it did not. `before` is what
   * `captureBefore` recorded (a rotation is verified against the version it replaced).
   */
  verify(step: RemediationStep, before: BeforeState): Promise<string | undefined>;
  /** Restores one before-state exactly. */
  restore(before: BeforeState): Promise<void>;
  /** Re-reads and confirms the before-state is back; returns a reason when it is not. */
  verifyRestored(before: BeforeState): Promise<string | undefined>;
}

export interface RemediationEvents {
  publish(
    detailType:
      | 'RemediationApproved'
      | 'RemediationExecuted'
      | 'RemediationRolledBack'
      | 'RemediationRequested'
      | 'RollbackRequested',
    detail: Record<string, unknown>,
  ): Promise<void>;
}

/**
 * Where a request acts: the reader and executor for the finding's account, or why remediation
 * cannot act there (another account without a member remediation role, a role that cannot be
 * assumed). A refusal is recorded on the request, never thrown.
 */
export type AccountAccess =
  | {
      outcome: 'ready';
      reader: LiveStateReader;
      executor: RemediationExecutor;
      /** iam-posture's own roles in that account, protected as the function's own roles are. */
      ownArns: readonly string[];
      /** Closes the account's clients once the request is done. */
      close(): void;
    }
  | { outcome: 'refused'; reason: string };

export interface RemediationAccounts {
  /** The access for `accountId`; `requestId` names the session, so CloudTrail names the request. */
  access(accountId: string, requestId: string): Promise<AccountAccess>;
}

/** Posts and updates the approval message in Slack. */
export interface ApprovalNotifier {
  postRequest(request: RemediationRequest): Promise<{ channel: string; ts: string }>;
  updateRequest(request: RemediationRequest): Promise<void>;
  /** An ephemeral message only the given user sees (refusals). */
  tellUser(channel: string, userId: string, text: string): Promise<void>;
}
