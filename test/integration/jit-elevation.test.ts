import {
  DeleteRoleCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { GetScheduleCommand } from '@aws-sdk/client-scheduler';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ElevationProfile } from '../../functions/core/jit/types';
import { type GrantElevationDeps, grantElevation } from '../../functions/use-cases/grant-elevation';
import { lapseRequests } from '../../functions/use-cases/lapse-requests';
import { recordElevationVote, rejectElevation } from '../../functions/use-cases/record-elevation-vote';
import { type RequestElevationInput, requestElevation } from '../../functions/use-cases/request-elevation';
import { revokeElevation } from '../../functions/use-cases/revoke-elevation';
import {
  ALICE,
  BOB,
  BUCKET_READ,
  CAROL,
  DEV,
  JIT_FUNCTION_ARN,
  type JitWorld,
  jitWorld,
  MALLORY,
  manualClock,
  SCHEDULE_GROUP,
  TEAM,
  userArn,
} from '../support/jit-moto';
import { MOTO_ACCOUNT_ID, type MotoServer, startMoto } from '../support/moto';

/**
 * Just-in-time elevation on moto: requests, votes, grants and revokes through the real adapters
 * (DynamoDB, IAM, EventBridge Scheduler, the bus).
 */

let moto: MotoServer;
let world: JitWorld;
const clock = manualClock('2026-12-03T10:00:00.000Z');
let ids = 0;
const PROFILES: ElevationProfile[] = [BUCKET_READ];

beforeAll(async () => {
  moto = await startMoto();
});
afterAll(async () => {
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
  world = await jitWorld(moto);
  clock.set('2026-12-03T10:00:00.000Z');
});
afterEach(() => world.destroy());

function deps() {
  return {
    profiles: PROFILES,
    store: world.store,
    policies: world.policies,
    scheduler: world.revokeScheduler,
    events: world.events,
    now: clock.now,
    newGrantId: () => `0000000000000000000000000000${String(++ids).padStart(4, '0')}`,
    requestTtlMinutes: 60,
  };
}

function ask(principalArn: string, overrides: Partial<RequestElevationInput> = {}): RequestElevationInput {
  return {
    profileName: 'bucket-read',
    principalArn,
    minutes: 90,
    reason: 'Reading the incident logs of INC-4711',
    breakGlass: false,
    requestedBy: DEV,
    accountId: MOTO_ACCOUNT_ID,
    ...overrides,
  };
}

async function requested(principalArn: string, overrides: Partial<RequestElevationInput> = {}) {
  const result = await requestElevation(ask(principalArn, overrides), deps());
  if (result.outcome === 'refused') throw new Error(`refused: ${result.reason}`);
  return result.request;
}

/** Requested, approved by Alice and Bob, granted. */
async function granted(principalArn: string, overrides: Partial<RequestElevationInput> = {}) {
  const request = await requested(principalArn, overrides);
  for (const approver of [ALICE, BOB]) {
    await recordElevationVote({ grantId: request.grantId, grantHash: request.grantHash, approver }, deps());
  }
  const result = await grantElevation(request.grantId, deps());
  if (result.outcome !== 'granted') throw new Error(`not granted: ${JSON.stringify(result)}`);
  return result.request;
}

async function rolePolicy(roleName: string, policyName: string): Promise<unknown> {
  try {
    const output = await world.iam.send(
      new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }),
    );
    return JSON.parse(decodeURIComponent(output.PolicyDocument!));
  } catch (error) {
    if ((error as Error).name === 'NoSuchEntityException') return undefined;
    throw error;
  }
}

async function schedule(name: string) {
  try {
    return await world.scheduler.send(new GetScheduleCommand({ Name: name, GroupName: SCHEDULE_GROUP }));
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

const types = (events: { 'detail-type': string }[]) => events.map((e) => e['detail-type']);

describe('an elevation from request to revoke', () => {
  it('is granted after two approvals as a time-bounded policy, with a revoke scheduled at the end', async () => {
    const arn = await world.createRole('app-billing');
    const request = await requested(arn);
    expect(request).toMatchObject({
      state: 'requested',
      startsAt: '2026-12-03T10:00:00Z',
      endsAt: '2026-12-03T11:30:00Z',
      expiresAt: '2026-12-03T11:00:00.000Z',
      requiredApprovals: 2,
      principalKind: 'role',
    });

    clock.advance(5);
    const first = await recordElevationVote(
      { grantId: request.grantId, grantHash: request.grantHash, approver: ALICE },
      deps(),
    );
    expect(first).toMatchObject({ outcome: 'recorded', message: 'Approval recorded: 1 of 2.' });
    const second = await recordElevationVote(
      { grantId: request.grantId, grantHash: request.grantHash, approver: BOB },
      deps(),
    );
    expect(second.outcome).toBe('approved');
    expect((await world.store.get(request.grantId))?.approvals.map((a) => a.by.id)).toEqual([
      ALICE.userId,
      BOB.userId,
    ]);
    expect(await rolePolicy('app-billing', request.policyName)).toBeUndefined();

    clock.advance(1);
    const result = await grantElevation(request.grantId, deps());
    expect(result.outcome).toBe('granted');
    expect(await rolePolicy('app-billing', request.policyName)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          ...BUCKET_READ.statements![0],
          Condition: {
            DateGreaterThan: { 'aws:CurrentTime': '2026-12-03T10:00:00Z' },
            DateLessThan: { 'aws:CurrentTime': '2026-12-03T11:30:00Z' },
          },
        },
      ],
    });
    const stored = await world.store.get(request.grantId);
    expect(stored).toMatchObject({
      state: 'granted',
      grantedAt: '2026-12-03T10:06:00.000Z',
      scheduleName: `revoke-${request.grantId}`,
    });
    const revoke = await schedule(`revoke-${request.grantId}`);
    expect(revoke).toMatchObject({
      ScheduleExpression: 'at(2026-12-03T11:30:00)',
      ScheduleExpressionTimezone: 'UTC',
      ActionAfterCompletion: 'DELETE',
      Target: {
        Arn: JIT_FUNCTION_ARN,
        Input: JSON.stringify({ action: 'revoke', grantId: request.grantId }),
      },
    });
    expect(revoke?.Target?.DeadLetterConfig?.Arn).toMatch(/:iam-posture-jit-dlq$/);

    const events = await world.busEvents();
    expect(types(events)).toEqual(['ElevationRequested', 'ElevationApproved', 'ElevationGranted']);
    for (const event of events) {
      expect(event.resources).toEqual([arn]);
      expect(event.detail).toMatchObject({ version: 1, grantId: request.grantId, principalArn: arn });
      expect(JSON.stringify(event.detail)).not.toContain('s3:GetObject');
      expect(JSON.stringify(event.detail)).not.toContain('INC-4711');
    }
  });

  it('is revoked: the policy and the schedule go, and a second revoke changes nothing', async () => {
    const arn = await world.createRole('app-billing');
    const grant = await granted(arn);
    await world.busEvents();

    clock.advance(20);
    const result = await revokeElevation({ grantId: grant.grantId, by: DEV, reason: 'done' }, deps());
    expect(result.outcome).toBe('revoked');
    expect(await rolePolicy('app-billing', grant.policyName)).toBeUndefined();
    expect(await schedule(`revoke-${grant.grantId}`)).toBeUndefined();
    expect(await world.store.get(grant.grantId)).toMatchObject({
      state: 'revoked',
      revokedAt: '2026-12-03T10:20:00.000Z',
      revokedBy: DEV,
      revokeReason: 'done',
    });
    expect(types(await world.busEvents())).toEqual(['ElevationRevoked']);

    const again = await revokeElevation({ grantId: grant.grantId, by: DEV, reason: 'done' }, deps());
    expect(again.outcome).toBe('already-revoked');
    expect(await world.busEvents()).toEqual([]);
  });

  it('refuses an early end from someone who neither asked nor approves', async () => {
    const arn = await world.createRole('app-billing');
    const grant = await granted(arn);
    const by = { kind: 'slack' as const, teamId: TEAM, id: MALLORY.userId };
    const result = await revokeElevation({ grantId: grant.grantId, by, reason: 'done' }, deps());
    expect(result.outcome).toBe('refused');
    expect(await rolePolicy('app-billing', grant.policyName)).toBeDefined();
  });

  it('keeps overlapping grants on one principal independent: revoking one leaves the other', async () => {
    const arn = await world.createRole('app-billing');
    const early = await granted(arn);
    clock.advance(10);
    const late = await granted(arn, { minutes: 120 });
    expect(early.policyName).not.toBe(late.policyName);

    await revokeElevation({ grantId: early.grantId, by: DEV, reason: 'done' }, deps());
    expect(await rolePolicy('app-billing', early.policyName)).toBeUndefined();
    expect(await rolePolicy('app-billing', late.policyName)).toMatchObject({
      Statement: [{ Condition: { DateLessThan: { 'aws:CurrentTime': '2026-12-03T12:10:00Z' } } }],
    });
    expect((await world.store.get(late.grantId))?.state).toBe('granted');
    expect(await schedule(`revoke-${late.grantId}`)).toBeDefined();
  });

  it('grants once when the approval event is delivered twice', async () => {
    const arn = await world.createRole('app-billing');
    const grant = await granted(arn);
    await world.busEvents();
    const again = await grantElevation(grant.grantId, deps());
    expect(again).toMatchObject({ outcome: 'skipped', reason: 'already granted' });
    expect(await world.busEvents()).toEqual([]);
  });
});

describe('votes that do not count', () => {
  it('refuses a hash mismatch, a self-approval and an approver not on the profile, counting none', async () => {
    const arn = await world.createRole('app-billing');
    const request = await requested(arn, { requestedBy: { kind: 'slack', teamId: TEAM, id: ALICE.userId } });

    const stale = await recordElevationVote(
      { grantId: request.grantId, grantHash: 'f'.repeat(64), approver: BOB },
      deps(),
    );
    expect(stale).toMatchObject({ outcome: 'refused', reason: 'hash-mismatch' });
    const self = await recordElevationVote(
      { grantId: request.grantId, grantHash: request.grantHash, approver: ALICE },
      deps(),
    );
    expect(self).toMatchObject({ outcome: 'refused', reason: 'self-approval' });
    const stranger = await recordElevationVote(
      { grantId: request.grantId, grantHash: request.grantHash, approver: MALLORY },
      deps(),
    );
    expect(stranger).toMatchObject({ outcome: 'refused', reason: 'not-an-approver' });

    expect(await world.store.get(request.grantId)).toMatchObject({ state: 'requested', approvals: [] });
    expect(types(await world.busEvents())).toEqual(['ElevationRequested']);
  });

  it('counts one vote per person, and announces the quorum once when two votes race', async () => {
    const arn = await world.createRole('app-billing');
    const request = await requested(arn);
    const vote = (approver: typeof ALICE) =>
      recordElevationVote({ grantId: request.grantId, grantHash: request.grantHash, approver }, deps());
    await vote(ALICE);
    expect(await vote(ALICE)).toMatchObject({ outcome: 'refused', reason: 'already-approved' });

    const [bob, carol] = await Promise.all([vote(BOB), vote(CAROL)]);
    expect([bob.outcome, carol.outcome]).toContain('approved');
    const stored = await world.store.get(request.grantId);
    expect(stored?.state).toBe('approved');
    expect(stored?.approvals.length).toBeGreaterThanOrEqual(2);
    expect(types(await world.busEvents()).filter((t) => t === 'ElevationApproved')).toHaveLength(1);
  });

  it('refuses a vote or a rejection on a request whose profile is no longer configured, or that does not exist', async () => {
    const request = await requested(await world.createRole('app-billing'));
    const withoutProfile = { ...deps(), profiles: PROFILES.filter((p) => p.name !== request.profile) };
    const vote = await recordElevationVote(
      { grantId: request.grantId, grantHash: request.grantHash, approver: ALICE },
      withoutProfile,
    );
    expect(vote).toEqual({
      outcome: 'refused',
      reason: 'unknown-profile',
      message: `The profile ${request.profile} is no longer configured, so nobody can approve this request.`,
    });
    expect(await rejectElevation({ grantId: request.grantId, approver: CAROL }, withoutProfile)).toEqual({
      outcome: 'refused',
      reason: 'unknown-profile',
      message: `The profile ${request.profile} is no longer configured.`,
    });
    expect(await rejectElevation({ grantId: 'no-such-grant', approver: CAROL }, deps())).toMatchObject({
      outcome: 'refused',
      reason: 'unknown-request',
    });
    expect((await world.store.get(request.grantId))?.state).toBe('requested');
  });

  it('lets an approver reject a waiting request, after which it cannot be approved', async () => {
    const arn = await world.createRole('app-billing');
    const request = await requested(arn);
    const stranger = await rejectElevation({ grantId: request.grantId, approver: MALLORY }, deps());
    expect(stranger).toMatchObject({ outcome: 'refused', reason: 'not-an-approver' });
    const rejected = await rejectElevation({ grantId: request.grantId, approver: CAROL }, deps());
    expect(rejected.outcome).toBe('rejected');
    expect(await world.store.get(request.grantId)).toMatchObject({
      state: 'rejected',
      rejectedBy: { kind: 'slack', id: CAROL.userId, teamId: TEAM },
    });
    const late = await recordElevationVote(
      { grantId: request.grantId, grantHash: request.grantHash, approver: BOB },
      deps(),
    );
    expect(late).toMatchObject({ outcome: 'refused', reason: 'not-open' });
    expect(types(await world.busEvents())).toEqual(['ElevationRequested', 'ElevationRejected']);
  });

  it('lets a request nobody approved in time lapse, after which a vote is refused', async () => {
    const arn = await world.createRole('app-billing');
    const request = await requested(arn);
    clock.set('2026-12-03T10:59:59.000Z');
    expect((await lapseRequests(deps())).lapsed).toEqual([]);
    clock.set('2026-12-03T11:00:00.000Z');
    expect((await lapseRequests(deps())).lapsed).toEqual([request.grantId]);
    expect((await world.store.get(request.grantId))?.state).toBe('lapsed');
    const late = await recordElevationVote(
      { grantId: request.grantId, grantHash: request.grantHash, approver: BOB },
      deps(),
    );
    expect(late).toMatchObject({ outcome: 'refused', reason: 'not-open' });
    expect(types(await world.busEvents())).toEqual(['ElevationRequested', 'ElevationLapsed']);
  });
});

describe('requests and grants that cannot be', () => {
  it('refuses a grant that would not fit beside a big inline policy of a user, saying how full it is', async () => {
    await world.createUser('ops-kim');
    const padding = Array.from(
      { length: 60 },
      (_, i) => `arn:aws:s3:::bucket-number-${String(i).padStart(3, '0')}`,
    );
    const big = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:ListBucket', Resource: padding }],
    };
    await world.iam.send(
      new PutUserPolicyCommand({
        UserName: 'ops-kim',
        PolicyName: 'buckets',
        PolicyDocument: JSON.stringify(big),
      }),
    );
    const result = await requestElevation(ask(userArn('ops-kim')), deps());
    expect(result.outcome).toBe('refused');
    if (result.outcome !== 'refused') return;
    expect(result.quota?.limit).toBe(2048);
    expect(result.quota?.used).toBeGreaterThan(2048);
    expect(result.reason).toContain(`${userArn('ops-kim')} has no room for this grant`);
    expect(result.reason).toContain("the user's 1 inline policy already take");
    expect(await world.store.listByState('requested')).toEqual([]);
    expect(await world.busEvents()).toEqual([]);
  });

  it('fails a grant whose principal vanished after the approvals, writing nothing', async () => {
    const arn = await world.createRole('app-gone');
    const request = await requested(arn);
    for (const approver of [ALICE, BOB]) {
      await recordElevationVote({ grantId: request.grantId, grantHash: request.grantHash, approver }, deps());
    }
    await world.iam.send(new DeleteRoleCommand({ RoleName: 'app-gone' }));
    await world.busEvents();

    const result = await grantElevation(request.grantId, deps() satisfies GrantElevationDeps);
    expect(result).toMatchObject({ outcome: 'failed', reason: `${arn} no longer exists` });
    expect(await world.store.get(request.grantId)).toMatchObject({
      state: 'failed',
      failureReason: `${arn} no longer exists`,
    });
    expect(await schedule(`revoke-${request.grantId}`)).toBeUndefined();
    const events = await world.busEvents();
    expect(types(events)).toEqual(['ElevationFailed']);
    expect(events[0]!.detail).toMatchObject({ grantId: request.grantId, policyName: request.policyName });
  });

  it('grants a user under a run-time eligibility and records that it was used', async () => {
    const arn = await world.createUser('contractor-lee');
    expect((await requestElevation(ask(arn), deps())).outcome).toBe('refused');
    await world.store.putEligibility({
      principalArn: arn,
      profile: 'bucket-read',
      accountId: MOTO_ACCOUNT_ID,
      grantedBy: { kind: 'cli', id: 'ops' },
      createdAt: '2026-11-01T00:00:00.000Z',
    });
    const grant = await granted(arn);
    const output = await world.iam.send(
      new GetUserPolicyCommand({ UserName: 'contractor-lee', PolicyName: grant.policyName }),
    );
    expect(JSON.parse(decodeURIComponent(output.PolicyDocument!)).Statement).toHaveLength(1);
    expect(await world.store.listEligibility(MOTO_ACCOUNT_ID)).toEqual([
      expect.objectContaining({ principalArn: arn, lastUsedAt: '2026-12-03T10:00:00.000Z' }),
    ]);
  });

  it('announces break-glass at once and grants it on the requester’s own approval', async () => {
    const arn = await world.createRole('app-billing');
    const result = await requestElevation(
      ask(arn, {
        breakGlass: true,
        minutes: 60,
        reason: 'Production is down and the on-call needs the logs now',
        requestedBy: { kind: 'slack', teamId: TEAM, id: ALICE.userId },
      }),
      deps(),
    );
    expect(result.outcome).toBe('break-glass-granted-pending');
    if (result.outcome === 'refused') return;
    expect(result.request).toMatchObject({ state: 'approved', requiredApprovals: 1, breakGlass: true });
    expect(types(await world.busEvents())).toEqual([
      'ElevationRequested',
      'BreakGlassUsed',
      'ElevationApproved',
    ]);
    expect((await grantElevation(result.request.grantId, deps())).outcome).toBe('granted');
    expect(await rolePolicy('app-billing', result.request.policyName)).toBeDefined();
  });
});
