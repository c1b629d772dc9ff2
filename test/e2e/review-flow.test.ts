/**
 * Entitlement reviews in Slack on this machine, with the deployed code paths:
 *
 *   scan of a moto-seeded account -> due campaign started (what the scan function does after a
 *   scan) -> ReviewCampaignStarted on moto's EventBridge -> review function -> the owner's review
 *   as a direct message (to a local stand-in for Slack's Web API) -> signed clicks and modal
 *   submissions -> Slack interaction function (Function URL events) -> keep (attestation), reduce
 *   (a remediation request posted for approval), not mine (the item moves to the new owner, whose
 *   review is posted) -> the daily advance -> reminder, escalation, ReviewOverdue.
 *
 * Events travel through moto's EventBridge to an SQS queue the test reads, as in the remediation
 * flow. The handlers build their AWS clients from the environment (AWS_ENDPOINT_URL), as in Lambda.
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoFindingsStore } from '../../functions/adapters/dynamo-findings-store';
import { DynamoRemediationRequestStore } from '../../functions/adapters/dynamo-remediation-store';
import { DynamoReviewMessageLog } from '../../functions/adapters/dynamo-review-messages';
import { DynamoReviewStore } from '../../functions/adapters/dynamo-review-store';

import { createTableInput } from '../../functions/core/findings-table';
import type { ReviewCampaign, ReviewItem } from '../../functions/core/review/types';
import { DEFAULT_SETTINGS } from '../../functions/core/settings';
import { REVIEW_ACTION_IDS, REVIEW_VIEW_IDS } from '../../functions/core/slack/review-messages';
import { runScan } from '../../functions/use-cases/run-scan';
import { reviewsAfterScan } from '../../functions/wiring/review';
import { type BusEvent, type BusTap, tapBus } from '../support/bus-tap';
import { lambdaContext } from '../support/lambda';
import { MOTO_ACCOUNT_ID, MOTO_REGION, type MotoServer, startMoto } from '../support/moto';
import { collectMoto } from '../support/moto-collect';
import { type SlackCall, type SlackServer, startSlackServer } from '../support/slack-server';
import { interactionBody, signedSlackEvent } from '../support/slack-url-event';

const TABLE = 'iam-posture-findings';
const BUS = 'iam-posture-events';
const TEAM = 'T0TEAM0001';
const CHANNEL = 'C0SECURITY';
const ESCALATION = 'C0ESCALATE';
const ALICE = 'U0ALICE001';
const BOB = 'U0BOB00001';
const APPROVER = 'U0APPROVE1';
const MALLORY = 'U0MALLORY1';
const SIGNING_SECRET = 'e2e0c1b2a3f4e5d6c7b8a9f0e1d2c3b4';
const BOT_TOKEN = 'xoxb-e2e-bot-token';
const DAY_MS = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY_MS);
const OWNER_SLACK = { 'team-payments': ALICE, 'team-data': BOB };
const SETTINGS = {
  ...DEFAULT_SETTINGS,
  // moto has no service last accessed data (see test/support/moto.ts).
  disabledRules: ['unused-service-permissions'],
  ownership: {
    tagKeys: ['owner'],
    patterns: [{ arn: `arn:aws:iam::${MOTO_ACCOUNT_ID}:user/*`, owner: 'team-payments' }],
  },
};
const REVIEWS = {
  enabled: true,
  rhythms: [{ name: 'quarterly', every: 'quarterly' as const, scope: 'all' as const }],
  deadlineDays: 14,
  remindBeforeDays: 3,
  attestationDays: 90,
  reviewers: [],
};

type Handler<E, R> = (event: E) => Promise<R>;

let moto: MotoServer;
let slack: SlackServer;
let dynamo: DynamoDBClient;
let tap: BusTap;
let review: Handler<unknown, Record<string, unknown>>;
let interact: Handler<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>;
const savedEnv = { ...process.env };

/** Every iam-posture event that reached the bus since the last call, in order of arrival. */
const busEvents = () => tap.events();

const ofType = (events: BusEvent[], type: string) => events.filter((e) => e['detail-type'] === type);

/** A Function URL event carrying `payload`, signed as Slack signs it. */
function signed(payload: Record<string, unknown>): APIGatewayProxyEventV2 {
  return signedSlackEvent(interactionBody(payload), SIGNING_SECRET);
}

/** A click on a button of the message at `message`. */
function click(
  userId: string,
  button: { action_id: string; value: string },
  message: { channel: string; ts: string },
) {
  return signed({
    type: 'block_actions',
    team: { id: TEAM, domain: 'example' },
    user: { id: userId, username: 'someone', team_id: TEAM },
    api_app_id: 'A0APP00001',
    trigger_id: `trigger.${Math.random().toString(36).slice(2)}`,
    container: { type: 'message', message_ts: message.ts, channel_id: message.channel, is_ephemeral: false },
    channel: { id: message.channel, name: 'directmessage' },
    message: { type: 'message', ts: message.ts, text: '' },
    response_url: `https://hooks.slack.com/actions/${TEAM}/1/abc`,
    actions: [{ type: 'button', block_id: 'b', action_ts: '1.2', ...button }],
  });
}

/** The submission of the modal `view` (as views.open received it), with `values`. */
function submission(userId: string, view: Record<string, unknown>, values: Record<string, unknown>) {
  return signed({
    type: 'view_submission',
    team: { id: TEAM, domain: 'example' },
    user: { id: userId, username: 'someone', name: 'someone', team_id: TEAM },
    api_app_id: 'A0APP00001',
    trigger_id: '123.456.def',
    view: {
      id: 'V0VIEW0001',
      type: 'modal',
      callback_id: view.callback_id,
      private_metadata: view.private_metadata,
      state: { values },
      hash: '1717200000.abcdef',
    },
    response_urls: [],
  });
}

type Block = {
  type: string;
  block_id?: string;
  elements?: { action_id: string; value: string }[];
  text?: { text: string };
};

/** The buttons of the identity named `name` in a posted review. */
function buttonsOf(call: SlackCall, name: string): Record<string, { action_id: string; value: string }> {
  const blocks = call.args.blocks as Block[];
  const at = blocks.findIndex(
    (b) => b.type === 'section' && b.block_id?.startsWith('item_') && b.text?.text.includes(`\`${name}\``),
  );
  expect(at, `${name} is in the review`).toBeGreaterThanOrEqual(0);
  const actions = blocks.slice(at).find((b) => b.type === 'actions');
  const byId = Object.fromEntries((actions?.elements ?? []).map((e) => [e.action_id, e]));
  return byId;
}

const lastCall = (method: string) => slack.calls(method).at(-1)!;
const json = (response: APIGatewayProxyStructuredResultV2) =>
  response.body ? JSON.parse(response.body as string) : undefined;

beforeAll(async () => {
  moto = await startMoto();
  slack = await startSlackServer();
  dynamo = new DynamoDBClient({ ...moto.clientConfig });
  const secrets = new SecretsManagerClient({ ...moto.clientConfig });
  const eventBridge = new EventBridgeClient({ ...moto.clientConfig });
  await dynamo.send(new CreateTableCommand(createTableInput(TABLE)));
  const signing = await secrets.send(
    new CreateSecretCommand({ Name: 'slack-signing', SecretString: SIGNING_SECRET }),
  );
  const token = await secrets.send(new CreateSecretCommand({ Name: 'slack-bot', SecretString: BOT_TOKEN }));
  await eventBridge.send(new CreateEventBusCommand({ Name: BUS }));
  tap = await tapBus(moto, { busName: BUS, queueName: 'review-tap' });

  // The two functions' environments, as the stack sets them (the interaction function holds the
  // variables of the remediation buttons and of the review route).
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
    SLACK_APPROVERS: JSON.stringify([{ teamId: TEAM, userId: APPROVER }]),
    SLACK_API_URL: slack.apiUrl,
    REVIEWS_ENABLED: 'true',
    OWNER_SLACK_TARGETS: JSON.stringify(OWNER_SLACK),
    REVIEW_ATTESTATION_DAYS: '90',
    REVIEW_ESCALATION_CHANNEL: ESCALATION,
    SLACK_CHANNEL_ID: CHANNEL,
  });
  delete process.env.AWS_PROFILE;
  const handlers = {
    review: (await import('../../functions/handlers/review')).handler,
    interact: (await import('../../functions/handlers/slack-interaction')).handler,
  };
  review = (event) => handlers.review(event, lambdaContext('review')) as Promise<Record<string, unknown>>;
  interact = (event) => handlers.interact(event, lambdaContext('slack-interaction'));
}, 120_000);

afterAll(async () => {
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
  await slack?.stop();
  await moto?.stop();
});

describe('entitlement reviews through Slack, end to end', () => {
  it('starts after a scan, asks the owner, and records keep, reduce and not mine from signed clicks', async () => {
    // --- an account with three machine users of team-payments; deploy-bot's key is unused
    const iam = new IAMClient({ ...moto.clientConfig });
    for (const userName of ['deploy-bot', 'report-bot', 'etl-bot']) {
      await iam.send(new CreateUserCommand({ UserName: userName }));
      const key = (await iam.send(new CreateAccessKeyCommand({ UserName: userName }))).AccessKey!;
      await moto.backdateUser({ userName, createDate: daysAgo(300) });
      await moto.backdateAccessKey({
        accessKeyId: key.AccessKeyId!,
        createDate: daysAgo(60),
        lastUsedDate: userName === 'deploy-bot' ? daysAgo(50) : daysAgo(1),
        lastUsedService: 's3',
        lastUsedRegion: 'eu-west-1',
      });
    }

    // --- the scan, then what the scan function does after it: start the due campaigns
    const scan = await runScan(
      {
        collect: () => collectMoto(moto, SETTINGS),
        store: new DynamoFindingsStore(new DynamoDBClient({ ...moto.clientConfig }), TABLE),
        now: () => new Date(),
        randomSuffix: () => 'e2e0',
      },
      { settings: SETTINGS },
    );
    expect(
      scan.report.findings.some(
        (f) => f.ruleId === 'access-key-unused' && f.resourceArn.endsWith('/deploy-bot'),
      ),
    ).toBe(true);
    const started = await reviewsAfterScan(
      {},
      {
        findingsTableName: TABLE,
        eventBusName: BUS,
        settings: SETTINGS,
        reviews: REVIEWS,
      },
    )(scan);
    expect(started.map((s) => s.campaign.scope)).toEqual(['quarterly']);
    const campaignId = started[0]!.campaign.campaignId;

    // --- ReviewCampaignStarted -> the review function posts Alice's review as a direct message
    const [startedEvent, ...more] = ofType(await busEvents(), 'ReviewCampaignStarted');
    expect(more).toEqual([]);
    expect(await review(startedEvent)).toMatchObject({
      action: 'announce',
      campaignId,
      outcome: 'announced',
      posted: 1,
    });
    const [posted, unowned, ...others] = slack.calls('chat.postMessage');
    expect(others).toEqual([]);
    expect(posted?.token).toBe(BOT_TOKEN);
    expect(posted?.args.channel).toBe(ALICE);
    // The account's secrets have no owner: the escalation channel hears of them at once.
    expect(unowned?.args.channel).toBe(ESCALATION);
    expect(String(unowned?.args.text)).toBe(
      `Access review ${campaignId}: owner (unowned) has no Slack target; 2 identities cannot be reviewed in Slack.`,
    );
    const messageLog = new DynamoReviewMessageLog(new DynamoDBClient({ ...moto.clientConfig }), TABLE);
    const [aliceRecord] = await messageLog.list(campaignId, 'team-payments');
    const dm = { channel: aliceRecord!.channel, ts: aliceRecord!.ts };
    expect(dm.channel).toBe(`D${ALICE.slice(1)}`);
    expect(aliceRecord?.itemIds).toHaveLength(3);
    // A second delivery of the event posts nothing again.
    expect(await review(startedEvent)).toMatchObject({ posted: 0 });
    expect(slack.calls('chat.postMessage')).toHaveLength(2);

    // --- a stranger is refused, and nothing changes
    const strangerAnswer = await interact(
      click(MALLORY, buttonsOf(posted!, 'report-bot')[REVIEW_ACTION_IDS.keep]!, dm),
    );
    expect(strangerAnswer.statusCode).toBe(200);
    expect(lastCall('chat.postEphemeral').args).toMatchObject({ user: MALLORY, channel: dm.channel });
    expect(slack.calls('views.open')).toEqual([]);

    // --- Keep: the modal, an empty justification refused, then the attestation and the message
    expect(
      (await interact(click(ALICE, buttonsOf(posted!, 'report-bot')[REVIEW_ACTION_IDS.keep]!, dm)))
        .statusCode,
    ).toBe(200);
    const keepView = lastCall('views.open').args.view as Record<string, unknown>;
    expect(keepView.callback_id).toBe(REVIEW_VIEW_IDS.keep);
    const empty = await interact(
      submission(ALICE, keepView, {
        justification: { justification: { type: 'plain_text_input', value: ' ' } },
      }),
    );
    expect(json(empty)).toMatchObject({
      response_action: 'errors',
      errors: { justification: expect.any(String) },
    });
    const kept = await interact(
      submission(ALICE, keepView, {
        justification: { justification: { type: 'plain_text_input', value: 'Builds the monthly reports' } },
      }),
    );
    expect(json(kept)).toEqual({ response_action: 'clear' });
    const store = new DynamoReviewStore(new DynamoDBClient({ ...moto.clientConfig }), TABLE);
    const [attestation] = await store.listAttestations(MOTO_ACCOUNT_ID);
    expect(attestation).toMatchObject({
      identityArn: `arn:aws:iam::${MOTO_ACCOUNT_ID}:user/report-bot`,
      campaignId,
      decision: {
        answer: 'keep',
        justification: 'Builds the monthly reports',
        by: { kind: 'slack', id: ALICE },
      },
    });
    const keptUpdate = lastCall('chat.update');
    expect(keptUpdate.args).toMatchObject({ channel: dm.channel, ts: dm.ts });
    expect(JSON.stringify(keptUpdate.args.blocks)).toContain('*Kept* by <@U0ALICE001>');
    expect(() => buttonsOf(keptUpdate, 'report-bot')[REVIEW_ACTION_IDS.keep]!.value).toThrow();

    // --- Reduce: deploy-bot's unused key becomes a remediation request posted for approval
    const reduceButton = buttonsOf(posted!, 'deploy-bot')[REVIEW_ACTION_IDS.reduce]!;
    expect((await interact(click(ALICE, reduceButton, dm))).statusCode).toBe(200);
    const request = slack.calls('chat.postMessage').find((c) => c.args.channel === CHANNEL)!;
    expect(request.args.text).toContain('Remediation approval requested');
    expect(JSON.stringify(request.args.blocks)).toContain('iam_posture_approve');
    const deployItem = (await store.listItems(campaignId, 'team-payments')).find(
      (i) => i.identityName === 'deploy-bot',
    )!;
    const requestId = deployItem.decision?.remediationRequestIds?.[0];
    expect(deployItem.decision).toMatchObject({ answer: 'reduce', by: { id: ALICE } });
    const requests = new DynamoRemediationRequestStore(new DynamoDBClient({ ...moto.clientConfig }), TABLE);
    expect(await requests.get(requestId!)).toMatchObject({
      state: 'pending',
      requestedBy: { kind: 'slack', id: ALICE },
    });
    expect(JSON.stringify(lastCall('chat.update').args.blocks)).toContain(
      `Remediation request \`${requestId}\``,
    );
    // A double click acts once.
    await interact(click(ALICE, reduceButton, dm));
    expect(slack.calls('chat.postMessage').filter((c) => c.args.channel === CHANNEL)).toHaveLength(1);
    expect(lastCall('chat.postEphemeral').args.text).toContain('already answered');

    // --- Not mine: etl-bot goes to team-data, whose review (Bob's) gets it
    await interact(click(ALICE, buttonsOf(posted!, 'etl-bot')[REVIEW_ACTION_IDS['not-mine']]!, dm));
    const notMineView = lastCall('views.open').args.view as Record<string, unknown>;
    expect(notMineView.callback_id).toBe(REVIEW_VIEW_IDS.notMine);
    const handed = await interact(
      submission(ALICE, notMineView, {
        new_owner: { new_owner: { type: 'static_select', selected_option: { value: 'team-data' } } },
        note: { note: { type: 'plain_text_input', value: 'The data team runs the ETL' } },
      }),
    );
    expect(json(handed)).toEqual({ response_action: 'clear' });
    expect((await store.listItems(campaignId, 'team-payments')).map((i) => i.identityName).sort()).toEqual([
      'deploy-bot',
      'report-bot',
    ]);
    const [moved] = await store.listItems(campaignId, 'team-data');
    expect(moved).toMatchObject({
      identityName: 'etl-bot',
      handoffs: [{ from: 'team-payments', to: 'team-data' }],
    });
    expect(JSON.stringify(lastCall('chat.update').args.blocks)).toContain('handed to team-data');
    const bobs = slack.calls('chat.postMessage').find((c) => c.args.channel === BOB)!;
    expect(JSON.stringify(bobs.args.blocks)).toContain('<@U0ALICE001> handed this identity to team-data');
    // Bob answers it from his own message.
    const [bobRecord] = await messageLog.list(campaignId, 'team-data');
    expect(bobRecord).toMatchObject({
      channel: `D${BOB.slice(1)}`,
      itemIds: [moved!.itemId],
      handedOverBy: { id: ALICE },
    });
    const bobDm = { channel: bobRecord!.channel, ts: bobRecord!.ts };
    expect(
      (await interact(click(BOB, buttonsOf(bobs, 'etl-bot')[REVIEW_ACTION_IDS.reduce]!, bobDm))).statusCode,
    ).toBe(200);
    expect((await store.getItem(campaignId, 'team-data', moved!.itemId))?.decision).toMatchObject({
      answer: 'reduce',
      by: { id: BOB },
    });
    expect(ofType(await busEvents(), 'ReviewDecided').map((e) => e.detail.answer)).toEqual([
      'keep',
      'reduce',
      'not-mine',
      'reduce',
    ]);
  }, 120_000);

  it('reminds before the deadline, and at it escalates to the channel and reports the items overdue', async () => {
    const store = new DynamoReviewStore(new DynamoDBClient({ ...moto.clientConfig }), TABLE);
    const item = (campaignId: string, owner: string, name: string): ReviewItem => ({
      itemId: `${name.replace(/[^a-z0-9]/g, '')}1`,
      campaignId,
      owner,
      identityArn: `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/${name}`,
      identityKind: 'role',
      identityName: name,
      accountId: MOTO_ACCOUNT_ID,
      adminEquivalent: name.startsWith('admin'),
      canEscalate: false,
      openFindings: [],
      risk: 1,
    });
    // Two campaigns started by hand in the past: one in its reminder window, one past its deadline.
    const campaign = (campaignId: string, startedDaysAgo: number, owners: string[]): ReviewCampaign => {
      const startedAt = daysAgo(startedDaysAgo);
      const deadline = new Date(startedAt.getTime() + 14 * DAY_MS);
      return {
        campaignId,
        scope: 'manual',
        accountIds: [MOTO_ACCOUNT_ID],
        startedAt: startedAt.toISOString(),
        startedBy: { kind: 'cli', id: 'e2e' },
        deadline: deadline.toISOString(),
        remindAt: new Date(deadline.getTime() - 3 * DAY_MS).toISOString(),
        state: 'open',
        owners,
        itemCount: 1,
      };
    };
    const soon = campaign('manual-e2e-soon', 12, ['team-payments']);
    const late = campaign('manual-e2e-late', 20, ['team-data']);
    expect(await store.createCampaign(soon, [item(soon.campaignId, 'team-payments', 'reporting')])).toBe(
      true,
    );
    expect(
      await store.createCampaign(late, [
        item(late.campaignId, 'team-data', 'admin-etl'),
        item(late.campaignId, 'team-data', 'loader'),
      ]),
    ).toBe(true);
    for (const { campaignId } of [soon, late]) {
      await review({ 'detail-type': 'ReviewCampaignStarted', source: 'iam-posture', detail: { campaignId } });
    }
    const soonReview = slack
      .calls('chat.postMessage')
      .find((c) => JSON.stringify(c.args.blocks).includes('manual-e2e-soon'))!;
    expect(soonReview.args.channel).toBe(ALICE);
    slack.reset();
    await busEvents();

    // --- the daily advance
    expect(await review({ action: 'advance' })).toEqual({
      action: 'advance',
      reminded: 1,
      escalated: 1,
      overdue: 2,
      closed: 1,
    });
    const posts = slack.calls('chat.postMessage');
    const reminder = posts.find((c) => String(c.args.text).startsWith('Reminder'))!;
    const [soonRecord] = await new DynamoReviewMessageLog(
      new DynamoDBClient({ ...moto.clientConfig }),
      TABLE,
    ).list(soon.campaignId, 'team-payments');
    // In the thread of Alice's review, shown in the conversation too.
    expect(reminder.args).toMatchObject({
      channel: `D${ALICE.slice(1)}`,
      thread_ts: soonRecord!.ts,
      reply_broadcast: 'true',
    });
    expect(String(reminder.args.text)).toContain('manual-e2e-soon');
    const escalation = posts.find((c) => c.args.channel === ESCALATION)!;
    expect(String(escalation.args.text)).toBe(
      'Access review manual-e2e-late overdue: team-data left 2 identities unanswered and 0 without an owner.',
    );
    expect(JSON.stringify(escalation.args.blocks)).toContain('`admin-etl`');
    expect(posts).toHaveLength(2);
    const overdue = ofType(await busEvents(), 'ReviewOverdue');
    expect(overdue.map((e) => [e.detail.campaignId, e.detail.owner]).sort()).toEqual([
      ['manual-e2e-late', 'team-data'],
      ['manual-e2e-late', 'team-data'],
    ]);

    // --- a second run the same day sends nothing again
    slack.reset();
    expect(await review({ action: 'advance' })).toEqual({
      action: 'advance',
      reminded: 0,
      escalated: 0,
      overdue: 0,
      closed: 0,
    });
    expect(slack.calls('chat.postMessage')).toEqual([]);
  }, 120_000);
});
