import { randomUUID } from 'node:crypto';
import { GetRolePolicyCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { GetScheduleCommand } from '@aws-sdk/client-scheduler';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { JIT_ENV_KEYS } from '../../functions/core/jit/config';
import { parseJitFunctionConfig } from '../../functions/core/jit/function-config';
import type { ElevationProfile } from '../../functions/core/jit/types';
import {
  jitElevationEnvironment,
  parseJitElevationConfig,
} from '../../functions/core/jit-elevation-function-config';
import { createHandler, InvalidJitEventError } from '../../functions/handlers/jit';
import { recordElevationVote } from '../../functions/use-cases/record-elevation-vote';
import { requestElevation } from '../../functions/use-cases/request-elevation';
import { jitWiring } from '../../functions/wiring/jit';
import {
  ALICE,
  BOB,
  BUCKET_READ,
  BUS,
  DEV,
  JIT_FUNCTION_ARN,
  type JitWorld,
  jitWorld,
  roleArn,
  SCHEDULE_GROUP,
  TABLE,
} from '../support/jit-moto';
import { lambdaContext } from '../support/lambda';
import { MOTO_ACCOUNT_ID, type MotoServer, startMoto } from '../support/moto';
import { type SlackServer, startSlackServer } from '../support/slack-server';

/**
 * The JIT function end to end on moto, through its wiring and its environment: a request approved
 * by two people publishes ElevationApproved; that event, as the bus delivers it, makes the handler
 * write the grant and its revoke schedule; the schedule's own input makes it revoke; the hourly
 * input removes a grant policy nobody recorded.
 */

/** The bucket profile, plus one exact principal the reconciler always inspects. */
const PROFILE: ElevationProfile = {
  ...BUCKET_READ,
  eligible: [...BUCKET_READ.eligible, roleArn('batch-exact')],
};

let moto: MotoServer;
let slack: SlackServer;
let world: JitWorld;

beforeAll(async () => {
  moto = await startMoto();
  slack = await startSlackServer();
}, 60_000);

afterAll(async () => {
  world?.destroy();
  await slack?.stop();
  await moto?.stop();
});

beforeEach(async () => {
  world?.destroy();
  await moto.reset();
  slack.reset();
  world = await jitWorld(moto);
});

/** The function's environment as the construct writes it (the Slack part aside). */
function environment(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...extra,
    [JIT_ENV_KEYS.profiles]: JSON.stringify([PROFILE]),
    [JIT_ENV_KEYS.requestTtlMinutes]: '60',
    ...jitElevationEnvironment({
      findingsTableName: TABLE,
      eventBusName: BUS,
      scheduleGroup: SCHEDULE_GROUP,
      schedulerRoleArn: roleArn('iam-posture-scheduler'),
      deadLetterArn: `arn:aws:sqs:${moto.clientConfig.region}:${MOTO_ACCOUNT_ID}:iam-posture-jit-dlq`,
    }),
  };
}

/** The handler as deployed, over moto: its operations built from the environment and the context. */
function motoHandler(extra: Record<string, string> = {}) {
  const env = environment(extra);
  return createHandler((context) =>
    jitWiring(
      { ...moto.clientConfig },
      { elevation: parseJitElevationConfig(env), jit: parseJitFunctionConfig(env) },
      context.invokedFunctionArn,
    ),
  );
}

/** Invoked through an alias: the schedules still target the function itself. */
const context = () => ({
  ...lambdaContext('iam-posture-jit'),
  invokedFunctionArn: `${JIT_FUNCTION_ARN}:live`,
});

async function rolePolicy(
  roleName: string,
  policyName: string,
): Promise<Record<string, unknown> | undefined> {
  try {
    const output = await world.iam.send(
      new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }),
    );
    return JSON.parse(decodeURIComponent(output.PolicyDocument!)) as Record<string, unknown>;
  } catch (error) {
    if ((error as Error).name === 'NoSuchEntityException' || (error as Error).name === 'NoSuchEntity')
      return undefined;
    throw error;
  }
}

async function approvedRequest(principalArn: string) {
  const now = () => new Date();
  const requested = await requestElevation(
    {
      profileName: PROFILE.name,
      principalArn,
      minutes: 60,
      reason: 'rotate the log bucket lifecycle',
      breakGlass: false,
      requestedBy: DEV,
      accountId: MOTO_ACCOUNT_ID,
    },
    {
      profiles: [PROFILE],
      store: world.store,
      policies: world.policies,
      events: world.events,
      now,
      newGrantId: randomUUID,
      requestTtlMinutes: 60,
    },
  );
  if (requested.outcome === 'refused') throw new Error(`refused: ${requested.reason}`);
  for (const approver of [ALICE, BOB]) {
    const vote = await recordElevationVote(
      { grantId: requested.request.grantId, grantHash: requested.request.grantHash, approver },
      { profiles: [PROFILE], store: world.store, events: world.events, now },
    );
    if (vote.outcome === 'refused') throw new Error(`vote refused: ${vote.message}`);
  }
  return requested.request;
}

describe('the JIT function on moto', () => {
  it('grants on the ElevationApproved event the bus delivers, then revokes on its schedule’s input', async () => {
    const arn = await world.createRole('app-web');
    const request = await approvedRequest(arn);
    const approved = (await world.busEvents()).filter((e) => e['detail-type'] === 'ElevationApproved');
    expect(approved.map((e) => e.detail.grantId)).toEqual([request.grantId]);

    const handler = motoHandler();
    await expect(handler(approved[0], context())).resolves.toEqual({
      kind: 'grant',
      grantId: request.grantId,
      outcome: 'granted',
    });
    const document = await rolePolicy('app-web', request.policyName);
    expect(document?.Statement).toEqual(
      PROFILE.statements!.map((statement) => ({
        ...statement,
        Condition: {
          DateGreaterThan: { 'aws:CurrentTime': request.startsAt },
          DateLessThan: { 'aws:CurrentTime': request.endsAt },
        },
      })),
    );
    expect((await world.store.get(request.grantId))?.state).toBe('granted');

    // The schedule targets this function (from the Lambda context), with the role of the environment.
    const stored = await world.store.get(request.grantId);
    const schedule = await world.scheduler.send(
      new GetScheduleCommand({ Name: stored!.scheduleName!, GroupName: SCHEDULE_GROUP }),
    );
    expect(schedule.ScheduleExpression).toBe(`at(${request.endsAt.slice(0, 19)})`);
    expect(schedule.Target?.Arn).toBe(JIT_FUNCTION_ARN);
    expect(schedule.Target?.RoleArn).toBe(roleArn('iam-posture-scheduler'));
    const input = JSON.parse(schedule.Target!.Input!) as unknown;
    expect(input).toEqual({ action: 'revoke', grantId: request.grantId });

    // A second delivery of the approval does nothing more.
    await expect(handler(approved[0], context())).resolves.toMatchObject({ outcome: 'skipped' });

    await expect(handler(input, context())).resolves.toEqual({
      kind: 'revoke',
      grantId: request.grantId,
      outcome: 'revoked',
    });
    expect(await rolePolicy('app-web', request.policyName)).toBeUndefined();
    const revoked = await world.store.get(request.grantId);
    expect(revoked).toMatchObject({
      state: 'revoked',
      revokeReason: 'expired',
      revokedBy: { kind: 'system' },
    });
    await expect(
      world.scheduler.send(
        new GetScheduleCommand({ Name: stored!.scheduleName!, GroupName: SCHEDULE_GROUP }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    const types = (await world.busEvents()).map((e) => e['detail-type']);
    expect(types).toEqual(expect.arrayContaining(['ElevationGranted', 'ElevationRevoked']));

    // The schedule firing again (a retry) is a no-op.
    await expect(handler(input, context())).resolves.toMatchObject({ outcome: 'already-revoked' });
  }, 60_000);

  it('ends a grant early on ElevationRevokeRequested, as the person who asked', async () => {
    const arn = await world.createRole('app-api');
    const request = await approvedRequest(arn);
    const handler = motoHandler();
    await handler(
      { source: 'iam-posture', 'detail-type': 'ElevationApproved', detail: { grantId: request.grantId } },
      context(),
    );
    expect(await rolePolicy('app-api', request.policyName)).toBeDefined();
    const by = { kind: 'slack', id: DEV.id, teamId: DEV.teamId };
    await expect(
      handler(
        {
          source: 'iam-posture',
          'detail-type': 'ElevationRevokeRequested',
          detail: { grantId: request.grantId, by },
        },
        context(),
      ),
    ).resolves.toMatchObject({ outcome: 'revoked' });
    expect(await rolePolicy('app-api', request.policyName)).toBeUndefined();
    expect(await world.store.get(request.grantId)).toMatchObject({ state: 'revoked', revokeReason: 'done' });
  }, 60_000);

  it('removes an unrecorded grant policy from an eligible principal on the hourly input, and keeps a live one', async () => {
    await world.createRole('batch-exact');
    const stray = 'iam-posture-jit-0badc0de';
    await world.iam.send(
      new PutRolePolicyCommand({
        RoleName: 'batch-exact',
        PolicyName: stray,
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
        }),
      }),
    );
    const arn = await world.createRole('app-live');
    const live = await approvedRequest(arn);
    const handler = motoHandler();
    await handler(
      { source: 'iam-posture', 'detail-type': 'ElevationApproved', detail: { grantId: live.grantId } },
      context(),
    );

    await expect(handler({ action: 'reconcile' }, context())).resolves.toEqual({
      kind: 'reconcile',
      lapsed: 0,
      removed: 1,
      expired: 0,
    });
    expect(await rolePolicy('batch-exact', stray)).toBeUndefined();
    expect(await rolePolicy('app-live', live.policyName)).toBeDefined();
  }, 60_000);

  it('announces each step in the JIT channel with the bot token when Slack is configured', async () => {
    const secrets = new SecretsManagerClient({ ...moto.clientConfig });
    const token = await secrets.send(
      new CreateSecretCommand({ Name: 'iam-posture/slack-bot-token', SecretString: 'xoxb-jit-test' }),
    );
    secrets.destroy();
    const handler = motoHandler({
      JIT_CHANNEL_ID: 'C0JITCHAN1',
      SLACK_BOT_TOKEN_SECRET_ARN: token.ARN!,
      SLACK_API_URL: slack.apiUrl,
    });
    const arn = await world.createRole('app-web');
    const request = await approvedRequest(arn);
    await handler(
      { source: 'iam-posture', 'detail-type': 'ElevationApproved', detail: { grantId: request.grantId } },
      context(),
    );
    await expect(
      handler(
        { source: 'iam-posture', 'detail-type': 'ElevationGranted', detail: { grantId: request.grantId } },
        context(),
      ),
    ).resolves.toEqual({ kind: 'announce', grantId: request.grantId, outcome: 'announced' });
    const posts = slack.calls('chat.postMessage');
    expect(posts.map((p) => [p.token, p.args.channel])).toEqual([['xoxb-jit-test', 'C0JITCHAN1']]);
    expect((await world.store.get(request.grantId))?.slack?.channel).toBe('C0JITCHAN1');

    // The next step updates that message in place.
    await handler({ action: 'revoke', grantId: request.grantId }, context());
    await handler(
      { source: 'iam-posture', 'detail-type': 'ElevationRevoked', detail: { grantId: request.grantId } },
      context(),
    );
    expect(slack.calls('chat.postMessage')).toHaveLength(1);
    expect(slack.calls('chat.update').map((c) => c.args.channel)).toEqual(['C0JITCHAN1']);
  }, 60_000);

  it('refuses a malformed event before touching anything', async () => {
    const arn = await world.createRole('app-web');
    const request = await approvedRequest(arn);
    const handler = motoHandler();
    await expect(
      handler(
        { source: 'iam-posture', 'detail-type': 'ElevationApproved', detail: { grant: request.grantId } },
        context(),
      ),
    ).rejects.toThrow(InvalidJitEventError);
    expect((await world.store.get(request.grantId))?.state).toBe('approved');
    expect(await rolePolicy('app-web', request.policyName)).toBeUndefined();
  }, 60_000);
});
