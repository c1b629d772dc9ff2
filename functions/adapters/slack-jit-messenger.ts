import type { JitMessage, JitModalView } from '../core/slack/jit-messages';
import { SlackMessenger } from './slack-messenger';

export type { SlackMessageRef } from './slack-messenger';

/**
 * Slack's Web API for just-in-time elevation: the grant's message, the request modal and
 * ephemeral replies.
 */
export class SlackJitMessenger extends SlackMessenger<JitMessage, JitModalView> {}
