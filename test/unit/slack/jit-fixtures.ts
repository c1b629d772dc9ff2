import type { ElevationProfile, ElevationRequest } from '../../../functions/core/jit/types';

/** Slack people and the grant of the just-in-time elevation tests. */
export const JIT_TEAM = 'T0TEAM0001';
export const JIT_CHANNEL = 'C0JITCHAN1';
export const REQUESTER = 'U0REQUEST1';
export const APPROVER_A = 'U0APPROVEA';
export const APPROVER_B = 'U0APPROVEB';
export const OUTSIDER = 'U0OUTSIDER';

export const GRANT_ID = '3f2a9c1e-7b4d-4e8a-9f10-aa55bb66cc77';
export const GRANT_HASH = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';
export const ROLE_ARN = 'arn:aws:iam::123456789012:role/ops/deployer';

export function aProfile(overrides: Partial<ElevationProfile> = {}): ElevationProfile {
  return {
    name: 'admin',
    description: 'Full administrator access',
    statements: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
    eligible: ['arn:aws:iam::123456789012:role/ops/*'],
    maxMinutes: 240,
    approvers: [
      { teamId: JIT_TEAM, userId: APPROVER_A },
      { teamId: JIT_TEAM, userId: APPROVER_B },
    ],
    approvals: 2,
    breakGlass: { maxMinutes: 60 },
    ...overrides,
  };
}

/** A request for `admin` on ROLE_ARN, 1h from 10:00 on 2026-12-03, waiting for two approvals. */
export function anElevation(overrides: Partial<ElevationRequest> = {}): ElevationRequest {
  return {
    grantId: GRANT_ID,
    accountId: '123456789012',
    profile: 'admin',
    principalArn: ROLE_ARN,
    principalKind: 'role',
    requestedBy: { kind: 'slack', id: REQUESTER, teamId: JIT_TEAM },
    requestedAt: '2026-12-03T10:00:00.000Z',
    reason: 'Rotate the database credentials after incident INC-42',
    startsAt: '2026-12-03T10:00:00Z',
    endsAt: '2026-12-03T11:00:00Z',
    statements: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
    grantHash: GRANT_HASH,
    breakGlass: false,
    requiredApprovals: 2,
    approvals: [],
    state: 'requested',
    expiresAt: '2026-12-03T11:00:00.000Z',
    policyName: `iam-posture-jit-${GRANT_ID}`,
    ...overrides,
  };
}
