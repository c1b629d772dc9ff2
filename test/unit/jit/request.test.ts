import { describe, expect, it } from 'vitest';
import { grantHash } from '../../../functions/core/jit/grant';
import { exampleArnOf } from '../../../functions/core/jit/privilege';
import {
  buildElevationRequest,
  type ElevationAsk,
  findProfile,
  isEligible,
  profilePrivilege,
  requiredApprovals,
} from '../../../functions/core/jit/request';
import type { Eligibility } from '../../../functions/core/jit/types';
import { ACCOUNT, ADMIN, ALICE, aProfile, BOB, MALLORY, NOW, READ_LOGS, ROLE, slack, USER } from './builders';

function anAsk(overrides: Partial<ElevationAsk> = {}): ElevationAsk {
  return {
    profile: aProfile(),
    principalArn: ROLE,
    accountId: ACCOUNT,
    requestedBy: slack(ALICE),
    reason: 'incident 42: read the payment logs',
    minutes: 60,
    breakGlass: false,
    statements: READ_LOGS,
    grantId: '0f8e2c1a',
    requestTtlMinutes: 60,
    ...overrides,
  };
}

function refusal(ask: ElevationAsk, now = NOW): string {
  const built = buildElevationRequest(ask, now);
  expect(built.ok).toBe(false);
  return built.ok ? '' : built.reason;
}

describe('buildElevationRequest', () => {
  it('builds the request: window from now, hash of the exact grant, expiry, policy name', () => {
    const built = buildElevationRequest(
      anAsk({ requestTtlMinutes: 30 }),
      new Date('2026-12-03T10:00:00.750Z'),
    );
    expect(built).toEqual({
      ok: true,
      request: {
        grantId: '0f8e2c1a',
        accountId: ACCOUNT,
        profile: 'logs-reader',
        principalArn: ROLE,
        principalKind: 'role',
        requestedBy: slack(ALICE),
        requestedAt: '2026-12-03T10:00:00.750Z',
        reason: 'incident 42: read the payment logs',
        startsAt: '2026-12-03T10:00:00Z',
        endsAt: '2026-12-03T11:00:00Z',
        statements: READ_LOGS,
        grantHash: grantHash({
          profile: 'logs-reader',
          principalArn: ROLE,
          statements: READ_LOGS,
          startsAt: '2026-12-03T10:00:00Z',
          endsAt: '2026-12-03T11:00:00Z',
          breakGlass: false,
        }),
        breakGlass: false,
        requiredApprovals: 1,
        approvals: [],
        state: 'requested',
        expiresAt: '2026-12-03T10:30:00.750Z',
        policyName: 'iam-posture-jit-0f8e2c1a',
      },
    });
  });

  it('expires after the request lifetime, exactly', () => {
    const built = buildElevationRequest(anAsk({ minutes: 120, requestTtlMinutes: 30 }), NOW);
    expect(built.ok && built.request.expiresAt).toBe('2026-12-03T10:30:00.000Z');
  });

  it('expires no later than the end of the window: an approval after it would grant nothing', () => {
    const built = buildElevationRequest(anAsk({ minutes: 20, requestTtlMinutes: 60 }), NOW);
    expect(built.ok && built.request.expiresAt).toBe('2026-12-03T10:20:00.000Z');
  });

  it('starts a later window when asked, and refuses one in the past or more than 7 days ahead', () => {
    const later = buildElevationRequest(anAsk({ startsAt: new Date('2026-12-04T08:00:00Z') }), NOW);
    expect(later.ok && [later.request.startsAt, later.request.endsAt]).toEqual([
      '2026-12-04T08:00:00Z',
      '2026-12-04T09:00:00Z',
    ]);
    expect(refusal(anAsk({ startsAt: new Date('2026-12-03T09:59:59Z') }))).toBe(
      'the window cannot start in the past',
    );
    const week = buildElevationRequest(anAsk({ startsAt: new Date('2026-12-10T10:00:00Z') }), NOW);
    expect(week.ok).toBe(true);
    expect(refusal(anAsk({ startsAt: new Date('2026-12-10T10:00:01Z') }))).toBe(
      'the window must start within 7 days',
    );
  });

  it.each([
    [120, true],
    [121, false],
  ])('takes %i minutes against a 120-minute cap: ok=%s', (minutes, ok) => {
    const built = buildElevationRequest(anAsk({ minutes }), NOW);
    expect(built.ok).toBe(ok);
    if (!built.ok) expect(built.reason).toBe('logs-reader lasts at most 120 minutes (asked 121)');
  });

  it.each([0, -5, 1.5])('refuses %d minutes', (minutes) => {
    expect(refusal(anAsk({ minutes }))).toMatch(/whole number of minutes/);
  });

  it.each([
    [`arn:aws:iam::${ACCOUNT}:role/dev-bob`, 'is not eligible for the profile logs-reader'],
    [`arn:aws:iam::${ACCOUNT}:user/bob`, 'is not eligible for the profile logs-reader'],
    [`arn:aws:iam::${ACCOUNT}:group/ops-team`, 'is not an IAM role or user ARN'],
    ['arn:aws:s3:::ops-bucket', 'is not an IAM role or user ARN'],
    ['ops-alice', 'is not an IAM role or user ARN'],
    ['arn:aws:iam::210987654321:role/ops-alice', 'is not in account 123456789012'],
  ])('refuses the principal %s', (principalArn, reason) => {
    expect(refusal(anAsk({ principalArn }))).toBe(
      `${principalArn} ${reason}${reason.startsWith('is not an IAM') ? '; only roles and users can be elevated' : ''}`,
    );
  });

  it('grants a user, recording its kind', () => {
    const built = buildElevationRequest(anAsk({ principalArn: USER }), NOW);
    expect(built.ok && built.request.principalKind).toBe('user');
  });

  it('accepts a principal made eligible at run time, for that profile only', () => {
    const principalArn = `arn:aws:iam::${ACCOUNT}:role/legacy-admin`;
    const eligibility: Eligibility = {
      principalArn,
      profile: 'logs-reader',
      accountId: ACCOUNT,
      grantedBy: { kind: 'system', id: 'convert' },
      createdAt: NOW.toISOString(),
    };
    expect(buildElevationRequest(anAsk({ principalArn, dynamicEligibility: [eligibility] }), NOW).ok).toBe(
      true,
    );
    expect(
      refusal(anAsk({ principalArn, dynamicEligibility: [{ ...eligibility, profile: 'other' }] })),
    ).toContain('is not eligible');
  });

  it.each(['', '   '])('refuses an empty reason %j', (reason) => {
    expect(refusal(anAsk({ reason }))).toBe('a reason is required');
  });

  it('refuses a reason longer than 500 characters', () => {
    expect(buildElevationRequest(anAsk({ reason: 'x'.repeat(500) }), NOW).ok).toBe(true);
    expect(refusal(anAsk({ reason: 'x'.repeat(501) }))).toBe('the reason is longer than 500 characters');
  });

  it('needs 2 approvals for admin statements, whatever the profile says', () => {
    const built = buildElevationRequest(
      anAsk({ profile: aProfile({ statements: ADMIN }), statements: ADMIN }),
      NOW,
    );
    expect(built.ok && built.request.requiredApprovals).toBe(2);
    const three = buildElevationRequest(anAsk({ profile: aProfile({ approvals: 3 }) }), NOW);
    expect(three.ok && three.request.requiredApprovals).toBe(3);
  });

  it('refuses statements that bound the time themselves, a bad grant id and no statements', () => {
    const timed = [
      { ...READ_LOGS[0], Condition: { DateLessThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } } },
    ];
    expect(refusal(anAsk({ statements: timed }))).toContain('already limits the time');
    expect(refusal(anAsk({ grantId: 'Not/An/Id' }))).toContain('grant id "Not/An/Id"');
    expect(refusal(anAsk({ statements: [] }))).toBe('the profile logs-reader grants no statements');
    expect(refusal(anAsk({ statements: [{ Effect: 'Allow', Resource: '*' }] }))).toContain(
      'the statements are not a valid policy',
    );
  });

  describe('break-glass', () => {
    const reason = 'prod database down, on-call has no access';

    it('is approved at once by the requester, with one approval needed, even for admin', () => {
      const built = buildElevationRequest(
        anAsk({
          breakGlass: true,
          reason,
          minutes: 60,
          profile: aProfile({ statements: ADMIN }),
          statements: ADMIN,
        }),
        NOW,
      );
      expect(built.ok).toBe(true);
      if (!built.ok) return;
      expect(built.request.state).toBe('approved');
      expect(built.request.requiredApprovals).toBe(1);
      expect(built.request.breakGlass).toBe(true);
      expect(built.request.approvals).toEqual([
        { by: slack(ALICE), at: NOW.toISOString(), grantHash: built.request.grantHash },
      ]);
    });

    it.each([
      [60, true],
      [61, false],
    ])('takes %i minutes against its 60-minute cap: ok=%s', (minutes, ok) => {
      const built = buildElevationRequest(anAsk({ breakGlass: true, reason, minutes }), NOW);
      expect(built.ok).toBe(ok);
      if (!built.ok)
        expect(built.reason).toBe('break-glass on logs-reader lasts at most 60 minutes (asked 61)');
    });

    it('needs a reason of at least 20 characters', () => {
      expect(buildElevationRequest(anAsk({ breakGlass: true, reason: 'x'.repeat(20) }), NOW).ok).toBe(true);
      expect(refusal(anAsk({ breakGlass: true, reason: ` ${'x'.repeat(19)} ` }))).toBe(
        'break-glass needs a reason of at least 20 characters, for the review afterwards',
      );
    });

    it('is refused on a profile without it', () => {
      expect(refusal(anAsk({ breakGlass: true, reason, profile: aProfile({ breakGlass: undefined }) }))).toBe(
        'the profile logs-reader has no break-glass',
      );
    });

    it('is refused to someone who is not a profile approver, or from another workspace, or the CLI', () => {
      const only = 'break-glass on logs-reader is only for its approvers';
      expect(refusal(anAsk({ breakGlass: true, reason, requestedBy: slack(MALLORY) }))).toBe(only);
      expect(
        refusal(
          anAsk({
            breakGlass: true,
            reason,
            requestedBy: { kind: 'slack', id: ALICE.userId, teamId: 'T0THERTEAM' },
          }),
        ),
      ).toBe(only);
      expect(refusal(anAsk({ breakGlass: true, reason, requestedBy: { kind: 'cli', id: 'alice' } }))).toBe(
        only,
      );
    });
  });
});

describe('requiredApprovals and profilePrivilege', () => {
  it.each([
    ['read-only logs', READ_LOGS, { adminEquivalent: false, canEscalate: false }, 1],
    ['everything', ADMIN, { adminEquivalent: true, canEscalate: false }, 2],
    [
      'all of IAM',
      [{ Effect: 'Allow', Action: 'iam:*', Resource: '*' }],
      { adminEquivalent: true, canEscalate: false },
      2,
    ],
    [
      'running code in existing functions',
      [{ Effect: 'Allow', Action: 'lambda:UpdateFunctionCode', Resource: '*' }],
      { adminEquivalent: false, canEscalate: true },
      2,
    ],
    [
      'everything, then denied IAM',
      [...ADMIN, { Effect: 'Deny', Action: 'iam:*', Resource: '*' }],
      { adminEquivalent: false, canEscalate: true },
      2,
    ],
  ])('%s', (_what, statements, privilege, approvals) => {
    expect(profilePrivilege(statements)).toEqual(privilege);
    expect(requiredApprovals(aProfile({ statements }), statements)).toBe(approvals);
  });

  it('sees a self-grant only for the principal it reaches', () => {
    const own = [{ Effect: 'Allow', Action: 'iam:PutRolePolicy', Resource: ROLE }];
    expect(requiredApprovals(aProfile(), own, ROLE)).toBe(2);
    expect(profilePrivilege(own, [ROLE]).adminEquivalent).toBe(true);
    expect(profilePrivilege(own, [`arn:aws:iam::${ACCOUNT}:role/other`]).adminEquivalent).toBe(false);
  });
});

describe('isEligible', () => {
  it.each([
    [`arn:aws:iam::${ACCOUNT}:role/ops-alice`, [`arn:aws:iam::${ACCOUNT}:role/ops-*`], true],
    [`arn:aws:iam::${ACCOUNT}:role/team/ops-alice`, [`arn:aws:iam::${ACCOUNT}:role/ops-*`], false],
    [`arn:aws:iam::${ACCOUNT}:role/team/ops-alice`, [`arn:aws:iam::${ACCOUNT}:role/**/ops-*`], true],
    [`arn:aws:iam::${ACCOUNT}:role/team/x/ops-alice`, [`arn:aws:iam::${ACCOUNT}:role/**`], true],
    [`arn:aws:iam::${ACCOUNT}:role/ops-alice`, [`arn:aws:iam::*:role/ops-alice`], true],
    [`arn:aws:iam::${ACCOUNT}:role/ops-alice`, [`arn:aws:iam::${ACCOUNT}:role/ops-alice`], true],
    [`arn:aws:iam::${ACCOUNT}:role/ops-alice2`, [`arn:aws:iam::${ACCOUNT}:role/ops-alice`], false],
    [`arn:aws:iam::${ACCOUNT}:user/ops-alice`, [`arn:aws:iam::${ACCOUNT}:role/ops-*`], false],
  ])('%s against %j: %s', (arn, eligible, expected) => {
    expect(isEligible(arn, aProfile({ eligible }))).toBe(expected);
  });

  it('ignores a run-time eligibility of another principal', () => {
    const eligibility: Eligibility = {
      principalArn: `arn:aws:iam::${ACCOUNT}:role/x`,
      profile: 'logs-reader',
      accountId: ACCOUNT,
      grantedBy: slack(BOB),
      createdAt: NOW.toISOString(),
    };
    expect(isEligible(`arn:aws:iam::${ACCOUNT}:role/y`, aProfile(), [eligibility])).toBe(false);
    expect(isEligible(`arn:aws:iam::${ACCOUNT}:role/x`, aProfile(), [eligibility])).toBe(true);
  });
});

describe('findProfile', () => {
  const profiles = [aProfile({ name: 'db-admin' }), aProfile({ name: 'logs-reader' })];

  it('finds a profile by its exact name', () => {
    expect(findProfile(profiles, ' db-admin ')).toEqual({ ok: true, profile: profiles[0] });
  });

  it('suggests the closest name, or lists the profiles, or says there are none', () => {
    expect(findProfile(profiles, 'db-admn')).toEqual({
      ok: false,
      reason: 'there is no elevation profile "db-admn" (did you mean db-admin?)',
    });
    expect(findProfile(profiles, 'billing')).toEqual({
      ok: false,
      reason: 'there is no elevation profile "billing" (profiles: db-admin, logs-reader)',
    });
    expect(findProfile([], 'db-admin')).toEqual({ ok: false, reason: 'no elevation profile is configured' });
  });
});

describe('exampleArnOf', () => {
  it.each([
    [`arn:aws:iam::${ACCOUNT}:role/ops-*`, `arn:aws:iam::${ACCOUNT}:role/ops-jit-principal`],
    [`arn:aws:iam::${ACCOUNT}:role/**/ops-?`, `arn:aws:iam::${ACCOUNT}:role/jit-principal/ops-x`],
    ['arn:aws:iam::*:user/alice', 'arn:aws:iam::000000000000:user/alice'],
    [ROLE, ROLE],
  ])('makes %s concrete as %s', (pattern, arn) => {
    expect(exampleArnOf(pattern)).toBe(arn);
  });
});
