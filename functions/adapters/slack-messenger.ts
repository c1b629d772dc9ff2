import type { ChatPostMessageArguments, ViewsOpenArguments, WebClient } from '@slack/web-api';
import { SlackApiError, slackErrorCode } from './slack-notifier';

/**
 * The Slack Web API calls a feature's messages need, on a client from `createSlackWebClient`: post
 * (`chat.postMessage`, to a user id for a direct message from the app, or to a channel; in a
 * thread when asked), update (`chat.update`), open a modal (`views.open`) and reply to one person
 * (`chat.postEphemeral`). The bot token is read when a call needs it and passed per call; it is
 * never logged. A failed call is a `SlackApiError` naming the method and Slack's error code.
 */

type SlackBlocks = Extract<ChatPostMessageArguments, { blocks: unknown }>['blocks'];
type SlackView = ViewsOpenArguments['view'];

export interface SlackMessageRef {
  channel: string;
  ts: string;
}

/** A Block Kit message: the blocks, and the text notifications and clients without blocks show. */
export interface BlockMessage {
  text: string;
  blocks: readonly unknown[];
}

export class SlackMessenger<Message extends BlockMessage, View> {
  constructor(
    private readonly client: WebClient,
    private readonly token: () => Promise<string>,
  ) {}

  /**
   * Posts `message` to `target` (a user id, a channel id or a `#channel-name`), in the thread of
   * `threadTs` when given (and shown in the conversation as well). Returns where it is, with the
   * channel id Slack resolved the target to.
   */
  async post(
    target: string,
    message: Message,
    options: { threadTs?: string } = {},
  ): Promise<SlackMessageRef> {
    const token = await this.token();
    const base = {
      token,
      channel: target,
      text: message.text,
      blocks: message.blocks as unknown as SlackBlocks,
      unfurl_links: false,
      unfurl_media: false,
    };
    const result = await call('chat.postMessage', () =>
      this.client.chat.postMessage(
        options.threadTs ? { ...base, thread_ts: options.threadTs, reply_broadcast: true } : base,
      ),
    );
    if (typeof result.channel !== 'string' || typeof result.ts !== 'string') {
      throw new SlackApiError('chat.postMessage', 'missing_channel_or_ts');
    }
    return { channel: result.channel, ts: result.ts };
  }

  /** Replaces the message at `ref` with `message`. */
  async update(ref: SlackMessageRef, message: Message): Promise<void> {
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

  /** Opens a modal for the person whose command or click produced `triggerId` (valid 3 seconds). */
  async openModal(triggerId: string, view: View): Promise<void> {
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
