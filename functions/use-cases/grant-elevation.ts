import { describeError } from '../core/describe-error';
import { canonicalJson, checkInlineQuota, timeBoundedDocument } from '../core/jit/grant';
import { isEligible } from '../core/jit/request';
import type { ElevationRequest } from '../core/jit/types';
import { elevationDetail, profileNamed, publishElevationEvent } from './elevation-events';
import type { JitFunctionDeps } from './jit-ports';

export type GrantElevationDeps = JitFunctionDeps;

export type GrantElevationResult =
  | { outcome: 'granted'; request: ElevationRequest; warnings: string[] }
  /** Nothing to do: already granted (a repeated event), or no longer approved (revoked meanwhile). */
  | { outcome: 'skipped'; reason: string; request?: ElevationRequest }
  | { outcome: 'failed'; reason: string; request?: ElevationRequest; warnings: string[] };

/** A grant that may not or could not be written; the message is recorded as the failure reason. */
class GrantRefusedError extends Error {
  override readonly name = 'GrantRefusedError';
}

/**
 * Writes an approved grant: the time-bounded policy on the principal, read back and compared, then
 * the revoke scheduled at the end of the window, then the request marked granted. Everything
 * approved is checked again first (the profile, eligibility, the window, the principal, the
 * quota), since time has passed since the request. Any failure marks the request failed with the
 * reason and takes off a policy already put. Safe to run twice for one grant: EventBridge
 * delivers at least once, and every step is idempotent.
 */
export async function grantElevation(
  grantId: string,
  deps: GrantElevationDeps,
): Promise<GrantElevationResult> {
  const request = await deps.store.get(grantId);
  if (!request) return { outcome: 'skipped', reason: `there is no elevation request ${grantId}` };
  if (request.state === 'granted') return { outcome: 'skipped', reason: 'already granted', request };
  if (request.state !== 'approved') {
    return { outcome: 'skipped', reason: `the request is ${request.state}, not approved`, request };
  }

  let put = false;
  let scheduleName: string | undefined;
  let usedEligibility = false;
  try {
    const profile = profileNamed(deps.profiles, request.profile);
    if (!profile) throw new GrantRefusedError(`the profile ${request.profile} is no longer configured`);
    if (!isEligible(request.principalArn, profile)) {
      const dynamic = await deps.store.listEligibility(request.accountId);
      if (!isEligible(request.principalArn, profile, dynamic)) {
        throw new GrantRefusedError(
          `${request.principalArn} is no longer eligible for the profile ${profile.name}`,
        );
      }
      usedEligibility = true;
    }
    if (deps.now().getTime() >= Date.parse(request.endsAt)) {
      throw new GrantRefusedError(`the window ended at ${request.endsAt} before the grant could be written`);
    }
    if (!(await deps.policies.principalExists(request.principalArn))) {
      throw new GrantRefusedError(`${request.principalArn} no longer exists`);
    }
    const document = timeBoundedDocument(request.statements, request.startsAt, request.endsAt);
    // The grant's own policy, left by an earlier attempt, is replaced by the put: it does not count.
    const existing = (await deps.policies.listInline(request.principalArn)).filter(
      (policy) => policy.name !== request.policyName,
    );
    const quota = checkInlineQuota(request.principalKind, existing, document);
    if (!quota.ok)
      throw new GrantRefusedError(`${request.principalArn} has no room for this grant: ${quota.reason}`);

    put = true;
    await deps.policies.put(request.principalArn, request.policyName, document);
    const written = await deps.policies.get(request.principalArn, request.policyName);
    if (written === undefined || canonicalJson(written) !== canonicalJson(document)) {
      throw new GrantRefusedError(
        `${request.policyName} read back from ${request.principalArn} is not the document written`,
      );
    }
    scheduleName = await deps.scheduler.scheduleRevoke(request.grantId, new Date(request.endsAt));
  } catch (error) {
    const reason =
      error instanceof GrantRefusedError ? error.message : `the grant failed: ${describeError(error)}`;
    return fail(request, reason, { put, scheduleName }, deps);
  }

  const grantedAt = deps.now().toISOString();
  const granted = await deps.store.transition(request.grantId, 'approved', 'granted', {
    grantedAt,
    scheduleName,
  });
  if (!granted) {
    const current = await deps.store.get(request.grantId);
    if (current?.state === 'granted')
      return { outcome: 'skipped', reason: 'already granted', request: current };
    // Revoked (or failed) while the policy was being written: what was just written must go again.
    await undo(request, { put, scheduleName }, deps, []);
    return {
      outcome: 'skipped',
      reason: `the request became ${current?.state ?? 'absent'} while it was being granted; the policy was taken off`,
      ...(current ? { request: current } : {}),
    };
  }
  const warnings: string[] = [];
  if (usedEligibility) {
    try {
      await deps.store.markEligibilityUsed(
        granted.accountId,
        granted.principalArn,
        granted.profile,
        grantedAt,
      );
    } catch (error) {
      warnings.push(`recording the use of the eligibility failed: ${describeError(error)}`);
    }
  }
  await publishElevationEvent(
    deps.events,
    warnings,
    'ElevationGranted',
    elevationDetail(granted, {
      startsAt: granted.startsAt,
      endsAt: granted.endsAt,
      policyName: granted.policyName,
    }),
  );
  return { outcome: 'granted', request: granted, warnings };
}

async function fail(
  request: ElevationRequest,
  reason: string,
  written: { put: boolean; scheduleName: string | undefined },
  deps: GrantElevationDeps,
): Promise<GrantElevationResult> {
  const warnings: string[] = [];
  await undo(request, written, deps, warnings);
  const failed = await deps.store.transition(request.grantId, 'approved', 'failed', {
    failureReason: reason,
  });
  if (!failed) {
    return {
      outcome: 'failed',
      reason,
      warnings: [...warnings, 'the request had left approved; its state was kept'],
    };
  }
  await publishElevationEvent(
    deps.events,
    warnings,
    'ElevationFailed',
    elevationDetail(failed, { policyName: failed.policyName, stage: 'grant' }),
  );
  return { outcome: 'failed', reason, request: failed, warnings };
}

/**
 * Takes off what an attempt wrote. A removal that fails is left to the hourly reconciler (the
 * policy's own time bounds still end it) and reported as a warning.
 */
async function undo(
  request: ElevationRequest,
  written: { put: boolean; scheduleName: string | undefined },
  deps: GrantElevationDeps,
  warnings: string[],
): Promise<void> {
  if (written.put) {
    try {
      await deps.policies.delete(request.principalArn, request.policyName);
    } catch (error) {
      warnings.push(
        `removing ${request.policyName} from ${request.principalArn} failed: ${describeError(error)}`,
      );
    }
  }
  if (written.scheduleName) {
    try {
      await deps.scheduler.cancel(written.scheduleName);
    } catch (error) {
      warnings.push(`deleting schedule ${written.scheduleName} failed: ${describeError(error)}`);
    }
  }
}
