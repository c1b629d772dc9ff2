import { describeError } from '../core/describe-error';
import { checkInlineQuota, statementsOfDocument, timeBoundedDocument } from '../core/jit/grant';
import { buildElevationRequest, findProfile, isEligible } from '../core/jit/request';
import type { ElevationRequest, PolicyStatementDocument } from '../core/jit/types';
import type { Actor } from '../core/remediation/request';
import { actorDetail, elevationDetail, publishElevationEvent } from './elevation-events';
import type { GrantPolicies, JitEvents, JitProfiles, JitStore } from './jit-ports';

export interface RequestElevationInput {
  profileName: string;
  principalArn: string;
  minutes: number;
  reason: string;
  breakGlass: boolean;
  requestedBy: Actor;
  accountId: string;
  /** Start of the window; now when absent. */
  startsAt?: Date;
}

export interface RequestElevationDeps {
  profiles: JitProfiles;
  store: JitStore;
  policies: GrantPolicies;
  events: JitEvents;
  now(): Date;
  newGrantId(): string;
  requestTtlMinutes: number;
}

export type RequestElevationResult =
  | {
      /** Waiting for approvals; or, for break-glass, approved by the requester and about to be granted. */
      outcome: 'requested' | 'break-glass-granted-pending';
      request: ElevationRequest;
      /** Events that were not published; the request is stored all the same. */
      warnings: string[];
    }
  | {
      outcome: 'refused';
      reason: string;
      /** Set when the principal's inline policy quota is what refused it. */
      quota?: { used: number; limit: number };
    };

/**
 * Asks for an elevation: checks everything that can be checked before anyone approves (the
 * profile's rules, eligibility, and that the grant would fit in the principal's inline policy
 * quota as it is now), stores the request and announces it. A break-glass request is approved by
 * its requester at once and announced as such, so the channel sees it straight away.
 */
export async function requestElevation(
  input: RequestElevationInput,
  deps: RequestElevationDeps,
): Promise<RequestElevationResult> {
  const now = deps.now();
  const found = findProfile(deps.profiles, input.profileName);
  if (!found.ok) return { outcome: 'refused', reason: found.reason };
  const profile = found.profile;

  let statements: PolicyStatementDocument[];
  if (profile.statements) {
    statements = profile.statements;
  } else if (profile.managedPolicyArn) {
    try {
      statements = statementsOfDocument(await deps.policies.managedPolicyDocument(profile.managedPolicyArn));
    } catch (error) {
      return {
        outcome: 'refused',
        reason: `the profile ${profile.name} grants ${profile.managedPolicyArn}, which could not be read: ${describeError(error)}`,
      };
    }
  } else {
    return { outcome: 'refused', reason: `the profile ${profile.name} grants nothing` };
  }

  // Run-time eligibilities are read only when the profile's own patterns do not already match.
  const dynamicEligibility = isEligible(input.principalArn, profile)
    ? []
    : await deps.store.listEligibility(input.accountId);
  const built = buildElevationRequest(
    {
      profile,
      principalArn: input.principalArn,
      accountId: input.accountId,
      requestedBy: input.requestedBy,
      reason: input.reason,
      minutes: input.minutes,
      breakGlass: input.breakGlass,
      statements,
      grantId: deps.newGrantId(),
      ...(input.startsAt ? { startsAt: input.startsAt } : {}),
      requestTtlMinutes: deps.requestTtlMinutes,
      dynamicEligibility,
    },
    now,
  );
  if (!built.ok) return { outcome: 'refused', reason: built.reason };
  const request = built.request;

  if (!(await deps.policies.principalExists(request.principalArn))) {
    return { outcome: 'refused', reason: `${request.principalArn} does not exist` };
  }
  const existing = await deps.policies.listInline(request.principalArn);
  const quota = checkInlineQuota(
    request.principalKind,
    existing,
    timeBoundedDocument(request.statements, request.startsAt, request.endsAt),
  );
  if (!quota.ok) {
    return {
      outcome: 'refused',
      reason: `${request.principalArn} has no room for this grant: ${quota.reason}`,
      quota: { used: quota.used, limit: quota.limit },
    };
  }

  await deps.store.create(request);
  const warnings: string[] = [];
  const detail = elevationDetail(request, { requestedBy: actorDetail(request.requestedBy) });
  await publishElevationEvent(deps.events, warnings, 'ElevationRequested', detail);
  if (request.breakGlass) {
    await publishElevationEvent(deps.events, warnings, 'BreakGlassUsed', detail);
    await publishElevationEvent(deps.events, warnings, 'ElevationApproved', detail);
    return { outcome: 'break-glass-granted-pending', request, warnings };
  }
  return { outcome: 'requested', request, warnings };
}
