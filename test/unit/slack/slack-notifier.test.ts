import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createSlackWebClient,
  SlackApiError,
  SlackNotifier,
} from '../../../functions/adapters/slack-notifier';
import { requestMessage } from '../../../functions/core/slack/messages';
import { type SlackServer, startSlackServer } from '../../support/slack-server';
import { aRequest, CHANNEL, MESSAGE_TS } from './fixtures';

const TOKEN = 'xoxb-test-token';

describe('SlackNotifier against a local stand-in for Slack’s Web API', () => {
  let slack: SlackServer;
  let tokenReads = 0;
  const notifier = (options: { retries?: number; channelId?: string } = {}) =>
    new SlackNotifier(
      createSlackWebClient({ slackApiUrl: slack.apiUrl, retries: options.retries ?? 0, timeoutMs: 2000 }),
      {
        ...(options.channelId === undefined ? { channelId: CHANNEL } : { channelId: options.channelId }),
        token: async () => {
          tokenReads++;
          return TOKEN;
        },
      },
    );

  beforeAll(async () => {
    slack = await startSlackServer();
  });
  afterAll(async () => {
    await slack.stop();
  });
  beforeEach(() => {
    slack.reset();
    tokenReads = 0;
  });

  it('posts a request to the channel with its blocks and fallback, and returns where it is', async () => {
    const request = aRequest({ slack: undefined });
    const where = await notifier().postRequest(request);
    expect(where).toEqual({ channel: CHANNEL, ts: '1717200000.000100' });
    const [call] = slack.calls('chat.postMessage');
    expect(call?.token).toBe(TOKEN);
    const expected = requestMessage(request);
    expect(call?.args).toEqual({
      channel: CHANNEL,
      text: expected.text,
      blocks: expected.blocks,
      unfurl_links: 'false',
      unfurl_media: 'false',
    });
    expect(tokenReads).toBe(1);
  });

  it('replaces the message of a decided request, buttons removed', async () => {
    const request = aRequest({
      state: 'rejected',
      rejectedBy: { kind: 'slack', id: 'U0APPROVER', teamId: 'T0TEAM0001' },
    });
    await notifier().updateRequest(request);
    const [call] = slack.calls('chat.update');
    expect(call?.args.channel).toBe(CHANNEL);
    expect(call?.args.ts).toBe(MESSAGE_TS);
    expect(call?.args.blocks).toEqual(requestMessage(request).blocks);
    expect(JSON.stringify(call?.args.blocks)).not.toContain('"type":"actions"');
  });

  it('shows a rollback requested instead of the Undo button', async () => {
    const request = aRequest({ state: 'executed', executedAt: '2024-06-01T03:00:00.000Z' });
    const by = { kind: 'slack' as const, id: 'U0APPROVE2', teamId: 'T0TEAM0001' };
    await notifier().updateRequest(request, { rollbackRequestedBy: by });
    expect(slack.calls('chat.update')[0]?.args.blocks).toEqual(
      requestMessage(request, { rollbackRequestedBy: by }).blocks,
    );
  });

  it('sends an ephemeral message to one user', async () => {
    await notifier().tellUser(CHANNEL, 'U0STRANGER', 'You are not on the list.');
    expect(slack.calls('chat.postEphemeral')).toEqual([
      {
        method: 'chat.postEphemeral',
        token: TOKEN,
        args: { channel: CHANNEL, user: 'U0STRANGER', text: 'You are not on the list.' },
      },
    ]);
  });

  it('posts a refusal without buttons', async () => {
    const finding = { ...aRequest().finding, accountId: '123456789012' };
    await notifier().postRefusal(finding, 'Refused: deploy-bot is a configured break-glass identity.');
    const blocks = slack.calls('chat.postMessage')[0]?.args.blocks as { type: string }[];
    expect(blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'section', 'context']);
  });

  it('reports Slack’s error code', async () => {
    slack.failNext('chat.postMessage', { error: 'channel_not_found' });
    const error = await notifier()
      .postRequest(aRequest())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SlackApiError);
    expect(error).toMatchObject({ method: 'chat.postMessage', code: 'channel_not_found' });
    expect((error as Error).message).toBe('Slack chat.postMessage failed: channel_not_found');
    expect((error as Error).message).not.toContain(TOKEN);
  });

  it('retries a server error a bounded number of times', async () => {
    slack.failNext('chat.update', { status: 500 });
    await notifier({ retries: 1 }).updateRequest(aRequest({ state: 'approved' }));
    expect(slack.calls('chat.update')).toHaveLength(2);

    slack.reset();
    slack.failNext('chat.update', { status: 500 });
    slack.failNext('chat.update', { status: 500 });
    await expect(
      notifier({ retries: 1 }).updateRequest(aRequest({ state: 'approved' })),
    ).rejects.toBeInstanceOf(SlackApiError);
    expect(slack.calls('chat.update')).toHaveLength(2);
  });

  it('fails at once on rate limiting when asked to (the interaction path)', async () => {
    slack.failNext('chat.postEphemeral', { status: 429, retryAfterSeconds: 30 });
    const fast = new SlackNotifier(
      createSlackWebClient({ slackApiUrl: slack.apiUrl, retries: 0, rejectRateLimitedCalls: true }),
      { token: async () => TOKEN },
    );
    const started = Date.now();
    await expect(fast.tellUser(CHANNEL, 'U0APPROVER', 'x')).rejects.toBeInstanceOf(SlackApiError);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('refuses to update a request whose message is not recorded, and to post without a channel', async () => {
    await expect(notifier().updateRequest(aRequest({ slack: undefined }))).rejects.toMatchObject({
      code: 'no_message_recorded',
    });
    await expect(notifier({ channelId: '' }).postRequest(aRequest())).rejects.toMatchObject({
      code: 'no_channel_configured',
    });
    expect(slack.calls()).toEqual([]);
  });
});
