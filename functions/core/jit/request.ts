import picomatch from 'picomatch';
import { parseIamPrincipalArn } from '../arn';
import { PolicyParseError } from '../policy/parse';
import type { Actor } from '../remediation/request';
import { suggestion } from '../suggest';
import { GrantError, grantHash, grantInstant, grantPolicyName, timeBoundedDocument } from './grant';
import { profilePrivilege } from './privilege';
import type { ElevationProfile, ElevationRequest, Eligibility, PolicyStatementDocument } from './types';

export { type ProfilePrivilege, profilePrivilege } from './privilege';

/**
 * Turning an ask (from Slack or the CLI) into a request: every rule that can be checked before
 * anyone approves is checked here, and a refusal is an answer with a reason, not an exception.
 */

export interface ElevationAsk {
  profile: ElevationProfile;
  principalArn: string;
  accountId: string;
  requestedBy: Actor;
  reason: string;
  minutes: number;
  breakGlass: boolean;
  /** The statements to grant: the profile's, or the managed policy's document copied now. */
  statements: PolicyStatementDocument[];
  grantId: string;
  /** Start of the window; now when absent. */
  startsAt?: Date;
  requestTtlMinutes: number;
  /** Principals made eligible at run time (converted standing admins). */
  dynamicEligibility?: Eligibility[];
}

export type BuiltRequest = { ok: true; request: ElevationRequest } | { ok: false; reason: string };

/** A break-glass reason shorter than this says nothing a reviewer can check afterwards. */
export const BREAK_GLASS_REASON_MIN = 20;

/** Reasons are shown in Slack and kept in the table; a page of text is not a reason. */
export const REASON_MAX = 500;

/** How far ahead a window may be asked for. */
export const MAX_START_AHEAD_MINUTES = 7 * 24 * 60;

const MINUTE = 60_000;

export function buildElevationRequest(ask: ElevationAsk, now: Date): BuiltRequest {
  const { profile } = ask;
  const refuse = (reason: string): BuiltRequest => ({ ok: false, reason });
  const principal = parseIamPrincipalArn(ask.principalArn);
  if (!principal || principal.type === 'group') {
    return refuse(`${ask.principalArn} is not an IAM role or user ARN; only roles and users can be elevated`);
  }
  if (principal.account !== ask.accountId) {
    return refuse(`${ask.principalArn} is not in account ${ask.accountId}`);
  }
  if (!isEligible(ask.principalArn, profile, ask.dynamicEligibility)) {
    return refuse(`${ask.principalArn} is not eligible for the profile ${profile.name}`);
  }
  if (!Number.isInteger(ask.minutes) || ask.minutes < 1) {
    return refuse(`the duration must be a whole number of minutes, at least 1 (got ${ask.minutes})`);
  }
  const reason = ask.reason.trim();
  if (reason.length > REASON_MAX) return refuse(`the reason is longer than ${REASON_MAX} characters`);
  if (ask.breakGlass) {
    if (!profile.breakGlass) return refuse(`the profile ${profile.name} has no break-glass`);
    if (!isProfileApprover(ask.requestedBy, profile)) {
      return refuse(`break-glass on ${profile.name} is only for its approvers`);
    }
    if (reason.length < BREAK_GLASS_REASON_MIN) {
      return refuse(
        `break-glass needs a reason of at least ${BREAK_GLASS_REASON_MIN} characters, for the review afterwards`,
      );
    }
    if (ask.minutes > profile.breakGlass.maxMinutes) {
      return refuse(
        `break-glass on ${profile.name} lasts at most ${profile.breakGlass.maxMinutes} minutes (asked ${ask.minutes})`,
      );
    }
  } else {
    if (reason === '') return refuse('a reason is required');
    if (ask.minutes > profile.maxMinutes) {
      return refuse(`${profile.name} lasts at most ${profile.maxMinutes} minutes (asked ${ask.minutes})`);
    }
  }
  if (ask.statements.length === 0) return refuse(`the profile ${profile.name} grants no statements`);

  const nowSecond = Math.floor(now.getTime() / 1000) * 1000;
  const start = ask.startsAt === undefined ? nowSecond : Math.floor(ask.startsAt.getTime() / 1000) * 1000;
  if (Number.isNaN(start)) return refuse('the start time is not a valid date');
  if (start < nowSecond) return refuse('the window cannot start in the past');
  if (start - nowSecond > MAX_START_AHEAD_MINUTES * MINUTE) {
    return refuse('the window must start within 7 days');
  }
  const startsAt = grantInstant(new Date(start));
  const endsAt = grantInstant(new Date(start + ask.minutes * MINUTE));

  let policyName: string;
  try {
    policyName = grantPolicyName(ask.grantId);
    timeBoundedDocument(ask.statements, startsAt, endsAt);
  } catch (error) {
    if (error instanceof GrantError) return refuse(error.message);
    throw error;
  }
  let required: number;
  try {
    required = ask.breakGlass ? 1 : requiredApprovals(profile, ask.statements, ask.principalArn);
  } catch (error) {
    if (!(error instanceof PolicyParseError)) throw error;
    return refuse(`the statements are not a valid policy: ${error.message}`);
  }

  const hash = grantHash({
    profile: profile.name,
    principalArn: ask.principalArn,
    statements: ask.statements,
    startsAt,
    endsAt,
    breakGlass: ask.breakGlass,
  });
  // An approval after the window has ended would grant nothing, so the request lapses with it.
  const expiresAt = new Date(Math.min(now.getTime() + ask.requestTtlMinutes * MINUTE, Date.parse(endsAt)));
  const requestedAt = now.toISOString();
  return {
    ok: true,
    request: {
      grantId: ask.grantId,
      accountId: ask.accountId,
      profile: profile.name,
      principalArn: ask.principalArn,
      principalKind: principal.type,
      requestedBy: ask.requestedBy,
      requestedAt,
      reason,
      startsAt,
      endsAt,
      statements: ask.statements,
      grantHash: hash,
      breakGlass: ask.breakGlass,
      requiredApprovals: required,
      // Break-glass is self-approval: the requester's own approval, recorded at once.
      approvals: ask.breakGlass ? [{ by: ask.requestedBy, at: requestedAt, grantHash: hash }] : [],
      state: ask.breakGlass ? 'approved' : 'requested',
      expiresAt: expiresAt.toISOString(),
      policyName,
    },
  };
}

/**
 * Approvals a grant needs: the profile's, and at least 2 when the statements are
 * administrator-equivalent or can escalate (for `principalArn` when given, else for any role or
 * user). Throws `PolicyParseError` when the statements are not a valid policy.
 */
export function requiredApprovals(
  profile: ElevationProfile,
  statements: readonly PolicyStatementDocument[],
  principalArn?: string,
): number {
  const privilege = profilePrivilege(statements, principalArn === undefined ? undefined : [principalArn]);
  return Math.max(profile.approvals, privilege.adminEquivalent || privilege.canEscalate ? 2 : 1);
}

/**
 * Whether the principal may receive the profile: an eligible ARN or glob of the profile (`*`
 * within a segment, `**` across `/`), or an eligibility recorded at run time for this profile.
 */
export function isEligible(
  principalArn: string,
  profile: ElevationProfile,
  dynamic?: Eligibility[],
): boolean {
  if (profile.eligible.some((pattern) => matchesArn(principalArn, pattern))) return true;
  return (dynamic ?? []).some((e) => e.principalArn === principalArn && e.profile === profile.name);
}

function matchesArn(arn: string, pattern: string): boolean {
  return /[*?[\]{}]/.test(pattern) ? picomatch.isMatch(arn, pattern, { dot: true }) : arn === pattern;
}

/** True when the actor is a Slack user on the profile's approvers (team and user id). */
export function isProfileApprover(actor: Actor, profile: ElevationProfile): boolean {
  return (
    actor.kind === 'slack' &&
    actor.teamId !== undefined &&
    profile.approvers.some((a) => a.teamId === actor.teamId && a.userId === actor.id)
  );
}

/** The profile of that name, or a refusal that suggests the closest name (typed in Slack and the CLI). */
export function findProfile(
  profiles: readonly ElevationProfile[],
  name: string,
): { ok: true; profile: ElevationProfile } | { ok: false; reason: string } {
  const wanted = name.trim();
  const profile = profiles.find((p) => p.name === wanted);
  if (profile) return { ok: true, profile };
  if (profiles.length === 0) return { ok: false, reason: 'no elevation profile is configured' };
  return {
    ok: false,
    reason: `there is no elevation profile "${wanted}"${suggestion(
      wanted,
      profiles.map((p) => p.name),
      'profiles',
    )}`,
  };
}
