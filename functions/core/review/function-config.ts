import * as z from 'zod';
import { type Approver, ApproverSchema, SlackTargetSchema } from '../deploy-config';
import { jsonVariable, requiredVariable, secretArnVariable, slackApiUrlVariable } from '../env-schema';
import { formatIssues } from '../settings';
import { type ReviewsDeployConfig, ReviewsDeploySchema } from './config';

/**
 * The environments of entitlement reviews, parsed once, lazily, by each function; the CDK
 * construct writes them with the `*Environment` functions below, so what the stack sets is what
 * the functions accept.
 *
 * - the review function: announces campaigns in Slack and runs the daily advance;
 * - the Slack interaction function: the review route (who may answer, the attestation length,
 *   where reduce requests are posted), present only when `REVIEWS_ENABLED` is `true`;
 * - the scan function: `REVIEWS` (the deploy config's `reviews` key) to start due campaigns.
 */

const ownerTargets = jsonVariable(z.record(z.string(), SlackTargetSchema)).default({});
const arnList = jsonVariable(z.array(z.string().min(1, 'must not be empty'))).default([]);
const days = (min: number, max: number) =>
  z
    .string({ error: 'is required' })
    .trim()
    .regex(/^\d+$/, 'must be a whole number of days')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

export const ReviewFunctionEnvSchema = z.object({
  FINDINGS_TABLE_NAME: requiredVariable,
  EVENT_BUS_NAME: requiredVariable,
  SLACK_BOT_TOKEN_SECRET_ARN: secretArnVariable,
  /** JSON: owner id -> Slack user or channel, where each owner's review is posted. */
  OWNER_SLACK_TARGETS: ownerTargets,
  /** Where unanswered items go at the deadline; absent: nobody is told but the owners. */
  REVIEW_ESCALATION_CHANNEL: SlackTargetSchema.optional(),
  SLACK_API_URL: slackApiUrlVariable.optional(),
});

export interface ReviewFunctionConfig {
  findingsTableName: string;
  eventBusName: string;
  botTokenSecretArn: string;
  ownerSlack: Record<string, string>;
  escalationChannel?: string;
  slackApiUrl?: string;
}

export const ReviewInteractionEnvSchema = z.object({
  REVIEWS_ENABLED: z.enum(['true', 'false'], { error: 'must be true or false' }).default('false'),
  OWNER_SLACK_TARGETS: ownerTargets,
  /** JSON: `[{"teamId":"T0123ABCD","userId":"U0123ABCD"}]`, who may answer for any owner. */
  REVIEW_REVIEWERS: jsonVariable(z.array(ApproverSchema)).default([]),
  REVIEW_ATTESTATION_DAYS: days(1, 365).default(90),
  /** Where a "not mine" answer naming no new owner is told. */
  REVIEW_ESCALATION_CHANNEL: SlackTargetSchema.optional(),
  /** The channel remediation requests of "reduce" answers are posted to (the approval channel). */
  SLACK_CHANNEL_ID: z
    .string()
    .regex(/^[CGD][A-Z0-9]{6,}$/, 'must be a Slack channel id like C0123ABCD')
    .optional(),
  PROTECTED_ARNS: arnList,
  BREAK_GLASS_ARNS: arnList,
  OWN_ARNS: arnList,
});

export interface ReviewInteractionConfig {
  ownerSlack: Record<string, string>;
  reviewers: Approver[];
  attestationDays: number;
  escalationChannel?: string;
  /** Where reduce requests are posted. */
  channelId: string;
  protection: { protectedArns: string[]; breakGlassArns: string[]; ownArns: string[] };
}

export const ReviewScanEnvSchema = z.object({
  /** JSON: the deploy config's `reviews` key, after validation. */
  REVIEWS: jsonVariable(ReviewsDeploySchema).optional(),
});

/** A bad environment variable of a review function; the message names each variable. */
export class ReviewConfigError extends Error {
  override readonly name = 'ReviewConfigError';
  constructor(
    readonly issues: string[],
    options?: { cause?: unknown },
  ) {
    super(`invalid review function environment: ${issues.join('; ')}`, options);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function parse<T extends z.ZodType>(schema: T, env: Env): z.output<T> {
  const result = schema.safeParse(env);
  if (!result.success) throw new ReviewConfigError(formatIssues(result.error), { cause: result.error });
  return result.data;
}

/** The review function's environment (pass `process.env`). */
export function parseReviewFunctionConfig(env: Env): ReviewFunctionConfig {
  const e = parse(ReviewFunctionEnvSchema, env);
  return {
    findingsTableName: e.FINDINGS_TABLE_NAME,
    eventBusName: e.EVENT_BUS_NAME,
    botTokenSecretArn: e.SLACK_BOT_TOKEN_SECRET_ARN,
    ownerSlack: e.OWNER_SLACK_TARGETS,
    ...(e.REVIEW_ESCALATION_CHANNEL ? { escalationChannel: e.REVIEW_ESCALATION_CHANNEL } : {}),
    ...(e.SLACK_API_URL ? { slackApiUrl: e.SLACK_API_URL } : {}),
  };
}

/**
 * The review route's part of the interaction function's environment, or undefined when reviews are
 * not enabled there. A reduce answer posts remediation requests, so the approval channel is required.
 */
export function parseReviewInteractionConfig(env: Env): ReviewInteractionConfig | undefined {
  const e = parse(ReviewInteractionEnvSchema, env);
  if (e.REVIEWS_ENABLED !== 'true') return undefined;
  if (!e.SLACK_CHANNEL_ID) {
    throw new ReviewConfigError([
      'SLACK_CHANNEL_ID: is required when REVIEWS_ENABLED is true (reduce answers post remediation requests there)',
    ]);
  }
  return {
    ownerSlack: e.OWNER_SLACK_TARGETS,
    reviewers: e.REVIEW_REVIEWERS,
    attestationDays: e.REVIEW_ATTESTATION_DAYS,
    ...(e.REVIEW_ESCALATION_CHANNEL ? { escalationChannel: e.REVIEW_ESCALATION_CHANNEL } : {}),
    channelId: e.SLACK_CHANNEL_ID,
    protection: { protectedArns: e.PROTECTED_ARNS, breakGlassArns: e.BREAK_GLASS_ARNS, ownArns: e.OWN_ARNS },
  };
}

/** The reviews settings the scan function starts due campaigns with, or undefined when off. */
export function parseReviewScanConfig(env: Env): ReviewsDeployConfig | undefined {
  const reviews = parse(ReviewScanEnvSchema, env).REVIEWS;
  return reviews?.enabled ? reviews : undefined;
}

/** The review function's variables, for the CDK construct (values may be CDK tokens). */
export function reviewFunctionEnvironment(
  input: Omit<ReviewFunctionConfig, 'slackApiUrl'>,
): Record<string, string> {
  return {
    FINDINGS_TABLE_NAME: input.findingsTableName,
    EVENT_BUS_NAME: input.eventBusName,
    SLACK_BOT_TOKEN_SECRET_ARN: input.botTokenSecretArn,
    ...(Object.keys(input.ownerSlack).length > 0
      ? { OWNER_SLACK_TARGETS: JSON.stringify(input.ownerSlack) }
      : {}),
    ...(input.escalationChannel ? { REVIEW_ESCALATION_CHANNEL: input.escalationChannel } : {}),
  };
}

/**
 * The variables the review route adds to the interaction function. The protection lists are those
 * of the notifier: a reduce request is planned exactly as a request opened by a scan.
 */
export function reviewInteractionEnvironment(input: {
  ownerSlack: Readonly<Record<string, string>>;
  reviewers: readonly Approver[];
  attestationDays: number;
  escalationChannel?: string;
  channelId: string;
  protection: {
    protectedArns: readonly string[];
    breakGlassArns: readonly string[];
    ownArns: readonly string[];
  };
}): Record<string, string> {
  return {
    REVIEWS_ENABLED: 'true',
    OWNER_SLACK_TARGETS: JSON.stringify(input.ownerSlack),
    REVIEW_REVIEWERS: JSON.stringify(input.reviewers),
    REVIEW_ATTESTATION_DAYS: String(input.attestationDays),
    ...(input.escalationChannel ? { REVIEW_ESCALATION_CHANNEL: input.escalationChannel } : {}),
    SLACK_CHANNEL_ID: input.channelId,
    PROTECTED_ARNS: JSON.stringify(input.protection.protectedArns),
    BREAK_GLASS_ARNS: JSON.stringify(input.protection.breakGlassArns),
    OWN_ARNS: JSON.stringify(input.protection.ownArns),
  };
}

/**
 * The variable the scan function starts due campaigns with: the rhythms and the timing only. The
 * scan function's environment also holds the scan settings (up to 3 KB of Lambda's 4 KB), so the
 * reviewers and the escalation channel, which only the Slack functions use, stay out of it.
 */
export function reviewScanEnvironment(reviews: ReviewsDeployConfig): Record<string, string> {
  const { enabled, rhythms, deadlineDays, remindBeforeDays, attestationDays } = reviews;
  return { REVIEWS: JSON.stringify({ enabled, rhythms, deadlineDays, remindBeforeDays, attestationDays }) };
}
