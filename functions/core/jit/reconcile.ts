import { isLapsed } from './approval';
import { grantIdOfPolicyName, grantWindowOf } from './grant';
import { type ElevationRequest, type ElevationState, GRANT_POLICY_PREFIX } from './types';

/**
 * The hourly reconciler's plan: which grant policies found on principals must go, and which
 * grants have run out. A policy stays only when it belongs to a live grant of that principal and
 * carries that grant's window, still open. Anything else with the grant prefix is removed,
 * including policies nobody recorded: the prefix belongs to this feature, and an unknown grant is
 * privilege nobody approved.
 */

export type RemovalWhy = 'expired' | 'unknown-grant' | 'revoked-grant' | 'no-time-bounds';

export interface ReconcileInput {
  now: Date;
  /** Grant-prefixed inline policies found on principals (others are ignored). */
  policies: { principalArn: string; policyName: string; document: unknown }[];
  /** Every non-terminal grant, and the recently ended ones. */
  grants: ElevationRequest[];
}

export interface ReconcilePlan {
  remove: { principalArn: string; policyName: string; why: RemovalWhy }[];
  /** Ids of grants in state `granted` whose window has ended. */
  expire: string[];
  /** Ids of grants approved but never written whose window has ended: they can only fail now. */
  fail: string[];
  /** Ids of requests nobody approved before they expired. */
  lapse: string[];
}

/** States whose policy may be on the principal: being written, or written. */
const LIVE: readonly ElevationState[] = ['approved', 'granted'];

export function planReconcile(input: ReconcileInput): ReconcilePlan {
  const now = input.now.getTime();
  const grants = new Map(input.grants.map((g) => [g.grantId, g]));
  const remove: ReconcilePlan['remove'] = [];
  for (const policy of input.policies) {
    if (!policy.policyName.startsWith(GRANT_POLICY_PREFIX)) continue;
    const why = removalReason(policy, grants, now);
    if (why) remove.push({ principalArn: policy.principalArn, policyName: policy.policyName, why });
  }
  const ended = (g: ElevationRequest) => Date.parse(g.endsAt) <= now;
  return {
    remove,
    expire: input.grants.filter((g) => g.state === 'granted' && ended(g)).map((g) => g.grantId),
    fail: input.grants.filter((g) => g.state === 'approved' && ended(g)).map((g) => g.grantId),
    lapse: input.grants.filter((g) => isLapsed(g, input.now)).map((g) => g.grantId),
  };
}

function removalReason(
  policy: ReconcileInput['policies'][number],
  grants: ReadonlyMap<string, ElevationRequest>,
  now: number,
): RemovalWhy | undefined {
  const window = grantWindowOf(policy.document);
  if (!window) return 'no-time-bounds';
  const id = grantIdOfPolicyName(policy.policyName);
  const grant = id === undefined ? undefined : grants.get(id);
  if (
    !grant ||
    grant.principalArn !== policy.principalArn ||
    grant.startsAt !== window.startsAt ||
    grant.endsAt !== window.endsAt
  ) {
    return 'unknown-grant';
  }
  // A request nobody approved yet has no business holding a policy.
  if (grant.state === 'requested') return 'unknown-grant';
  if (!LIVE.includes(grant.state)) return 'revoked-grant';
  if (Date.parse(window.endsAt) <= now) return 'expired';
  return undefined;
}
