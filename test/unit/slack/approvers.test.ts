import { describe, expect, it } from 'vitest';
import {
  authorizeApprover,
  isApprover,
  isSameSlackUser,
  slackActor,
} from '../../../functions/core/slack/approvers';
import { APPROVER, OTHER_APPROVER, STRANGER, TEAM } from './fixtures';

const ALLOWLIST = [
  { teamId: TEAM, userId: APPROVER },
  { teamId: TEAM, userId: OTHER_APPROVER },
];

describe('approver allowlist', () => {
  it('allows a listed user of the listed team', () => {
    expect(authorizeApprover({ teamId: TEAM, userId: APPROVER }, ALLOWLIST)).toEqual({ allowed: true });
  });

  it('refuses a user who is not listed', () => {
    expect(authorizeApprover({ teamId: TEAM, userId: STRANGER }, ALLOWLIST)).toMatchObject({
      allowed: false,
      reason: 'not-an-approver',
    });
  });

  it('refuses a listed user id coming from another workspace', () => {
    expect(isApprover({ teamId: 'T0OTHERTEAM', userId: APPROVER }, ALLOWLIST)).toBe(false);
    expect(authorizeApprover({ teamId: 'T0OTHERTEAM', userId: APPROVER }, ALLOWLIST)).toMatchObject({
      allowed: false,
      reason: 'not-an-approver',
    });
  });

  it('approves nobody when the allowlist is empty', () => {
    for (const userId of [APPROVER, OTHER_APPROVER, STRANGER]) {
      expect(authorizeApprover({ teamId: TEAM, userId }, [])).toMatchObject({
        allowed: false,
        reason: 'not-an-approver',
      });
    }
  });

  it('refuses the requester, even when listed', () => {
    const requester = { kind: 'slack' as const, id: APPROVER, teamId: TEAM };
    expect(authorizeApprover({ teamId: TEAM, userId: APPROVER }, ALLOWLIST, requester)).toEqual({
      allowed: false,
      reason: 'requester',
      message: 'You asked for this remediation, so someone else must decide on it.',
    });
    expect(authorizeApprover({ teamId: TEAM, userId: OTHER_APPROVER }, ALLOWLIST, requester)).toEqual({
      allowed: true,
    });
  });

  it('treats a Slack requester recorded without a team as the same person (fails closed)', () => {
    expect(isSameSlackUser({ teamId: TEAM, userId: APPROVER }, { kind: 'slack', id: APPROVER })).toBe(true);
  });

  it('does not confuse a scan or a command-line requester with a Slack user', () => {
    for (const requester of [
      { kind: 'system' as const, id: APPROVER },
      { kind: 'cli' as const, id: APPROVER },
    ]) {
      expect(authorizeApprover({ teamId: TEAM, userId: APPROVER }, ALLOWLIST, requester)).toEqual({
        allowed: true,
      });
    }
  });

  it('records a Slack decision with team and user', () => {
    expect(slackActor({ teamId: TEAM, userId: APPROVER })).toEqual({
      kind: 'slack',
      id: APPROVER,
      teamId: TEAM,
    });
  });
});
