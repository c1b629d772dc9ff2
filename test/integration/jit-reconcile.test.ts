import { GetRolePolicyCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { GetScheduleCommand } from '@aws-sdk/client-scheduler';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoJitStore, MalformedJitItemsError } from '../../functions/adapters/dynamo-jit-store';
import { timeBoundedDocument } from '../../functions/core/jit/grant';
import { grantElevation } from '../../functions/use-cases/grant-elevation';
import type { GrantPolicies } from '../../functions/use-cases/jit-ports';
import { reconcileGrants } from '../../functions/use-cases/reconcile-grants';
import { recordElevationVote } from '../../functions/use-cases/record-elevation-vote';
import { requestElevation } from '../../functions/use-cases/request-elevation';
import {
  ALICE,
  BOB,
  BUCKET_READ,
  DEV,
  type JitWorld,
  jitWorld,
  manualClock,
  SCHEDULE_GROUP,
  TABLE,
} from '../support/jit-moto';
import { MOTO_ACCOUNT_ID, type MotoServer, startMoto } from '../support/moto';

/** The hourly reconciler on moto: what it removes, what it keeps, and what it reports. */

let moto: MotoServer;
let world: JitWorld;
const clock = manualClock('2026-12-03T10:00:00.000Z');
let ids = 0;

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

function deps(policies: GrantPolicies = world.policies, principals: string[] = []) {
  return {
    profiles: [BUCKET_READ],
    store: world.store,
    policies,
    scheduler: world.revokeScheduler,
    events: world.events,
    now: clock.now,
    newGrantId: () => `1111111111111111111111111111${String(++ids).padStart(4, '0')}`,
    requestTtlMinutes: 60,
    principals: async () => principals,
  };
}

async function granted(principalArn: string, minutes: number) {
  const result = await requestElevation(
    {
      profileName: 'bucket-read',
      principalArn,
      minutes,
      reason: 'Reading the incident logs of INC-4711',
      breakGlass: false,
      requestedBy: DEV,
      accountId: MOTO_ACCOUNT_ID,
    },
    deps(),
  );
  if (result.outcome === 'refused') throw new Error(result.reason);
  const { grantId, grantHash } = result.request;
  for (const approver of [ALICE, BOB]) await recordElevationVote({ grantId, grantHash, approver }, deps());
  const grant = await grantElevation(grantId, deps());
  if (grant.outcome !== 'granted') throw new Error(JSON.stringify(grant));
  return grant.request;
}

/** The real grant policies with some operations replaced. */
function withPolicies(changes: Partial<GrantPolicies>): GrantPolicies {
  const real = world.policies;
  return {
    put: (...args) => real.put(...args),
    get: (...args) => real.get(...args),
    delete: (...args) => real.delete(...args),
    listInline: (...args) => real.listInline(...args),
    managedPolicyDocument: (...args) => real.managedPolicyDocument(...args),
    principalExists: (...args) => real.principalExists(...args),
    ...changes,
  };
}

async function policyNames(roleName: string, names: string[]): Promise<string[]> {
  const present: string[] = [];
  for (const name of names) {
    try {
      await world.iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: name }));
      present.push(name);
    } catch (error) {
      if ((error as Error).name !== 'NoSuchEntityException') throw error;
    }
  }
  return present;
}

/** A grant-named policy nobody recorded, with time bounds of its own. */
async function putUnknownGrant(roleName: string, policyName: string): Promise<void> {
  const document = timeBoundedDocument(
    [{ Effect: 'Allow', Action: 'iam:*', Resource: '*' }],
    '2026-12-03T09:00:00Z',
    '2026-12-04T09:00:00Z',
  );
  await world.iam.send(
    new PutRolePolicyCommand({
      RoleName: roleName,
      PolicyName: policyName,
      PolicyDocument: JSON.stringify(document),
    }),
  );
}

describe('reconcileGrants', () => {
  it('removes an expired grant and an unknown one, keeps a live grant and policies of others', async () => {
    const arn = await world.createRole('app-billing');
    const short = await granted(arn, 30);
    const long = await granted(arn, 240);
    await putUnknownGrant('app-billing', 'iam-posture-jit-deadbeef');
    await world.iam.send(
      new PutRolePolicyCommand({
        RoleName: 'app-billing',
        PolicyName: 'team-own',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }],
        }),
      }),
    );
    await world.busEvents();

    clock.set('2026-12-03T10:45:00.000Z');
    const result = await reconcileGrants(deps(world.policies, [arn]));
    expect(result.removed).toEqual(
      expect.arrayContaining([
        { principalArn: arn, policyName: short.policyName, why: 'expired' },
        { principalArn: arn, policyName: 'iam-posture-jit-deadbeef', why: 'unknown-grant' },
      ]),
    );
    expect(result.removed).toHaveLength(2);
    expect(result.expired).toEqual([short.grantId]);
    expect(result.failed).toEqual([]);
    expect(result.unread).toEqual([]);

    expect(
      await policyNames('app-billing', [
        short.policyName,
        long.policyName,
        'iam-posture-jit-deadbeef',
        'team-own',
      ]),
    ).toEqual([long.policyName, 'team-own']);
    expect(await world.store.get(short.grantId)).toMatchObject({
      state: 'revoked',
      revokeReason: 'reconciler',
      revokedBy: { kind: 'system' },
    });
    expect((await world.store.get(long.grantId))?.state).toBe('granted');
    await expect(
      world.scheduler.send(
        new GetScheduleCommand({ Name: `revoke-${short.grantId}`, GroupName: SCHEDULE_GROUP }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    expect((await world.busEvents()).map((e) => e['detail-type'])).toEqual(['ElevationRevoked']);
  });

  it('inspects the principals of live grants even when not told about them', async () => {
    const arn = await world.createRole('app-billing');
    const grant = await granted(arn, 30);
    await putUnknownGrant('app-billing', 'iam-posture-jit-cafe');
    const result = await reconcileGrants(deps(world.policies, []));
    expect(result.removed).toEqual([
      { principalArn: arn, policyName: 'iam-posture-jit-cafe', why: 'unknown-grant' },
    ]);
    expect(await policyNames('app-billing', [grant.policyName])).toEqual([grant.policyName]);
  });

  it('publishes and returns a grant policy it could not remove', async () => {
    const arn = await world.createRole('app-billing');
    await putUnknownGrant('app-billing', 'iam-posture-jit-stuck');
    const denied = withPolicies({
      delete: async () => {
        throw Object.assign(new Error('not authorized to perform iam:DeleteRolePolicy'), {
          name: 'AccessDenied',
        });
      },
    });
    const result = await reconcileGrants(deps(denied, [arn]));
    expect(result.removed).toEqual([]);
    expect(result.failed).toEqual([
      {
        principalArn: arn,
        policyName: 'iam-posture-jit-stuck',
        error: 'AccessDenied: not authorized to perform iam:DeleteRolePolicy',
      },
    ]);
    const events = await world.busEvents();
    expect(events.map((e) => e['detail-type'])).toEqual(['ElevationFailed']);
    expect(events[0]!.detail).toMatchObject({
      grantId: 'stuck',
      principalArn: arn,
      policyName: 'iam-posture-jit-stuck',
      stage: 'reconcile',
      why: 'unknown-grant',
    });
    expect(await policyNames('app-billing', ['iam-posture-jit-stuck'])).toEqual(['iam-posture-jit-stuck']);
  });

  it('reports a principal it could not list as unread, not as clean, and skips one that no longer exists', async () => {
    const arn = await world.createRole('app-billing');
    const gone = 'arn:aws:iam::123456789012:role/app-deleted';
    const unlistable = withPolicies({
      listInline: async (principalArn) => {
        if (principalArn === arn) {
          throw Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
        }
        return world.policies.listInline(principalArn);
      },
    });
    const result = await reconcileGrants(deps(unlistable, [arn, gone]));
    expect(result.unread).toEqual([{ principalArn: arn, error: 'Throttling: Rate exceeded' }]);
  });
});

describe('reconcileGrants and requests left behind', () => {
  it('fails an approval never written before its window ended, and lapses an unanswered request', async () => {
    const arn = await world.createRole('app-billing');
    const ask = (minutes: number) =>
      requestElevation(
        {
          profileName: 'bucket-read',
          principalArn: arn,
          minutes,
          reason: 'Reading the incident logs of INC-4711',
          breakGlass: false,
          requestedBy: DEV,
          accountId: MOTO_ACCOUNT_ID,
        },
        deps(),
      );
    const approved = await ask(30);
    const waiting = await ask(20);
    if (approved.outcome === 'refused' || waiting.outcome === 'refused') throw new Error('refused');
    for (const approver of [ALICE, BOB]) {
      await recordElevationVote(
        { grantId: approved.request.grantId, grantHash: approved.request.grantHash, approver },
        deps(),
      );
    }
    await world.busEvents();

    clock.set('2026-12-03T10:30:00.000Z');
    const result = await reconcileGrants(deps(world.policies, [arn]));
    expect(result.abandoned).toEqual([approved.request.grantId]);
    expect(result.lapsed).toEqual([waiting.request.grantId]);
    expect(await world.store.get(approved.request.grantId)).toMatchObject({
      state: 'failed',
      failureReason: 'the window ended before the grant was written',
    });
    expect((await world.store.get(waiting.request.grantId))?.state).toBe('lapsed');
    expect((await world.busEvents()).map((e) => e['detail-type']).sort()).toEqual([
      'ElevationFailed',
      'ElevationLapsed',
    ]);
  });
});

describe('DynamoJitStore listings with a malformed item', () => {
  it('names the malformed item and keeps the readable ones, or hands it to onMalformed', async () => {
    const arn = await world.createRole('app-billing');
    const grant = await granted(arn, 60);
    const documents = DynamoDBDocumentClient.from(world.dynamo);
    await documents.send(
      new PutCommand({
        TableName: TABLE,
        Item: {
          PK: 'JIT#broken',
          SK: 'GRANT',
          GSI1PK: 'JIT#granted',
          GSI1SK: '2026-12-03T10:30:00Z#broken',
          state: 'granted',
        },
      }),
    );
    const error = await world.store.listByState('granted').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MalformedJitItemsError);
    expect((error as MalformedJitItemsError).message).toMatch(
      /^1 stored elevation item is malformed: JIT#broken \/ GRANT: grantId/,
    );
    expect((error as MalformedJitItemsError).readable).toEqual([
      expect.objectContaining({ grantId: grant.grantId }),
    ]);

    const reported: string[] = [];
    const lenient = new DynamoJitStore(world.dynamo, TABLE, {
      onMalformed: (item) => reported.push(item.key.PK),
    });
    expect((await lenient.listByState('granted')).map((r) => r.grantId)).toEqual([grant.grantId]);
    expect(reported).toEqual(['JIT#broken']);
  });
});
