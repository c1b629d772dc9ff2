import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { parseReviewFunctionConfig } from '../core/review/function-config';
import { formatIssues } from '../core/settings';
import { type AdvanceReviewDeps, advanceReviewCampaigns } from '../use-cases/advance-review-campaigns';
import { announceCampaign, postAdvanceMessages, type ReviewSlackDeps } from '../use-cases/announce-review';
import { createObservability, instrument, type Observability } from '../wiring/powertools';
import { reviewFunctionWiring } from '../wiring/review';

/**
 * The review function. Invoked by the EventBridge rule for `ReviewCampaignStarted`, it posts each
 * owner's review to Slack; invoked daily by its schedule with `{"action":"advance"}`, it reminds
 * owners before the deadline and escalates what is unanswered at it (ReviewOverdue is published by
 * the advance), then posts those messages. A failure is thrown, so the event is retried and then
 * lands in the dead-letter queue; a repeated delivery posts no owner's review twice.
 */

export interface ReviewHandlerDeps {
  slack: ReviewSlackDeps;
  advance: AdvanceReviewDeps;
}

/** The event is neither a ReviewCampaignStarted event nor the daily advance. */
export class InvalidReviewEventError extends Error {
  override readonly name = 'InvalidReviewEventError';
}

/** Some reminders or escalations could not be posted (the items are marked; nothing is sent twice). */
export class ReviewMessagesError extends Error {
  override readonly name = 'ReviewMessagesError';
}

const StartedDetailSchema = z.looseObject({
  campaignId: z.string().regex(/^[A-Za-z0-9._-]{1,120}$/, 'must be a campaign id'),
});

export function reviewHandlerDeps(env: NodeJS.ProcessEnv): ReviewHandlerDeps {
  return reviewFunctionWiring({}, parseReviewFunctionConfig(env));
}

export type ReviewHandlerResult =
  | { action: 'announce'; campaignId: string; outcome: string; posted: number; unreachable: number }
  | { action: 'advance'; reminded: number; escalated: number; overdue: number; closed: number };

/** The handler over dependencies built once, on the first invocation, by `build`. */
export function createHandler(
  build: () => ReviewHandlerDeps,
  observability: Observability = createObservability(),
): (event: unknown, context: Context) => Promise<ReviewHandlerResult> {
  const { logger } = observability;
  let deps: ReviewHandlerDeps | undefined;
  return instrument(async (event: unknown) => {
    const e = (event ?? {}) as { action?: unknown; 'detail-type'?: unknown; detail?: unknown };
    if (e.action === 'advance') {
      deps ??= build();
      const advanced = await advanceReviewCampaigns(deps.slack.now(), deps.advance);
      const messages = await postAdvanceMessages(advanced, deps.slack);
      for (const sent of [...messages.reminded, ...messages.escalated])
        logger.info('review message posted', { ...sent });
      for (const left of messages.undelivered) logger.warn('review message not posted', { ...left });
      for (const closed of advanced.closed) logger.info('review campaign closed', { campaignId: closed });
      if (messages.failures.length > 0) {
        for (const failure of messages.failures) logger.error('review message failed', { ...failure });
        throw new ReviewMessagesError(`${messages.failures.length} review message(s) could not be posted`);
      }
      return {
        action: 'advance',
        reminded: messages.reminded.length,
        escalated: messages.escalated.length,
        overdue: advanced.overdue,
        closed: advanced.closed.length,
      };
    }
    if (e['detail-type'] !== 'ReviewCampaignStarted') {
      throw new InvalidReviewEventError(
        `expected a ReviewCampaignStarted event or {"action":"advance"}, got ${typeof e['detail-type'] === 'string' ? e['detail-type'] : 'neither'}`,
      );
    }
    const detail = StartedDetailSchema.safeParse(e.detail);
    if (!detail.success) {
      throw new InvalidReviewEventError(
        `the ReviewCampaignStarted detail: ${formatIssues(detail.error).join('; ')}`,
      );
    }
    deps ??= build();
    const result = await announceCampaign(detail.data.campaignId, deps.slack);
    logger.info('review campaign announced', {
      campaignId: result.campaignId,
      outcome: result.outcome,
      owners: result.posted.length,
      alreadyPosted: result.alreadyPosted.length,
    });
    for (const owner of result.unreachable) {
      logger.warn('review owner has no Slack target', { campaignId: result.campaignId, owner });
    }
    return {
      action: 'announce',
      campaignId: result.campaignId,
      outcome: result.outcome,
      posted: result.posted.length,
      unreachable: result.unreachable.length,
    };
  }, observability);
}

export const handler = createHandler(() => reviewHandlerDeps(process.env));
