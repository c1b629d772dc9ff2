import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SlackJitMessenger } from '../../../functions/adapters/slack-jit-messenger';
import { createSlackWebClient, SlackApiError } from '../../../functions/adapters/slack-notifier';
import { elevationMessage, elevationRequestModal } from '../../../functions/core/slack/jit-messages';
import { type SlackServer, startSlackServer } from '../../support/slack-server';
import { anElevation, aProfile, JIT_CHANNEL, REQUESTER } from './jit-fixtures';

const TOKEN = 'xoxb-jit-token';

describe('SlackJitMessenger against the local Slack stand-in', () => {
  let slack: SlackServer;
  const messenger = () =>
    new SlackJitMessenger(
      createSlackWebClient({ slackApiUrl: slack.apiUrl, retries: 0, timeoutMs: 2000 }),
      async () => TOKEN,
    );

  beforeAll(async () => {
    slack = await startSlackServer();
  });
  afterAll(async () => {
    await slack.stop();
  });
  beforeEach(() => slack.reset());

  it('posts a grant message with its blocks and returns where it is', async () => {
    const message = elevationMessage(anElevation());
    expect(await messenger().post(JIT_CHANNEL, message)).toEqual({
      channel: JIT_CHANNEL,
      ts: '1717200000.000100',
    });
    const [call] = slack.calls('chat.postMessage');
    expect(call?.token).toBe(TOKEN);
    expect(call?.args).toEqual({
      channel: JIT_CHANNEL,
      text: message.text,
      blocks: message.blocks,
      unfurl_links: 'false',
      unfurl_media: 'false',
    });
  });

  it('updates a message in place', async () => {
    const message = elevationMessage(anElevation({ state: 'lapsed' }));
    await messenger().update({ channel: JIT_CHANNEL, ts: '1717200000.000100' }, message);
    expect(slack.calls('chat.update')[0]?.args).toEqual({
      channel: JIT_CHANNEL,
      ts: '1717200000.000100',
      text: message.text,
      blocks: message.blocks,
    });
  });

  it('opens the modal with the trigger id', async () => {
    const view = elevationRequestModal([aProfile()], { privateMetadata: JIT_CHANNEL });
    await messenger().openModal('1234.5678.abcdef', view);
    const [call] = slack.calls('views.open');
    expect(call?.token).toBe(TOKEN);
    expect(call?.args).toEqual({ trigger_id: '1234.5678.abcdef', view });
  });

  it('replies ephemerally', async () => {
    await messenger().tellUser(JIT_CHANNEL, REQUESTER, 'Only you see this');
    expect(slack.calls('chat.postEphemeral')[0]?.args).toEqual({
      channel: JIT_CHANNEL,
      user: REQUESTER,
      text: 'Only you see this',
    });
  });

  it('turns Slack’s refusals into SlackApiError naming the method and code', async () => {
    slack.failNext('views.open', { error: 'expired_trigger_id' });
    const error = await messenger()
      .openModal('1.2.3', elevationRequestModal([aProfile()]))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SlackApiError);
    expect(error).toMatchObject({ method: 'views.open', code: 'expired_trigger_id' });
    slack.failNext('chat.postMessage', { error: 'channel_not_found' });
    await expect(messenger().post(JIT_CHANNEL, elevationMessage(anElevation()))).rejects.toMatchObject({
      name: 'SlackApiError',
      code: 'channel_not_found',
    });
  });
});
