/**
 * The whole remediation flow on this machine, with the deployed code paths:
 *
 *   scan of a moto-seeded account (run-scan, findings in DynamoDB on moto, events on moto's
 *   EventBridge) -> FindingOpened -> notify handler -> Slack message (to a local stand-in for
 *   Slack's Web API) -> signed click -> Slack interaction handler (Function URL event) -> approval
 *   -> RemediationApproved -> remediate handler -> IAM change on moto -> Slack update -> Undo ->
 *   RollbackRequested -> rollback handler -> IAM back to its before-state.
 *
 * Events travel through moto's EventBridge: a rule with the stack's pattern forwards every
 * iam-posture event to an SQS queue, which the test reads and hands to the function the stack
 * would invoke. The handlers build their AWS clients from the environment (AWS_ENDPOINT_URL),
 * as in Lambda.
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  IAMClient,
  ListAccessKeysCommand,
} from '@aws-sdk/client-iam';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoFindingsStore } from '../../functions/adapters/dynamo-findings-store';
import { DynamoRemediationRequestStore } from '../../functions/adapters/dynamo-remediation-store';
import { EventBridgePublisher } from '../../functions/adapters/event-publisher';
import { createTableInput } from '../../functions/core/findings-table';
import type { RemediationRequest } from '../../functions/core/remediation/request';
import { DEFAULT_SETTINGS } from '../../functions/core/settings';
import { SLACK_ACTION_IDS, type SlackAction } from '../../functions/core/slack/messages';
import { runScan } from '../../functions/use-cases/run-scan';
import { type BusEvent, type BusTap, tapBus } from '../support/bus-tap';
import { lambdaContext } from '../support/lambda';
import { MOTO_ACCOUNT_ID, MOTO_REGION, type MotoServer, startMoto } from '../support/moto';
import { collectMoto } from '../support/moto-collect';
import { iamState } from '../support/remediation-moto';
import { type SlackServer, startSlackServer } from '../support/slack-server';
import { interactionBody, signedSlackEvent } from '../support/slack-url-event';

const TABLE = 'iam-posture-findings';
const BUS = 'iam-posture-events';
const TEAM = 'T0TEAM0001';
const CHANNEL = 'C0SECURITY';
const ALICE = 'U0ALICE001';
const BOB = 'U0BOB00001';
const MALLORY = 'U0MALLORY1';
const SIGNING_SECRET = 'e2e0c1b2a3f4e5d6c7b8a9f0e1d2c3b4';
const BOT_TOKEN = 'xoxb-e2e-bot-token';
const DAY_MS = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY_MS);
/** moto has no service last accessed data (see test/support/moto.ts). */
const SETTINGS = { ...DEFAULT_SETTINGS, disabledRules: ['unused-service-permissions'] };

type Handler<E, R> = (event: E) => Promise<R>;

let moto: MotoServer;
let slack: SlackServer;
let iam: IAMClient;
let dynamo: DynamoDBClient;
let tap: BusTap;
let notify: Handler<BusEvent, { outcome: string }>;
let interact: Handler<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>;
let remediate: Handler<BusEvent, { outcome: string }>;
let rollback: Handler<BusEvent, { outcome: string }>;
const savedEnv = { ...process.env };

/** Every iam-posture event that reached the bus since the last call, in order of arrival. */
const busEvents = () => tap.events();

async function keyStatus(userName: string): Promise<string[]> {
  const keys = (await iam.send(new ListAccessKeysCommand({ UserName: userName }))).AccessKeyMetadata ?? [];
  return keys.map((k) => k.Status!);
}

/** The Function URL event of a click, signed as Slack signs it (or not, with `secret`). */
function clickEvent(
  input: { action: SlackAction; requestId: string; userId: string; messageTs: string },
  options: { secret?: string; timestamp?: number } = {},
): APIGatewayProxyEventV2 {
  const payload = {
    type: 'block_actions',
    team: { id: TEAM, domain: 'example' },
    user: { id: input.userId, username: 'someone', team_id: TEAM },
    api_app_id: 'A0APP00001',
    container: { type: 'message', message_ts: input.messageTs, channel_id: CHANNEL, is_ephemeral: false },
    channel: { id: CHANNEL, name: 'security' },
    message: { type: 'message', ts: input.messageTs, text: '' },
    response_url: `https://hooks.slack.com/actions/${TEAM}/1/abc`,
    actions: [
      {
        type: 'button',
        action_id: SLACK_ACTION_IDS[input.action],
        block_id: 'iam_posture_actions',
        value: input.requestId,
        action_ts: '1.2',
      },
    ],
  };
  return signedSlackEvent(interactionBody(payload), options.secret ?? SIGNING_SECRET, options.timestamp);
}

function ofType(events: BusEvent[], type: string): BusEvent[] {
  return events.filter((e) => e['detail-type'] === type);
}

beforeAll(async () => {
  moto = await startMoto();
  slack = await startSlackServer();
  iam = new IAMClient({ ...moto.clientConfig });
  dynamo = new DynamoDBClient({ ...moto.clientConfig });
  const secrets = new SecretsManagerClient({ ...moto.clientConfig });
  const eventBridge = new EventBridgeClient({ ...moto.clientConfig });

  await dynamo.send(new CreateTableCommand(createTableInput(TABLE)));
  const signing = await secrets.send(
    new CreateSecretCommand({ Name: 'iam-posture/slack-signing-secret', SecretString: SIGNING_SECRET }),
  );
  const token = await secrets.send(
    new CreateSecretCommand({ Name: 'iam-posture/slack-bot-token', SecretString: BOT_TOKEN }),
  );
  await eventBridge.send(new CreateEventBusCommand({ Name: BUS }));
  tap = await tapBus(moto, { busName: BUS, queueName: 'bus-tap' });

  // The functions' environment, as the stack sets it, with AWS and Slack on this machine.
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
    SLACK_CHANNEL_ID: CHANNEL,
    SLACK_APPROVERS: JSON.stringify([
      { teamId: TEAM, userId: ALICE },
      { teamId: TEAM, userId: BOB },
    ]),
    SLACK_API_URL: slack.apiUrl,
    BREAK_GLASS_ARNS: JSON.stringify([`arn:aws:iam::${MOTO_ACCOUNT_ID}:user/emergency`]),
    SCAN_SETTINGS: JSON.stringify(SETTINGS),
  });
  delete process.env.AWS_PROFILE;
  // The deployed handlers, each invoked as Lambda invokes it: with its event and a context.
  const handlers = {
    notify: (await import('../../functions/handlers/notify')).handler,
    interact: (await import('../../functions/handlers/slack-interaction')).handler,
    remediate: (await import('../../functions/handlers/remediate')).handler,
    rollback: (await import('../../functions/handlers/rollback')).handler,
  };
  notify = (event) => handlers.notify(event, lambdaContext('notify'));
  interact = (event) => handlers.interact(event, lambdaContext('slack-interaction'));
  remediate = (event) => handlers.remediate(event, lambdaContext('remediate'));
  rollback = (event) => handlers.rollback(event, lambdaContext('rollback'));
}, 120_000);

afterAll(async () => {
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
  await slack?.stop();
  await moto?.stop();
});

describe('remediation through Slack approval, end to end', () => {
  it('scans, asks in Slack, acts once on a signed approval, updates Slack, and rolls back exactly', async () => {
    // --- an account with an unused key, and a break-glass user's unused key
    for (const userName of ['deploy-bot', 'emergency']) {
      await iam.send(new CreateUserCommand({ UserName: userName }));
      const key = (await iam.send(new CreateAccessKeyCommand({ UserName: userName }))).AccessKey!;
      await moto.backdateUser({ userName, createDate: daysAgo(300) });
      await moto.backdateAccessKey({
        accessKeyId: key.AccessKeyId!,
        createDate: daysAgo(60),
        lastUsedDate: daysAgo(50),
        lastUsedService: 's3',
        lastUsedRegion: 'eu-west-1',
      });
    }
    const deployBotKey = (await iam.send(new ListAccessKeysCommand({ UserName: 'deploy-bot' })))
      .AccessKeyMetadata![0]!.AccessKeyId!;

    // --- scan: findings into DynamoDB, events onto the bus
    const scan = await runScan(
      {
        collect: () => collectMoto(moto, SETTINGS),
        store: new DynamoFindingsStore(new DynamoDBClient({ ...moto.clientConfig }), TABLE),
        events: new EventBridgePublisher(new EventBridgeClient({ ...moto.clientConfig }), {
          eventBusName: BUS,
        }),
        now: () => new Date(),
        randomSuffix: () => 'e2e0',
      },
      { settings: SETTINGS },
    );
    const keyFinding = scan.report.findings.find(
      (f) => f.ruleId === 'access-key-unused' && f.resourceArn.endsWith(':user/deploy-bot'),
    );
    expect(keyFinding?.subResource).toBe(deployBotKey);

    // --- FindingOpened -> notify (as the FindingOpened rule would invoke it)
    const scanEvents = await busEvents();
    const opened = ofType(scanEvents, 'FindingOpened');
    expect(opened.length).toBe(scan.changes.filter((c) => c.kind === 'opened').length);
    expect(ofType(scanEvents, 'ScanCompleted')).toHaveLength(1);
    for (const event of opened) await notify(event);
    // A redelivered event posts nothing twice.
    const redelivered = opened.find((e) => (e.detail.finding as { id: string }).id === keyFinding!.id)!;
    expect(await notify(redelivered)).toEqual({ outcome: 'already-requested' });

    // --- what Slack received: one approval request, one refusal, and a notice (no buttons) for
    // each finding without an automatic remediation, within the hourly budget
    const withoutAction = opened.filter(
      (e) => !(e.detail.finding as { remediation: { action?: string } }).remediation.action,
    ).length;
    expect(withoutAction).toBeGreaterThan(0);
    const posts = slack.calls('chat.postMessage');
    expect(posts).toHaveLength(2 + withoutAction);
    const notices = posts.filter((p) => (p.args.text as string).startsWith('New finding'));
    expect(notices).toHaveLength(withoutAction);
    expect(notices.every((p) => !JSON.stringify(p.args.blocks).includes('"type":"actions"'))).toBe(true);
    expect(posts.every((p) => p.token === BOT_TOKEN && p.args.channel === CHANNEL)).toBe(true);
    // One DynamoDB client per store: a document client writes its options into the client's config.
    const requests = new DynamoRemediationRequestStore(new DynamoDBClient({ ...moto.clientConfig }), TABLE);
    const [pending] = await requests.listByState('pending');
    expect(pending).toBeDefined();
    const requestId = pending!.requestId;
    const approvalPost = posts.find((p) => JSON.stringify(p.args.blocks).includes('"type":"actions"'))!;
    const blocks = approvalPost.args.blocks as {
      type: string;
      text?: { text: string };
      elements?: unknown[];
    }[];
    expect(blocks.map((b) => b.type)).toEqual([
      'header',
      'section',
      'section',
      'section',
      'section',
      'context',
      'actions',
    ]);
    expect(blocks[0]?.text?.text).toBe('Remediation approval requested');
    expect(blocks[1]).toMatchObject({
      fields: expect.arrayContaining([
        {
          type: 'mrkdwn',
          text: `*Resource*\n\`arn:aws:iam::${MOTO_ACCOUNT_ID}:user/deploy-bot\`\n\`${deployBotKey}\``,
        },
      ]),
    });
    expect(blocks[4]?.text?.text).toBe(
      `*Plan*: Deactivate access key ${deployBotKey} of user deploy-bot.\n1. Deactivate access key \`${deployBotKey}\` of user \`deploy-bot\``,
    );
    expect(blocks[6]?.elements).toEqual([
      expect.objectContaining({ action_id: 'iam_posture_approve', value: requestId, style: 'primary' }),
      expect.objectContaining({ action_id: 'iam_posture_reject', value: requestId, style: 'danger' }),
    ]);
    const refusal = posts.find((p) => p !== approvalPost && !notices.includes(p))!;
    expect(JSON.stringify(refusal.args.blocks)).not.toContain('"type":"actions"');
    expect(refusal.args.text).toContain('emergency is a configured break-glass identity.');
    const messageTs = (await requests.get(requestId))!.slack!.ts;
    expect(pending!.slack).toEqual({ channel: CHANNEL, ts: messageTs });

    const before = await iamState(iam);

    // --- clicks that must change nothing: a forged signature, a stranger
    const forged = await interact(
      clickEvent({ action: 'approve', requestId, userId: ALICE, messageTs }, { secret: 'guessed' }),
    );
    expect(forged.statusCode).toBe(401);
    const stranger = await interact(clickEvent({ action: 'approve', requestId, userId: MALLORY, messageTs }));
    expect(stranger.statusCode).toBe(200);
    expect(JSON.parse(stranger.body as string).text).toMatch(/not on the list of iam-posture approvers/);
    expect((await requests.get(requestId))?.state).toBe('pending');
    expect(await busEvents()).toEqual([]);
    expect(await iamState(iam)).toEqual(before);

    // --- Alice approves (and her click is replayed)
    const approve = clickEvent({ action: 'approve', requestId, userId: ALICE, messageTs });
    const answer = await interact(approve);
    expect(answer).toMatchObject({ statusCode: 200 });
    const replay = await interact(approve);
    expect(JSON.parse(replay.body as string).text).toBe(
      'This request is already approved; nothing more was done.',
    );
    const approved = (await requests.get(requestId)) as RemediationRequest;
    expect(approved).toMatchObject({
      state: 'approved',
      approvedBy: { kind: 'slack', id: ALICE, teamId: TEAM },
    });
    const approvalEvents = ofType(await busEvents(), 'RemediationApproved');
    expect(approvalEvents).toHaveLength(1);
    expect(approvalEvents[0]!.detail).toEqual({ version: 1, requestId });
    expect(await iamState(iam)).toEqual(before);
    const approvedUpdate = slack.calls('chat.update').at(-1)!;
    expect(approvedUpdate.args).toMatchObject({ channel: CHANNEL, ts: messageTs });
    expect(JSON.stringify(approvedUpdate.args.blocks)).not.toContain('"type":"actions"');
    expect(JSON.stringify(approvedUpdate.args.blocks)).toContain(`Approved by <@${ALICE}>`);

    // --- the remediation function, as the RemediationApproved rule would invoke it (twice: at least once)
    expect(await remediate(approvalEvents[0]!)).toEqual({ outcome: 'executed' });
    expect(await remediate(approvalEvents[0]!)).toEqual({ outcome: 'skipped' });
    expect(await keyStatus('deploy-bot')).toEqual(['Inactive']);
    expect(await keyStatus('emergency')).toEqual(['Active']);
    expect((await requests.get(requestId))?.state).toBe('executed');
    expect(ofType(await busEvents(), 'RemediationExecuted')).toHaveLength(1);
    const findings = new DynamoFindingsStore(new DynamoDBClient({ ...moto.clientConfig }), TABLE);
    expect((await findings.getStoredFinding(keyFinding!.id))?.status).toBe('remediated');
    const executedUpdate = slack.calls('chat.update').at(-1)!;
    expect(executedUpdate.args.ts).toBe(messageTs);
    const executedBlocks = executedUpdate.args.blocks as {
      type: string;
      text?: { text: string };
      elements?: unknown[];
    }[];
    expect(executedBlocks[0]?.text?.text).toBe('Remediation executed');
    expect(executedBlocks.at(-1)?.elements).toEqual([
      expect.objectContaining({ action_id: 'iam_posture_undo', value: requestId }),
    ]);

    // --- Bob clicks Undo: RollbackRequested -> the rollback function rolls back
    const undo = await interact(clickEvent({ action: 'undo', requestId, userId: BOB, messageTs }));
    expect(undo.statusCode).toBe(200);
    const rollbackEvents = ofType(await busEvents(), 'RollbackRequested');
    expect(rollbackEvents).toHaveLength(1);
    expect(rollbackEvents[0]!.detail).toEqual({
      version: 1,
      requestId,
      requestedBy: { kind: 'slack', id: BOB, teamId: TEAM },
    });
    // Someone able to put events on the bus sends a copy naming Mallory before the real one arrives:
    // the rollback Bob's click authorized happens once, and the audit trail names Bob.
    const forgedRollback = {
      ...rollbackEvents[0]!,
      detail: { ...rollbackEvents[0]!.detail, requestedBy: { kind: 'slack', id: MALLORY, teamId: TEAM } },
    };
    // The acting function never rolls back, whatever reaches it.
    await expect(remediate(rollbackEvents[0]!)).rejects.toThrow(
      'RollbackRequested is handled by the rollback function',
    );
    expect(await keyStatus('deploy-bot')).toEqual(['Inactive']);
    expect(await rollback(forgedRollback)).toEqual({ outcome: 'rolled-back' });
    expect(await rollback(rollbackEvents[0]!)).toEqual({ outcome: 'not-rolled-back' });

    expect(await iamState(iam)).toEqual(before);
    expect(await keyStatus('deploy-bot')).toEqual(['Active']);
    expect(await requests.get(requestId)).toMatchObject({
      state: 'rolled-back',
      rollbackRequestedBy: { kind: 'slack', id: BOB, teamId: TEAM },
      rolledBackBy: { kind: 'slack', id: BOB, teamId: TEAM },
    });
    const rolledBackEvents = ofType(await busEvents(), 'RemediationRolledBack');
    expect(rolledBackEvents).toHaveLength(1);
    expect(rolledBackEvents[0]!.detail).toMatchObject({
      requestId,
      rollbackRequestedBy: { kind: 'slack', id: BOB, teamId: TEAM },
      rolledBackBy: { kind: 'slack', id: BOB, teamId: TEAM },
    });
    expect(JSON.stringify(rolledBackEvents[0]!.detail)).not.toContain(MALLORY);
    expect((await findings.getStoredFinding(keyFinding!.id))?.status).toBe('open');
    const rolledBackUpdate = slack.calls('chat.update').at(-1)!;
    expect(JSON.stringify(rolledBackUpdate.args.blocks)).toContain('Remediation rolled back');
    expect(JSON.stringify(rolledBackUpdate.args.blocks)).not.toContain('"type":"actions"');
    // Every Slack call carried the bot token from Secrets Manager.
    expect(slack.calls().every((call) => call.token === BOT_TOKEN)).toBe(true);
  }, 120_000);
});
