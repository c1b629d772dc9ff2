/**
 * Just-in-time elevation through the deployed Slack interaction handler, on this machine: signed
 * requests as Slack sends them (slash command, modal submission, button clicks) -> the handler's
 * routes -> DynamoDB, IAM reads and EventBridge on moto, and Slack's Web API on a local stand-in.
 * Every iam-posture event on the bus is forwarded to an SQS queue the test reads, as in the
 * end-to-end remediation test.
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoJitStore } from '../../functions/adapters/dynamo-jit-store';
import { createTableInput } from '../../functions/core/findings-table';
import type { ElevationProfile, ElevationRequest } from '../../functions/core/jit/types';
import { elevationMessage, JIT_MODAL_FIELDS, jitButtonValue } from '../../functions/core/slack/jit-messages';
import { type BusTap, tapBus } from '../support/bus-tap';
import { lambdaContext } from '../support/lambda';
import { MOTO_ACCOUNT_ID, MOTO_REGION, type MotoServer, startMoto } from '../support/moto';
import { type SlackServer, startSlackServer } from '../support/slack-server';
import { signedSlackEvent } from '../support/slack-url-event';

const TABLE = 'iam-posture-findings';
const BUS = 'iam-posture-events';
const TEAM = 'T0TEAM0001';
const JIT_CHANNEL = 'C0JITCHAN1';
const COMMAND_CHANNEL = 'C0GENERAL1';
const REQUESTER = 'U0REQUEST1';
const ALICE = 'U0ALICE001';
const BOB = 'U0BOB00001';
const MALLORY = 'U0MALLORY1';
const SIGNING_SECRET = 'jit0c1b2a3f4e5d6c7b8a9f0e1d2c3b4';
const BOT_TOKEN = 'xoxb-jit-bot-token';
const ROLE_ARN = `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/ops/deployer`;

const ADMIN: ElevationProfile = {
  name: 'admin',
  description: 'Administrator access',
  statements: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
  eligible: [`arn:aws:iam::${MOTO_ACCOUNT_ID}:role/ops/*`],
  maxMinutes: 120,
  approvers: [
    { teamId: TEAM, userId: ALICE },
    { teamId: TEAM, userId: BOB },
  ],
  approvals: 1,
};

let moto: MotoServer;
let slack: SlackServer;
let tap: BusTap;
let store: DynamoJitStore;
let interact: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
const savedEnv = { ...process.env };

/** Every iam-posture event that reached the bus since the last call, in order of arrival. */
const busEvents = () => tap.events();

/** The Function URL event of `raw`, signed as Slack signs it (or with another `secret`). */
function signed(raw: string, secret = SIGNING_SECRET): APIGatewayProxyEventV2 {
  return signedSlackEvent(raw, secret);
}

function slashCommand(userId = REQUESTER): string {
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: TEAM,
    team_domain: 'example',
    channel_id: COMMAND_CHANNEL,
    channel_name: 'general',
    user_id: userId,
    user_name: 'someone',
    command: '/elevate',
    text: ROLE_ARN,
    api_app_id: 'A0APP00001',
    response_url: `https://hooks.slack.com/commands/${TEAM}/1/abc`,
    trigger_id: '13345224609.738474920.8088930838d88f008e0',
  }).toString();
}

function submission(viewId: string, form: { duration: string; reason: string }): string {
  const payload = {
    type: 'view_submission',
    team: { id: TEAM, domain: 'example' },
    user: { id: REQUESTER, username: 'requester', team_id: TEAM },
    api_app_id: 'A0APP00001',
    trigger_id: '13345224609.738474920.submit',
    view: {
      id: viewId,
      team_id: TEAM,
      type: 'modal',
      callback_id: 'iam_posture_jit_request',
      private_metadata: COMMAND_CHANNEL,
      hash: '156772938.1827394',
      state: {
        values: {
          [JIT_MODAL_FIELDS.profile]: {
            [JIT_MODAL_FIELDS.profile]: {
              type: 'static_select',
              selected_option: { text: { type: 'plain_text', text: 'admin' }, value: 'admin' },
            },
          },
          [JIT_MODAL_FIELDS.principal]: {
            [JIT_MODAL_FIELDS.principal]: { type: 'plain_text_input', value: ROLE_ARN },
          },
          [JIT_MODAL_FIELDS.duration]: {
            [JIT_MODAL_FIELDS.duration]: { type: 'plain_text_input', value: form.duration },
          },
          [JIT_MODAL_FIELDS.reason]: {
            [JIT_MODAL_FIELDS.reason]: { type: 'plain_text_input', value: form.reason },
          },
          [JIT_MODAL_FIELDS.breakGlass]: {
            [JIT_MODAL_FIELDS.breakGlass]: { type: 'checkboxes', selected_options: [] },
          },
        },
      },
    },
  };
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

function click(action: 'approve' | 'reject' | 'done', userId: string, request: ElevationRequest): string {
  const ts = request.slack?.ts ?? '1717200000.000100';
  const payload = {
    type: 'block_actions',
    team: { id: TEAM, domain: 'example' },
    user: { id: userId, username: 'someone', team_id: TEAM },
    api_app_id: 'A0APP00001',
    trigger_id: '13345224609.738474920.click',
    container: { type: 'message', message_ts: ts, channel_id: JIT_CHANNEL, is_ephemeral: false },
    channel: { id: JIT_CHANNEL, name: 'jit' },
    message: { type: 'message', ts, text: '' },
    response_url: `https://hooks.slack.com/actions/${TEAM}/1/abc`,
    actions: [
      {
        type: 'button',
        action_id: `iam_posture_jit_${action}`,
        block_id: 'iam_posture_jit_actions',
        value: jitButtonValue(request),
        action_ts: '1.2',
      },
    ],
  };
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

beforeAll(async () => {
  moto = await startMoto();
  slack = await startSlackServer();
  const dynamo = new DynamoDBClient({ ...moto.clientConfig });
  const secrets = new SecretsManagerClient({ ...moto.clientConfig });
  const eventBridge = new EventBridgeClient({ ...moto.clientConfig });
  await dynamo.send(new CreateTableCommand(createTableInput(TABLE)));
  await new IAMClient({ ...moto.clientConfig }).send(
    new CreateRoleCommand({
      RoleName: 'deployer',
      Path: '/ops/',
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      }),
    }),
  );
  const signing = await secrets.send(
    new CreateSecretCommand({ Name: 'iam-posture/slack-signing-secret', SecretString: SIGNING_SECRET }),
  );
  const token = await secrets.send(
    new CreateSecretCommand({ Name: 'iam-posture/slack-bot-token', SecretString: BOT_TOKEN }),
  );
  await eventBridge.send(new CreateEventBusCommand({ Name: BUS }));
  tap = await tapBus(moto, { busName: BUS, queueName: 'jit-tap' });
  store = new DynamoJitStore(dynamo, TABLE);

  // The interaction function's environment as the stack sets it, with AWS and Slack on this machine.
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_REGION: MOTO_REGION,
    AWS_ACCESS_KEY_ID: moto.clientConfig.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: moto.clientConfig.credentials.secretAccessKey,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    FINDINGS_TABLE_NAME: TABLE,
    EVENT_BUS_NAME: BUS,
    SLACK_SIGNING_SECRET_ARN: signing.ARN!,
    SLACK_BOT_TOKEN_SECRET_ARN: token.ARN!,
    SLACK_APPROVERS: JSON.stringify([{ teamId: TEAM, userId: ALICE }]),
    SLACK_API_URL: slack.apiUrl,
    JIT_PROFILES: JSON.stringify([ADMIN]),
    JIT_SLASH_COMMAND: '/elevate',
    JIT_CHANNEL_ID: JIT_CHANNEL,
    JIT_REQUEST_TTL_MINUTES: '60',
  });
  delete process.env.AWS_PROFILE;
  const { handler } = await import('../../functions/handlers/slack-interaction');
  interact = (event) => handler(event, lambdaContext('slack-interaction'));
}, 120_000);

afterAll(async () => {
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
  await slack?.stop();
  await moto?.stop();
});

describe('just-in-time elevation through the Slack interaction endpoint', () => {
  it('refuses an unsigned slash command without opening anything', async () => {
    const response = await interact(signed(slashCommand(), 'guessed-secret'));
    expect(response.statusCode).toBe(401);
    expect(slack.calls('views.open')).toEqual([]);
  });

  it('opens the request modal for /elevate with the trigger id, the principal filled in', async () => {
    const response = await interact(signed(slashCommand()));
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('');
    const [call] = slack.calls('views.open');
    expect(call?.token).toBe(BOT_TOKEN);
    expect(call?.args.trigger_id).toBe('13345224609.738474920.8088930838d88f008e0');
    const view = call?.args.view as {
      callback_id: string;
      private_metadata: string;
      blocks: { element: Record<string, unknown> }[];
    };
    expect(view.callback_id).toBe('iam_posture_jit_request');
    expect(view.private_metadata).toBe(COMMAND_CHANNEL);
    expect(view.blocks[1]?.element.initial_value).toBe(ROLE_ARN);
  });

  it('answers a modal over the profile’s cap with the error next to the duration, storing nothing', async () => {
    const response = await interact(
      signed(submission('V0TOOLONG1', { duration: '3h', reason: 'Deploy hotfix' })),
    );
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body ?? '')).toEqual({
      response_action: 'errors',
      errors: { iam_posture_jit_duration: 'admin lasts at most 2h.' },
    });
    expect(await store.listByState('requested')).toEqual([]);
  });

  it('stores a submitted request, posts it to the JIT channel, and two approvals publish ElevationApproved', async () => {
    await busEvents();
    slack.reset();
    const response = await interact(
      signed(submission('V0REQUEST1', { duration: '1h', reason: 'Deploy hotfix 1.2.3' })),
    );
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body ?? '')).toEqual({ response_action: 'clear' });

    const [requested] = await store.listByState('requested');
    expect(requested).toMatchObject({
      profile: 'admin',
      principalArn: ROLE_ARN,
      principalKind: 'role',
      accountId: MOTO_ACCOUNT_ID,
      reason: 'Deploy hotfix 1.2.3',
      // Admin-equivalent statements need two approvals, whatever the profile says.
      requiredApprovals: 2,
      requestedBy: { kind: 'slack', id: REQUESTER, teamId: TEAM },
      slack: { channel: JIT_CHANNEL, ts: '1717200000.000100' },
    });
    expect(Date.parse(requested!.endsAt) - Date.parse(requested!.startsAt)).toBe(3_600_000);
    const [post] = slack.calls('chat.postMessage');
    expect(post?.token).toBe(BOT_TOKEN);
    expect(post?.args.channel).toBe(JIT_CHANNEL);
    expect(post?.args.blocks).toEqual(elevationMessage({ ...requested!, slack: undefined }).blocks);
    const afterRequest = await busEvents();
    expect(afterRequest.map((e) => e['detail-type'])).toEqual(['ElevationRequested']);
    expect(afterRequest[0]?.detail).toMatchObject({ grantId: requested!.grantId, principalArn: ROLE_ARN });

    // Submitted again (Slack had no answer in time): the same request, not a second one.
    const again = await interact(
      signed(submission('V0REQUEST1', { duration: '1h', reason: 'Deploy hotfix 1.2.3' })),
    );
    expect(JSON.parse(again.body ?? '')).toEqual({ response_action: 'clear' });
    expect(await store.listByState('requested')).toHaveLength(1);

    // Neither the requester nor someone off the profile can approve.
    await interact(signed(click('approve', REQUESTER, requested!)));
    await interact(signed(click('approve', MALLORY, requested!)));
    expect((await store.get(requested!.grantId))?.approvals).toEqual([]);
    expect(slack.calls('chat.postEphemeral').map((c) => c.args.user)).toEqual([REQUESTER, MALLORY]);

    expect((await interact(signed(click('approve', ALICE, requested!)))).statusCode).toBe(200);
    expect((await store.get(requested!.grantId))?.approvals.map((a) => a.by.id)).toEqual([ALICE]);
    expect(await busEvents()).toEqual([]);

    await interact(signed(click('approve', BOB, requested!)));
    const approved = await store.get(requested!.grantId);
    expect(approved?.state).toBe('approved');
    const events = await busEvents();
    expect(events.map((e) => e['detail-type'])).toEqual(['ElevationApproved']);
    expect(events[0]).toMatchObject({
      source: 'iam-posture',
      detail: { version: 1, grantId: requested!.grantId },
    });
    // The one message follows the request: updated in place, now approved.
    const update = slack.calls('chat.update').at(-1);
    expect(update?.args).toMatchObject({ channel: JIT_CHANNEL, ts: '1717200000.000100' });
    expect(update?.args.blocks).toEqual(elevationMessage(approved!).blocks);
  });

  it('asks the JIT function to end a grant early when the requester clicks Done', async () => {
    const [approved] = await store.listByState('approved');
    await store.transition(approved!.grantId, 'approved', 'granted', { grantedAt: new Date().toISOString() });
    await busEvents();
    const response = await interact(signed(click('done', REQUESTER, approved!)));
    expect(response.statusCode).toBe(200);
    const events = await busEvents();
    expect(events.map((e) => e['detail-type'])).toEqual(['ElevationRevokeRequested']);
    expect(events[0]?.detail).toMatchObject({
      grantId: approved!.grantId,
      by: { kind: 'slack', id: REQUESTER, teamId: TEAM },
    });
    // The endpoint changes nothing itself: the JIT function revokes.
    expect((await store.get(approved!.grantId))?.state).toBe('granted');
  });
});
