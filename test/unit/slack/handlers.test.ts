import * as eb from '@aws-sdk/client-eventbridge';
import * as sm from '@aws-sdk/client-secrets-manager';
import * as lib from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, Context, EventBridgeEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { findingItem } from '../../../functions/adapters/dynamo-findings-store';
import { remediationRequestKey } from '../../../functions/core/findings-table';
import type { StoredFinding } from '../../../functions/core/lifecycle';
import * as notify from '../../../functions/handlers/notify';
import * as interaction from '../../../functions/handlers/slack-interaction';
import { lambdaContext } from '../../support/lambda';
import { type SlackServer, startSlackServer } from '../../support/slack-server';
import { anAccessKey, daysAgo, findingFor } from '../remediation/builders';
import {
  APPROVER,
  aRequest,
  blockActions,
  formBody,
  REQUEST_ID,
  SIGNING_SECRET,
  signedHeaders,
  TEAM,
} from './fixtures';

const SIGNING_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:IamPosture-SlackSigning-AbCdEf';
const TOKEN_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:IamPosture-SlackBotToken-GhIjKl';
const BOT_TOKEN = 'xoxb-unit-test-token';

let slack: SlackServer;

function env(): Record<string, string> {
  return {
    FINDINGS_TABLE_NAME: 'findings',
    EVENT_BUS_NAME: 'iam-posture',
    SLACK_SIGNING_SECRET_ARN: SIGNING_ARN,
    SLACK_BOT_TOKEN_SECRET_ARN: TOKEN_ARN,
    SLACK_CHANNEL_ID: 'C0CHANNEL1',
    SLACK_APPROVERS: JSON.stringify([{ teamId: TEAM, userId: APPROVER }]),
    SLACK_API_URL: slack.apiUrl,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIAUNITTEST00000000',
    AWS_SECRET_ACCESS_KEY: 'unit-test-secret',
    // Nothing listens there: a client that escaped the mocks fails instead of reaching AWS.
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  };
}

type Invoke<E, R> = (event: E, context: Context) => Promise<R>;

/** A fresh handler (configuration is parsed on its first invocation) with the SDK clients mocked. */
async function load<E, R>(create: () => Invoke<E, R>) {
  const dynamo = mockClient(lib.DynamoDBDocumentClient);
  const secrets = mockClient(sm.SecretsManagerClient);
  const events = mockClient(eb.EventBridgeClient);
  secrets.on(sm.GetSecretValueCommand, { SecretId: SIGNING_ARN }).resolves({ SecretString: SIGNING_SECRET });
  secrets.on(sm.GetSecretValueCommand, { SecretId: TOKEN_ARN }).resolves({ SecretString: BOT_TOKEN });
  events.on(eb.PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
  const invoke = create();
  const module = { handler: (event: E) => invoke(event, lambdaContext('slack-handler')) };
  return { module, dynamo, secrets, events, lib, sm, eb };
}

/** Everything the handler wrote to stdout and stderr while `work` ran. */
async function captureOutput<T>(work: () => Promise<T>): Promise<{ result: T; output: string }> {
  const chunks: string[] = [];
  const capture = (chunk: unknown) => {
    chunks.push(String(chunk));
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    return { result: await work(), output: chunks.join('') };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

function urlEvent(
  body: Buffer,
  headers: Record<string, string>,
  options: { base64?: boolean; method?: string } = {},
) {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: '',
    headers,
    body: options.base64 === false ? body.toString('utf8') : body.toString('base64'),
    isBase64Encoded: options.base64 !== false,
    requestContext: { http: { method: options.method ?? 'POST', path: '/' } },
  } as unknown as APIGatewayProxyEventV2;
}

beforeAll(async () => {
  slack = await startSlackServer();
});
afterAll(async () => {
  await slack.stop();
});
beforeEach(() => {
  slack.reset();
  for (const [name, value] of Object.entries(env())) vi.stubEnv(name, value);
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

const INTERACTION = () =>
  interaction.createHandler((logger) => interaction.interactionHandlerDeps(process.env, logger));

describe('slack-interaction handler', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const pendingItem = () => ({
    ...aRequest({ expiresAt: new Date(Date.now() + 3_600_000).toISOString() }),
    ...remediationRequestKey(REQUEST_ID),
  });

  it('decodes a base64 body, records the approval with a conditional write, and hands off the request id', async () => {
    const { module, dynamo, events, lib, eb } = await load(INTERACTION);
    dynamo.on(lib.GetCommand).resolves({ Item: pendingItem() });
    dynamo.on(lib.UpdateCommand).callsFake((input) => ({
      Attributes: {
        ...pendingItem(),
        state: 'approved',
        version: 3,
        ...input.ExpressionAttributeValues?.[':f0'],
      },
    }));
    const body = formBody(blockActions());
    const answer = await module.handler(urlEvent(body, signedHeaders(body, now())));

    expect(answer).toEqual({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: '' });
    const update = dynamo.commandCalls(lib.UpdateCommand)[0]!.args[0].input;
    expect(update.ConditionExpression).toBe('attribute_exists(PK) AND #state = :from');
    expect(update.ExpressionAttributeValues).toMatchObject({ ':from': 'pending', ':to': 'approved' });
    const put = events.commandCalls(eb.PutEventsCommand)[0]!.args[0].input.Entries![0]!;
    expect(put).toMatchObject({
      EventBusName: 'iam-posture',
      Source: 'iam-posture',
      DetailType: 'RemediationApproved',
    });
    expect(JSON.parse(put.Detail!)).toEqual({ version: 1, requestId: REQUEST_ID });
    expect(slack.calls('chat.update')).toHaveLength(1);
    expect(slack.calls('chat.update')[0]?.token).toBe(BOT_TOKEN);
  });

  it('answers a Slack retry of a handled click with an empty 200, and a second click with the reason', async () => {
    const { module, dynamo, events, lib, eb } = await load(INTERACTION);
    const approvedBy = { kind: 'slack', id: APPROVER, teamId: TEAM };
    dynamo.on(lib.GetCommand).resolves({ Item: { ...pendingItem(), state: 'executed', approvedBy } });
    const body = formBody(blockActions());
    const headers = signedHeaders(body, now());

    const retry = await module.handler(
      urlEvent(body, { ...headers, 'X-Slack-Retry-Num': '1', 'X-Slack-Retry-Reason': 'http_timeout' }),
    );
    expect(retry).toEqual({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: '' });
    expect(slack.calls('chat.postEphemeral')).toHaveLength(0);

    const second = await module.handler(urlEvent(body, headers));
    expect(second.statusCode).toBe(200);
    const text = 'This request is already executed; nothing more was done.';
    expect(JSON.parse(second.body as string)).toEqual({ response_type: 'ephemeral', text });
    expect(slack.calls('chat.postEphemeral').map((call) => call.args.text)).toEqual([text]);
    expect(dynamo.commandCalls(lib.UpdateCommand)).toHaveLength(0);
    expect(events.commandCalls(eb.PutEventsCommand)).toHaveLength(0);
  });

  it('accepts a body that is not base64-encoded', async () => {
    const { module, dynamo, lib } = await load(INTERACTION);
    dynamo.on(lib.GetCommand).resolves({});
    const body = formBody(blockActions());
    const answer = await module.handler(urlEvent(body, signedHeaders(body, now()), { base64: false }));
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body as string)).toEqual({
      response_type: 'ephemeral',
      text: 'This remediation request is unknown to iam-posture; nothing was changed.',
    });
  });

  it('answers 401 to a bad signature without reading the table, and 405 to anything but POST', async () => {
    const { module, dynamo, lib } = await load(INTERACTION);
    const body = formBody(blockActions());
    const forged = await module.handler(urlEvent(body, signedHeaders(body, now(), 'guessed')));
    expect(forged).toEqual({
      statusCode: 401,
      headers: { 'content-type': 'text/plain' },
      body: 'invalid request signature',
    });
    expect((await module.handler(urlEvent(body, {}, { method: 'GET' }))).statusCode).toBe(405);
    expect(dynamo.commandCalls(lib.GetCommand)).toHaveLength(0);
  });

  it('answers 413 to a body over the cap before reading the signing secret or the table, and reads one at the cap', async () => {
    const { module, dynamo, secrets, lib, sm } = await load(INTERACTION);
    dynamo.on(lib.GetCommand).resolves({});
    const padded = (bytes: number) => {
      const click = formBody(blockActions());
      return Buffer.concat([click, Buffer.from(`&pad=${'x'.repeat(bytes - click.length - 5)}`)]);
    };
    const over = padded(interaction.MAX_INTERACTION_BODY_BYTES + 1);
    expect(over.length).toBe(65_537);
    for (const base64 of [true, false]) {
      expect(await module.handler(urlEvent(over, signedHeaders(over, now()), { base64 }))).toEqual({
        statusCode: 413,
        headers: { 'content-type': 'text/plain' },
        body: 'request body over 65536 bytes',
      });
    }
    expect(secrets.commandCalls(sm.GetSecretValueCommand)).toHaveLength(0);
    expect(dynamo.calls()).toHaveLength(0);
    // At exactly the cap the body is verified (not 401) and parsed as usual: the extra form field
    // makes it no click of ours.
    const atCap = padded(interaction.MAX_INTERACTION_BODY_BYTES);
    expect(atCap.length).toBe(65_536);
    const answer = await module.handler(urlEvent(atCap, signedHeaders(atCap, now())));
    expect(answer).toMatchObject({ statusCode: 400, body: 'malformed interaction payload' });
    expect(secrets.commandCalls(sm.GetSecretValueCommand).length).toBeGreaterThan(0);
  });

  it('answers 400 to a signed body that is not one of our clicks', async () => {
    const { module } = await load(INTERACTION);
    const body = Buffer.from('payload=%7B%22type%22%3A%22shortcut%22%7D');
    const answer = await module.handler(urlEvent(body, signedHeaders(body, now())));
    expect(answer).toEqual({
      statusCode: 400,
      headers: { 'content-type': 'text/plain' },
      body: 'malformed interaction payload',
    });
  });

  it('refuses everything while the signing secret still holds the stack’s placeholder', async () => {
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'DEBUG');
    const { module, secrets, sm } = await load(INTERACTION);
    secrets.on(sm.GetSecretValueCommand, { SecretId: SIGNING_ARN }).resolves({
      SecretString: '{"iamPosturePlaceholder":"Zm9vYmFy"}',
    });
    const body = formBody(blockActions());
    const { result, output } = await captureOutput(() =>
      module.handler(urlEvent(body, signedHeaders(body, now(), '{"iamPosturePlaceholder":"Zm9vYmFy"}'))),
    );
    expect(result.statusCode).toBe(401);
    expect(output).toContain('slack signing secret is not set');
    expect(output).toContain('no signing secret is stored');
  });

  it('answers 500 when the signing secret cannot be read', async () => {
    const { module, secrets, sm } = await load(INTERACTION);
    secrets
      .on(sm.GetSecretValueCommand, { SecretId: SIGNING_ARN })
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    const body = formBody(blockActions());
    const { result } = await captureOutput(() => module.handler(urlEvent(body, signedHeaders(body, now()))));
    expect(result).toEqual({
      statusCode: 500,
      headers: { 'content-type': 'text/plain' },
      body: 'internal error',
    });
  });

  it('never logs the body, the signature, the signing secret or the bot token', async () => {
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'DEBUG');
    const { module, dynamo, lib } = await load(INTERACTION);
    dynamo.on(lib.GetCommand).resolves({ Item: pendingItem() });
    dynamo
      .on(lib.UpdateCommand)
      .resolves({ Attributes: { ...pendingItem(), state: 'approved', version: 3 } });
    const body = formBody(blockActions());
    const headers = signedHeaders(body, now());
    const forgedHeaders = signedHeaders(body, now(), 'guessed');
    const { output } = await captureOutput(async () => {
      await module.handler(urlEvent(body, headers));
      await module.handler(urlEvent(body, forgedHeaders));
      await module.handler(
        urlEvent(Buffer.from('payload=%7B%7D'), signedHeaders(Buffer.from('payload=%7B%7D'), now())),
      );
    });
    expect(output).toContain('slack interaction handled');
    expect(output).toContain('slack interaction refused');
    for (const secret of [
      SIGNING_SECRET,
      BOT_TOKEN,
      headers['x-slack-signature']!,
      forgedHeaders['x-slack-signature']!,
      body.toString('utf8'),
      body.toString('base64').slice(0, 40),
      'legacy-verification-token',
      'hooks.slack.com',
    ]) {
      expect(output).not.toContain(secret);
    }
  });
});

const NOTIFY = () => notify.createHandler(() => notify.notifyHandlerDeps(process.env));

function findingOpened(detail: unknown, detailType = 'FindingOpened'): EventBridgeEvent<string, unknown> {
  return {
    version: '0',
    id: 'e1',
    'detail-type': detailType,
    source: 'iam-posture',
    account: '123456789012',
    time: '2024-06-01T00:00:00Z',
    region: 'eu-west-1',
    resources: [],
    detail,
  };
}

describe('notify handler', () => {
  const key = anAccessKey({ keyId: 'AKIAEXAMPLEKEY000001', lastUsedAt: daysAgo(100) });
  const finding = findingFor(key, 'access-key-unused');
  const stored: StoredFinding = {
    ...finding,
    status: 'open',
    firstSeenAt: '2024-06-01T00:00:00.000Z',
    firstSeenScanId: '20240601T000000Z-abcd',
    lastChangedAt: '2024-06-01T00:00:00.000Z',
    lastChangedScanId: '20240601T000000Z-abcd',
    reopenCount: 0,
    version: 1,
  };

  it('reads the stored finding, opens a request and posts it to Slack', async () => {
    const { module, dynamo, lib } = await load(NOTIFY);
    const item = findingItem(stored);
    dynamo.on(lib.QueryCommand).resolves({ Items: [{ PK: item.PK, SK: item.SK }] });
    dynamo.on(lib.GetCommand).resolves({});
    dynamo.on(lib.GetCommand, { Key: { PK: item.PK, SK: item.SK } }).resolves({ Item: item });
    dynamo.on(lib.TransactWriteCommand).resolves({});
    dynamo.on(lib.UpdateCommand).resolves({});
    const { result } = await captureOutput(() =>
      module.handler(
        findingOpened({ version: 1, scanId: '20240601T000000Z-abcd', finding: { id: finding.id } }),
      ),
    );
    expect(result).toEqual({ outcome: 'posted' });
    const [put, lock] = dynamo.commandCalls(lib.TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(put?.Put?.ConditionExpression).toBe('attribute_not_exists(PK)');
    expect(put?.Put?.Item).toMatchObject({
      state: 'pending',
      findingId: finding.id,
      requestedBy: { kind: 'system' },
    });
    // The finding's lock, written with the request: no second request while this one is open.
    expect(lock?.Put?.ConditionExpression).toBe('attribute_not_exists(PK)');
    expect(lock?.Put?.Item).toMatchObject({
      PK: `REQUESTLOCK#${finding.id}`,
      SK: 'LOCK',
      requestId: put?.Put?.Item?.requestId,
    });
    const [post] = slack.calls('chat.postMessage');
    expect(post?.token).toBe(BOT_TOKEN);
    expect(post?.args.channel).toBe('C0CHANNEL1');
    const update = dynamo.commandCalls(lib.UpdateCommand)[0]!.args[0].input;
    expect(update.ExpressionAttributeValues?.[':slack']).toEqual({
      channel: 'C0CHANNEL1',
      ts: '1717200000.000100',
    });
  });

  it('does nothing for a finding no longer stored', async () => {
    const { module, dynamo, lib } = await load(NOTIFY);
    dynamo.on(lib.QueryCommand).resolves({ Items: [] });
    const { result } = await captureOutput(() =>
      module.handler(findingOpened({ version: 1, scanId: 's', finding: { id: 'gone' } })),
    );
    expect(result).toEqual({ outcome: 'skipped' });
    expect(slack.calls()).toEqual([]);
  });

  it('posts a notice without buttons for a finding whose rule has no automatic remediation', async () => {
    const { module, dynamo, lib } = await load(NOTIFY);
    const item = findingItem({ ...stored, remediation: { summary: 'Review the key by hand.' } });
    dynamo.on(lib.QueryCommand).resolves({ Items: [{ PK: item.PK, SK: item.SK }] });
    dynamo.on(lib.GetCommand).resolves({});
    dynamo.on(lib.GetCommand, { Key: { PK: item.PK, SK: item.SK } }).resolves({ Item: item });
    dynamo.on(lib.UpdateCommand).resolves({});
    const { result } = await captureOutput(() =>
      module.handler(
        findingOpened({ version: 1, scanId: '20240601T000000Z-abcd', finding: { id: finding.id } }),
      ),
    );
    expect(result).toEqual({ outcome: 'noticed' });
    expect(dynamo.commandCalls(lib.PutCommand)).toHaveLength(0);
    const [post] = slack.calls('chat.postMessage');
    expect(post?.args.channel).toBe('C0CHANNEL1');
    expect(JSON.stringify(post?.args.blocks)).toContain('Review the key by hand.');
    expect(JSON.stringify(post?.args.blocks)).not.toContain('"actions"');
    const [claim, posted] = dynamo.commandCalls(lib.UpdateCommand).map((call) => call.args[0].input);
    expect(claim?.Key).toEqual({
      PK: 'NOTICE#C0CHANNEL1',
      SK: expect.stringMatching(/^HOUR#\d{4}-\d\d-\d\dT\d\d$/),
    });
    expect(claim?.ExpressionAttributeValues?.[':limit']).toBe(20);
    expect(posted?.ExpressionAttributeValues?.[':key']).toEqual(
      new Set([`${finding.id}#20240601T000000Z-abcd`]),
    );
  });

  it('rejects events it does not handle, so they reach the dead-letter queue', async () => {
    const { module } = await load(NOTIFY);
    await expect(module.handler(findingOpened({ finding: { id: 'x' } }, 'FindingResolved'))).rejects.toThrow(
      'unexpected event type FindingResolved',
    );
    await expect(module.handler(findingOpened({ finding: { id: 'x' } }))).rejects.toThrow(
      'the event detail has no scan id or finding id',
    );
  });
});
