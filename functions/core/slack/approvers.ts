import type { Approver } from '../deploy-config';
import type { Actor } from '../remediation/request';

/**
 * Who may decide on a remediation request from Slack: the people on the allowlist, keyed by Slack
 * team (workspace) id and user id together. An empty allowlist approves nobody, and the person who
 * asked for a remediation cannot approve it themselves.
 */

export interface SlackUser {
  teamId: string;
  userId: string;
}

export type ApproverVerdict =
  | { allowed: true }
  | { allowed: false; reason: 'not-an-approver' | 'requester'; message: string };

/** True when the user is on the allowlist (team and user id both match). */
export function isApprover(user: SlackUser, allowlist: readonly Approver[]): boolean {
  return allowlist.some((a) => a.teamId === user.teamId && a.userId === user.userId);
}

/** True when `actor` is this Slack user. */
export function isSameSlackUser(user: SlackUser, actor: Actor): boolean {
  return actor.kind === 'slack' && actor.id === user.userId && (actor.teamId ?? user.teamId) === user.teamId;
}

/**
 * Decides whether `user` may approve, reject or undo a request made by `requestedBy` (when the
 * request is known; the allowlist can be checked before it is looked up).
 */
export function authorizeApprover(
  user: SlackUser,
  allowlist: readonly Approver[],
  requestedBy?: Actor,
): ApproverVerdict {
  if (!isApprover(user, allowlist)) {
    return {
      allowed: false,
      reason: 'not-an-approver',
      message: 'You are not on the list of iam-posture approvers, so this request was left as it is.',
    };
  }
  if (requestedBy && isSameSlackUser(user, requestedBy)) {
    return {
      allowed: false,
      reason: 'requester',
      message: 'You asked for this remediation, so someone else must decide on it.',
    };
  }
  return { allowed: true };
}

/** The actor recorded for a decision taken in Slack. */
export function slackActor(user: SlackUser): Actor {
  return { kind: 'slack', id: user.userId, teamId: user.teamId };
}
