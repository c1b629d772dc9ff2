import type { ChatPostMessageArguments, ViewsOpenArguments, WebClient } from '@slack/web-api';
import type { JitMessage, JitModalView } from '../core/slack/jit-messages';
import { SlackApiError, slackErrorCode } from './slack-notifier';

/**
 * Slack's Web API for just-in-time elevation: the grant's message (`chat.postMessage`,
 * `chat.update`), the request modal (`views.open`) and ephemeral replies (`chat.postEphemeral`),
 * on a client from `createSlackWebClient`. The bot token is read when a call needs it and passed
 * per call; it is never logged.
 */

type SlackBlocks = Extract<ChatPostMessageArguments, { blocks: unknown }>['blocks'];
type SlackView = ViewsOpenArguments['view'];

export interface SlackMessageRef {
  channel: string;
  ts: string;
}

export class SlackJitMessenger {
  constructor(
    private readonly client: WebClient,
    private readonly token: () => Promise<string>,
  ) {}

  /** Posts a message to `channel`; returns where it is. */
  async post(channel: string, message: JitMessage): Promise<SlackMessageRef> {
    const token = await this.token();
    const result = await call('chat.postMessage', () =>
      this.client.chat.postMessage({
        token,
        channel,
        text: message.text,
        blocks: message.blocks as unknown as SlackBlocks,
        unfurl_links: false,
        unfurl_media: false,
      }),
    );
    if (typeof result.channel !== 'string' || typeof result.ts !== 'string') {
      throw new SlackApiError('chat.postMessage', 'missing_channel_or_ts');
    }
    return { channel: result.channel, ts: result.ts };
  }

  /** Replaces the message at `ref` with `message`. */
  async update(ref: SlackMessageRef, message: JitMessage): Promise<void> {
    const token = await this.token();
    await call('chat.update', () =>
      this.client.chat.update({
        token,
        channel: ref.channel,
        ts: ref.ts,
        text: message.text,
        blocks: message.blocks as unknown as SlackBlocks,
      }),
    );
  }

  /** Opens the modal for the person whose command or click produced `triggerId` (valid 3 seconds). */
  async openModal(triggerId: string, view: JitModalView): Promise<void> {
    const token = await this.token();
    await call('views.open', () =>
      this.client.views.open({ token, trigger_id: triggerId, view: view as unknown as SlackView }),
    );
  }

  /** A message only `userId` sees, in `channel`. */
  async tellUser(channel: string, userId: string, text: string): Promise<void> {
    const token = await this.token();
    await call('chat.postEphemeral', () =>
      this.client.chat.postEphemeral({ token, channel, user: userId, text }),
    );
  }
}

async function call<T>(method: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw new SlackApiError(method, slackErrorCode(error), { cause: error });
  }
}
