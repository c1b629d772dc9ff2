import { describeError } from '../core/describe-error';
import type { ElevationEvent, ElevationProfile, ElevationRequest } from '../core/jit/types';
import type { Actor } from '../core/remediation/request';
import type { JitEvents } from './jit-ports';

/**
 * What the elevation use cases share: the ids an event carries, and publishing that never undoes
 * a change already stored. Details name the grant, its account, principal and profile, never its
 * statements or reason, which stay in the table.
 */

export function elevationDetail(
  request: Pick<ElevationRequest, 'grantId' | 'accountId' | 'principalArn' | 'profile' | 'breakGlass'>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    grantId: request.grantId,
    accountId: request.accountId,
    principalArn: request.principalArn,
    profile: request.profile,
    breakGlass: request.breakGlass,
    ...extra,
  };
}

/** An actor as an event carries it: who, not their display name. */
export function actorDetail(actor: Actor): Record<string, string> {
  return { kind: actor.kind, id: actor.id, ...(actor.teamId ? { teamId: actor.teamId } : {}) };
}

/**
 * Publishes one event; a failure is added to `warnings` instead of thrown. The state change it
 * announces is stored already, and a retry of the whole use case would find nothing left to do.
 */
export async function publishElevationEvent(
  events: JitEvents,
  warnings: string[],
  type: ElevationEvent,
  detail: Record<string, unknown>,
): Promise<void> {
  try {
    await events.publish(type, detail);
  } catch (error) {
    warnings.push(`publishing ${type} failed: ${describeError(error)}`);
  }
}

/** The configured profile a stored request names; undefined once it is no longer configured. */
export function profileNamed(
  profiles: readonly ElevationProfile[],
  name: string,
): ElevationProfile | undefined {
  return profiles.find((profile) => profile.name === name);
}

/** The actor the scheduled revoke and the reconciler act as. */
export const SYSTEM_ACTOR: Actor = { kind: 'system', id: 'iam-posture-jit' };
