import type { ModalView, ReviewMessage } from '../core/slack/review-messages';
import { SlackMessenger } from './slack-messenger';

export type { SlackMessageRef } from './slack-messenger';

/**
 * Slack's Web API for entitlement reviews: an owner's review and the reminders in its thread (to a
 * user id for a direct message from the app, or to a channel), the update of a message once an
 * item is answered, the two modals and ephemeral refusals.
 */
export class SlackReviewMessenger extends SlackMessenger<ReviewMessage, ModalView> {}
