import type {
  ElevationProfile,
  ElevationRequest,
  PolicyStatementDocument,
} from '../../../functions/core/jit/types';
import type { Actor } from '../../../functions/core/remediation/request';

export const NOW = new Date('2026-12-03T10:00:00.000Z');
export const ACCOUNT = '123456789012';
export const ROLE = `arn:aws:iam::${ACCOUNT}:role/ops-alice`;
export const USER = `arn:aws:iam::${ACCOUNT}:user/alice`;

export const ALICE = { teamId: 'T0000TEAM', userId: 'U000ALICE' };
export const BOB = { teamId: 'T0000TEAM', userId: 'U00000BOB' };
export const CAROL = { teamId: 'T0000TEAM', userId: 'U000CAROL' };
export const MALLORY = { teamId: 'T0000TEAM', userId: 'U0MALLORY' };

export const slack = (user: { teamId: string; userId: string }): Actor => ({
  kind: 'slack',
  id: user.userId,
  teamId: user.teamId,
});

export const READ_LOGS: PolicyStatementDocument[] = [
  { Effect: 'Allow', Action: ['logs:GetLogEvents', 'logs:FilterLogEvents'], Resource: '*' },
];

export const ADMIN: PolicyStatementDocument[] = [{ Effect: 'Allow', Action: '*', Resource: '*' }];

export function aProfile(overrides: Partial<ElevationProfile> = {}): ElevationProfile {
  return {
    name: 'logs-reader',
    statements: READ_LOGS,
    eligible: [`arn:aws:iam::${ACCOUNT}:role/ops-*`, `arn:aws:iam::${ACCOUNT}:user/alice`],
    maxMinutes: 120,
    approvers: [ALICE, BOB, CAROL],
    approvals: 1,
    breakGlass: { maxMinutes: 60 },
    ...overrides,
  };
}

export function aRequest(overrides: Partial<ElevationRequest> = {}): ElevationRequest {
  return {
    grantId: 'a1b2c3',
    accountId: ACCOUNT,
    profile: 'logs-reader',
    principalArn: ROLE,
    principalKind: 'role',
    requestedBy: slack(ALICE),
    requestedAt: NOW.toISOString(),
    reason: 'incident 42',
    startsAt: '2026-12-03T10:00:00Z',
    endsAt: '2026-12-03T11:00:00Z',
    statements: READ_LOGS,
    grantHash: 'h'.repeat(64),
    breakGlass: false,
    requiredApprovals: 1,
    approvals: [],
    state: 'requested',
    expiresAt: '2026-12-03T11:00:00.000Z',
    policyName: 'iam-posture-jit-a1b2c3',
    ...overrides,
  };
}
