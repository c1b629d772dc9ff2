import { describeError } from '../core/describe-error';
import { canRevoke } from '../core/jit/approval';
import type { ElevationRequest, ElevationState } from '../core/jit/types';
import type { Actor } from '../core/remediation/request';
import { actorDetail, elevationDetail, profileNamed, publishElevationEvent } from './elevation-events';
import type { GrantPolicies, JitFunctionDeps } from './jit-ports';

export type RevokeReason = 'expired' | 'done' | 'cli' | 'reconciler';

export interface RevokeElevationInput {
  grantId: string;
  by: Actor;
  reason: RevokeReason;
}

export type RevokeElevationDeps = JitFunctionDeps;

export type RevokeElevationResult =
  | { outcome: 'revoked'; request: ElevationRequest; warnings: string[] }
  /** Revoked before: nothing was done. */
  | { outcome: 'already-revoked'; request: ElevationRequest }
  /** Ended without a grant (rejected, lapsed, failed): there is nothing to revoke. */
  | { outcome: 'not-granted'; request: ElevationRequest }
  | { outcome: 'unknown'; grantId: string }
  | { outcome: 'refused'; request: ElevationRequest; message: string }
  /**
   * The policy could not be removed, or is still there after removal; the request stays granted.
   * A scheduled revoke should fail its invocation on this, so Scheduler retries it.
   */
  | { outcome: 'failed'; request: ElevationRequest; reason: string; warnings: string[] };

/** The states a revoke ends: the policy is, or may about to be, on the principal. */
const REVOCABLE: readonly ElevationState[] = ['requested', 'approved', 'granted'];

/** A revoke that keeps losing the race to other writers gives up after this many rounds. */
const MAX_ATTEMPTS = 3;

/**
 * Ends a grant: deletes its policy (already gone is fine), reads it back to be sure it is gone,
 * cancels its schedule, and marks it revoked. A request still waiting or approved is withdrawn the
 * same way, in case a grant is being written at that moment. Revoking what is revoked does
 * nothing. Only the requester, an approver of the profile, the CLI and the system may revoke.
 */
export async function revokeElevation(
  input: RevokeElevationInput,
  deps: RevokeElevationDeps,
  attempt = 1,
): Promise<RevokeElevationResult> {
  const request = await deps.store.get(input.grantId);
  if (!request) return { outcome: 'unknown', grantId: input.grantId };
  if (request.state === 'revoked') return { outcome: 'already-revoked', request };
  if (!REVOCABLE.includes(request.state)) return { outcome: 'not-granted', request };

  const profile = profileNamed(deps.profiles, request.profile);
  const allowed =
    input.by.kind === 'system' ||
    input.by.kind === 'cli' ||
    (profile !== undefined && canRevoke(request, input.by, profile));
  if (!allowed) {
    return {
      outcome: 'refused',
      request,
      message: 'Only the requester or an approver of the profile can end this elevation.',
    };
  }

  const warnings: string[] = [];
  try {
    await deps.policies.delete(request.principalArn, request.policyName);
    if ((await deps.policies.get(request.principalArn, request.policyName)) !== undefined) {
      return {
        outcome: 'failed',
        request,
        reason: `${request.policyName} is still on ${request.principalArn} after it was deleted`,
        warnings,
      };
    }
  } catch (error) {
    // A principal deleted since the grant took its inline policies with it.
    const gone = await principalGone(request.principalArn, deps.policies);
    if (!gone) {
      return {
        outcome: 'failed',
        request,
        reason: `removing ${request.policyName} from ${request.principalArn} failed: ${describeError(error)}`,
        warnings,
      };
    }
  }
  if (request.scheduleName) {
    try {
      await deps.scheduler.cancel(request.scheduleName);
    } catch (error) {
      // A schedule left behind fires a revoke of a revoked grant, which does nothing.
      warnings.push(`deleting schedule ${request.scheduleName} failed: ${describeError(error)}`);
    }
  }

  const revoked = await deps.store.transition(request.grantId, request.state, 'revoked', {
    revokedAt: deps.now().toISOString(),
    revokedBy: input.by,
    revokeReason: input.reason,
  });
  if (!revoked) {
    // The state moved while revoking (a grant finished writing, another revoke won): look again.
    const current = await deps.store.get(request.grantId);
    if (current?.state === 'revoked') return { outcome: 'already-revoked', request: current };
    if (current && REVOCABLE.includes(current.state)) {
      if (attempt < MAX_ATTEMPTS) return revokeElevation(input, deps, attempt + 1);
      return {
        outcome: 'failed',
        request: current,
        reason: 'the request kept changing while it was revoked',
        warnings,
      };
    }
    return current
      ? { outcome: 'not-granted', request: current }
      : { outcome: 'unknown', grantId: input.grantId };
  }
  await publishElevationEvent(
    deps.events,
    warnings,
    'ElevationRevoked',
    elevationDetail(revoked, {
      revokedBy: actorDetail(input.by),
      reason: input.reason,
      policyName: revoked.policyName,
    }),
  );
  return { outcome: 'revoked', request: revoked, warnings };
}

async function principalGone(principalArn: string, policies: GrantPolicies): Promise<boolean> {
  try {
    return !(await policies.principalExists(principalArn));
  } catch {
    return false;
  }
}
