import { describeError } from '../core/describe-error';
import { grantIdOfPolicyName } from '../core/jit/grant';
import { planReconcile, type RemovalWhy } from '../core/jit/reconcile';
import { type ElevationRequest, type ElevationState, GRANT_POLICY_PREFIX } from '../core/jit/types';
import { elevationDetail, publishElevationEvent, SYSTEM_ACTOR } from './elevation-events';
import type { GrantPolicies, JitFunctionDeps } from './jit-ports';
import { revokeElevation } from './revoke-elevation';

export interface ReconcileGrantsDeps extends JitFunctionDeps {
  /** Principal ARNs to inspect beyond those of live grants: the eligible ones. */
  principals(): Promise<string[]>;
}

export interface ReconcileGrantsResult {
  removed: { principalArn: string; policyName: string; why: RemovalWhy }[];
  /** Grant policies that should go and could not be removed: privilege that outlived its grant. */
  failed: { principalArn: string; policyName: string; error: string }[];
  /** Grants whose window had ended, now revoked. */
  expired: string[];
  /** Grants approved but never written before their window ended, now failed. */
  abandoned: string[];
  /** Requests nobody approved in time, now lapsed. */
  lapsed: string[];
  /** Principals whose inline policies could not be listed: not inspected, so not known to be clean. */
  unread: { principalArn: string; error: string }[];
  warnings: string[];
}

/** States whose policy may be on a principal. */
const LIVE: readonly ElevationState[] = ['requested', 'approved', 'granted'];

/**
 * The hourly sweep behind the revoke schedules: lists the grant-prefixed inline policies of every
 * eligible principal and every principal with a live grant, removes each one the plan says must go
 * (expired, revoked, unknown, or without time bounds), revokes grants whose window has ended, fails
 * approved grants never written before theirs ended, and lapses requests nobody approved in time.
 * A policy it cannot remove is published as ElevationFailed with its name and returned, so the
 * scan reports it as a finding.
 */
export async function reconcileGrants(deps: ReconcileGrantsDeps): Promise<ReconcileGrantsResult> {
  const now = deps.now();
  const result: ReconcileGrantsResult = {
    removed: [],
    failed: [],
    expired: [],
    abandoned: [],
    lapsed: [],
    unread: [],
    warnings: [],
  };

  const grants: ElevationRequest[] = [];
  for (const state of LIVE) grants.push(...(await deps.store.listByState(state)));
  const principals = [
    ...new Set([...(await deps.principals()), ...grants.map((g) => g.principalArn)]),
  ].sort();

  const policies: { principalArn: string; policyName: string; document: unknown }[] = [];
  for (const principalArn of principals) {
    try {
      for (const policy of await deps.policies.listInline(principalArn)) {
        if (policy.name.startsWith(GRANT_POLICY_PREFIX)) {
          policies.push({ principalArn, policyName: policy.name, document: policy.document });
        }
      }
    } catch (error) {
      // A principal that no longer exists holds no policy; any other failure leaves it unchecked.
      if (!(await principalGone(principalArn, deps.policies))) {
        result.unread.push({ principalArn, error: describeError(error) });
      }
    }
  }

  // Grants of policies found that are not live: read, so the plan can say why they go.
  const known = new Set(grants.map((g) => g.grantId));
  for (const policy of policies) {
    const id = grantIdOfPolicyName(policy.policyName);
    if (id === undefined || known.has(id)) continue;
    known.add(id);
    try {
      const grant = await deps.store.get(id);
      if (grant) grants.push(grant);
    } catch (error) {
      // Unread, the grant counts as unknown: its policy is removed, which fails closed.
      result.warnings.push(`reading grant ${id} failed: ${describeError(error)}`);
    }
  }

  const plan = planReconcile({ now, policies, grants });
  for (const removal of plan.remove) {
    try {
      await deps.policies.delete(removal.principalArn, removal.policyName);
      if ((await deps.policies.get(removal.principalArn, removal.policyName)) !== undefined) {
        throw new LingeringGrantPolicyError(removal.principalArn, removal.policyName);
      }
      result.removed.push(removal);
    } catch (error) {
      const failure = {
        principalArn: removal.principalArn,
        policyName: removal.policyName,
        error: describeError(error),
      };
      result.failed.push(failure);
      const grantId = grantIdOfPolicyName(removal.policyName);
      await publishElevationEvent(deps.events, result.warnings, 'ElevationFailed', {
        ...(grantId ? { grantId } : {}),
        principalArn: removal.principalArn,
        policyName: removal.policyName,
        stage: 'reconcile',
        why: removal.why,
      });
    }
  }

  const failedPolicies = new Set(result.failed.map((f) => `${f.principalArn}\n${f.policyName}`));
  for (const grantId of plan.expire) {
    const revoked = await revokeElevation(
      { grantId, by: SYSTEM_ACTOR, reason: 'reconciler' },
      { ...deps, now: () => now },
    ).catch((error: unknown) => ({ outcome: 'error' as const, reason: describeError(error) }));
    if (revoked.outcome === 'revoked') {
      result.expired.push(grantId);
      result.warnings.push(...revoked.warnings);
    } else if (revoked.outcome === 'failed' || revoked.outcome === 'error') {
      const grant = grants.find((g) => g.grantId === grantId)!;
      if (!failedPolicies.has(`${grant.principalArn}\n${grant.policyName}`)) {
        result.failed.push({
          principalArn: grant.principalArn,
          policyName: grant.policyName,
          error: revoked.reason,
        });
        await publishElevationEvent(deps.events, result.warnings, 'ElevationFailed', {
          grantId,
          principalArn: grant.principalArn,
          policyName: grant.policyName,
          stage: 'reconcile',
          why: 'expired',
        });
      }
    }
  }
  for (const grantId of plan.fail) {
    const failed = await deps.store.transition(grantId, 'approved', 'failed', {
      failureReason: 'the window ended before the grant was written',
    });
    if (!failed) continue;
    result.abandoned.push(grantId);
    await publishElevationEvent(
      deps.events,
      result.warnings,
      'ElevationFailed',
      elevationDetail(failed, { policyName: failed.policyName, stage: 'reconcile', why: 'window-ended' }),
    );
  }
  for (const grantId of plan.lapse) {
    const lapsed = await deps.store.transition(grantId, 'requested', 'lapsed', {});
    if (!lapsed) continue;
    result.lapsed.push(grantId);
    await publishElevationEvent(deps.events, result.warnings, 'ElevationLapsed', elevationDetail(lapsed));
  }
  return result;
}

/** A grant policy still on its principal after it was deleted. */
export class LingeringGrantPolicyError extends Error {
  override readonly name = 'LingeringGrantPolicyError';
  constructor(
    readonly principalArn: string,
    readonly policyName: string,
  ) {
    super(`${policyName} is still on ${principalArn} after it was deleted`);
  }
}

async function principalGone(principalArn: string, policies: GrantPolicies): Promise<boolean> {
  try {
    return !(await policies.principalExists(principalArn));
  } catch {
    return false;
  }
}
