import { type ChatPostMessageArguments, LogLevel, WebClient } from '@slack/web-api';
import type { Finding } from '../core/finding';
import type { RemediationRequest } from '../core/remediation/request';
import {
  type OwnerSlackTargets,
  type RequestMessageOptions,
  refusalMessage,
  requestMessage,
  type SlackMessage,
} from '../core/slack/messages';
import type { ApprovalNotifier } from '../use-cases/remediation-ports';

/**
 * Posts and updates remediation request messages through Slack's Web API (`chat.postMessage`,
 * `chat.update`, `chat.postEphemeral`). The bot token is read when a call needs it (from Secrets
 * Manager, through the function's secret reader) and passed per call; it is never logged.
 */

export interface SlackWebClientOptions {
  /** Default `https://slack.com/api/`; tests point it at a local server. */
  slackApiUrl?: string;
  /** Per request, default 5 s. */
  timeoutMs?: number;
  /** Retries of a failed request (network error, 5xx), default 2. */
  retries?: number;
  /**
   * Fail at once on HTTP 429 instead of waiting for `Retry-After` (the interaction endpoint must
   * answer Slack within 3 seconds). Default false.
   */
  rejectRateLimitedCalls?: boolean;
}

/** A WebClient with bounded retries and timeouts, logging errors only. */
export function createSlackWebClient(options: SlackWebClientOptions = {}): WebClient {
  const retries = options.retries ?? 2;
  return new WebClient(undefined, {
    ...(options.slackApiUrl ? { slackApiUrl: options.slackApiUrl } : {}),
    timeout: options.timeoutMs ?? 5000,
    retryConfig: { retries, factor: 2, minTimeout: 200, maxTimeout: 1000, randomize: true },
    rejectRateLimitedCalls: options.rejectRateLimitedCalls ?? false,
    logLevel: LogLevel.ERROR,
    // A method name is never a URL: every call goes to slackApiUrl.
    allowAbsoluteUrls: false,
  });
}

/** A Slack Web API call failed; `code` is Slack's error string (`channel_not_found`, ...) when it sent one. */
export class SlackApiError extends Error {
  override readonly name = 'SlackApiError';
  constructor(
    readonly method: string,
    readonly code: string,
    options: { cause?: unknown } = {},
  ) {
    super(`Slack ${method} failed: ${code}`, options);
  }
}

export interface SlackNotifierOptions {
  /** Where new requests are posted; not needed to update messages or reply to a click. */
  channelId?: string;
  /** The bot token (`xoxb-...`), read when a call needs it. */
  token: () => Promise<string>;
  /** Owner id -> Slack user or channel: a request mentions its finding's owner. */
  ownerSlack?: OwnerSlackTargets;
}

/** Block Kit blocks as the SDK types them; `SlackMessage` builds the same JSON with its own types. */
type SlackBlocks = Extract<ChatPostMessageArguments, { blocks: unknown }>['blocks'];

type FindingForRefusal = Parameters<typeof refusalMessage>[0];

export class SlackNotifier implements ApprovalNotifier {
  constructor(
    private readonly client: WebClient,
    private readonly options: SlackNotifierOptions,
  ) {}

  private ownerOptions(): RequestMessageOptions {
    return this.options.ownerSlack ? { ownerSlack: this.options.ownerSlack } : {};
  }

  /** Posts the approval request (Approve / Reject) to the channel; returns where it is. */
  async postRequest(request: RemediationRequest): Promise<{ channel: string; ts: string }> {
    return this.post(requestMessage(request, this.ownerOptions()));
  }

  /** Replaces the request's message with its current state (buttons removed once decided). */
  async updateRequest(request: RemediationRequest, options: RequestMessageOptions = {}): Promise<void> {
    if (!request.slack) throw new SlackApiError('chat.update', 'no_message_recorded');
    const message = requestMessage(request, { ...this.ownerOptions(), ...options });
    const token = await this.options.token();
    await this.call('chat.update', () =>
      this.client.chat.update({
        token,
        channel: request.slack!.channel,
        ts: request.slack!.ts,
        text: message.text,
        blocks: message.blocks as unknown as SlackBlocks,
      }),
    );
  }

  /** An ephemeral message only `userId` sees, in `channel`. */
  async tellUser(channel: string, userId: string, text: string): Promise<void> {
    const token = await this.options.token();
    await this.call('chat.postEphemeral', () =>
      this.client.chat.postEphemeral({ token, channel, user: userId, text }),
    );
  }

  /** Shows a finding remediation will not act on (a protected principal, ...), without buttons. */
  async postRefusal(
    finding: FindingForRefusal | Finding,
    reason: string,
    accountName?: string,
  ): Promise<{ channel: string; ts: string }> {
    return this.post(refusalMessage(finding, reason, accountName));
  }

  /** Posts a message without buttons (a notice, a digest) to the channel; returns where it is. */
  async postMessage(message: SlackMessage): Promise<{ channel: string; ts: string }> {
    return this.post(message);
  }

  private async post(message: SlackMessage): Promise<{ channel: string; ts: string }> {
    const channel = this.options.channelId;
    if (!channel) throw new SlackApiError('chat.postMessage', 'no_channel_configured');
    const token = await this.options.token();
    const result = await this.call('chat.postMessage', () =>
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

  private async call<T>(method: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw new SlackApiError(method, slackErrorCode(error), { cause: error });
    }
  }
}

/** Slack's error string of a failed call (`channel_not_found`), else the SDK's error code. */
export function slackErrorCode(error: unknown): string {
  if (typeof error !== 'object' || error === null) return 'unknown_error';
  const { data, code } = error as { data?: { error?: unknown }; code?: unknown };
  if (typeof data?.error === 'string') return data.error;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.name : 'unknown_error';
}
