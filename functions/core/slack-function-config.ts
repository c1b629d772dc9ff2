import * as z from 'zod';
import { type Approver, ApproverSchema, SlackTargetSchema } from './deploy-config';
import { jsonVariable, requiredVariable, secretArnVariable, slackApiUrlVariable } from './env-schema';
import type { ProtectionConfig } from './remediation/protection';
import { formatIssues } from './settings';

/**
 * The environment of the Slack functions: the interaction endpoint (button clicks) and the notifier
 * (FindingOpened -> approval request). Parsed once, lazily, by each handler; the CDK construct
 * writes them with `slackInteractionEnvironment` / `slackNotifyEnvironment`, so what the stack sets
 * is what the functions accept. Secrets are referenced by ARN, never given as values.
 */

/**
 * The key of the JSON placeholder a Slack secret holds from its creation until the operator
 * stores Slack's value; the functions treat such a secret as empty.
 */
export const SECRET_PLACEHOLDER_KEY = 'iamPosturePlaceholder';

const arnList = jsonVariable(z.array(z.string().min(1, 'must not be empty'))).default([]);

export const SlackInteractionEnvSchema = z.object({
  FINDINGS_TABLE_NAME: requiredVariable,
  EVENT_BUS_NAME: requiredVariable,
  SLACK_SIGNING_SECRET_ARN: secretArnVariable,
  SLACK_BOT_TOKEN_SECRET_ARN: secretArnVariable,
  /** JSON: `[{"teamId":"T0123ABCD","userId":"U0123ABCD"}]`; absent or `[]`: nobody can approve. */
  SLACK_APPROVERS: jsonVariable(z.array(ApproverSchema)).default([]),
  SLACK_API_URL: slackApiUrlVariable.optional(),
});

export const SlackNotifyEnvSchema = z.object({
  FINDINGS_TABLE_NAME: requiredVariable,
  SLACK_BOT_TOKEN_SECRET_ARN: secretArnVariable,
  SLACK_CHANNEL_ID: z
    .string({ error: 'is required' })
    .regex(/^[CGD][A-Z0-9]{6,}$/, 'must be a Slack channel id like C0123ABCD'),
  PROTECTED_ARNS: arnList,
  BREAK_GLASS_ARNS: arnList,
  OWN_ARNS: arnList,
  /** Hours a request waits for a decision; default 24. */
  REQUEST_TTL_HOURS: z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number of hours')
    .transform(Number)
    .pipe(z.number().int().min(1, 'must be at least 1 hour').max(168, 'must be at most 168 hours'))
    .optional(),
  SLACK_API_URL: slackApiUrlVariable.optional(),
  /** Messages of their own per hour for findings without an automatic remediation; default 20. */
  /** JSON: owner id -> Slack user or channel, mentioned in the owner's findings' messages. */
  OWNER_SLACK_TARGETS: jsonVariable(z.record(z.string(), SlackTargetSchema)).default({}),
  SLACK_NOTICES_PER_HOUR: z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number of messages')
    .transform(Number)
    .pipe(z.number().int().min(0).max(1000, 'must be at most 1000'))
    .optional(),
});

export interface SlackInteractionConfig {
  findingsTableName: string;
  eventBusName: string;
  signingSecretArn: string;
  botTokenSecretArn: string;
  approvers: Approver[];
  slackApiUrl?: string;
}

export interface SlackNotifyConfig {
  findingsTableName: string;
  botTokenSecretArn: string;
  channelId: string;
  protection: ProtectionConfig;
  requestTtlHours?: number;
  slackApiUrl?: string;
  /** Notify-only messages per hour before findings go to the daily digest. */
  noticesPerHour?: number;
  /** Owner id -> Slack user or channel. */
  ownerSlack: Record<string, string>;
}

/** A bad environment variable; the message names each variable and what is wrong with it. */
export class SlackConfigError extends Error {
  override readonly name = 'SlackConfigError';
  constructor(
    readonly issues: string[],
    options?: { cause?: unknown },
  ) {
    super(`invalid Slack function environment: ${issues.join('; ')}`, options);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** Parses the interaction function's environment (pass `process.env`). */
export function parseSlackInteractionConfig(env: Env): SlackInteractionConfig {
  const result = SlackInteractionEnvSchema.safeParse(env);
  if (!result.success) throw new SlackConfigError(formatIssues(result.error), { cause: result.error });
  const e = result.data;
  return {
    findingsTableName: e.FINDINGS_TABLE_NAME,
    eventBusName: e.EVENT_BUS_NAME,
    signingSecretArn: e.SLACK_SIGNING_SECRET_ARN,
    botTokenSecretArn: e.SLACK_BOT_TOKEN_SECRET_ARN,
    approvers: e.SLACK_APPROVERS,
    ...(e.SLACK_API_URL ? { slackApiUrl: e.SLACK_API_URL } : {}),
  };
}

/** Parses the notify function's environment (pass `process.env`). */
export function parseSlackNotifyConfig(env: Env): SlackNotifyConfig {
  const result = SlackNotifyEnvSchema.safeParse(env);
  if (!result.success) throw new SlackConfigError(formatIssues(result.error), { cause: result.error });
  const e = result.data;
  return {
    findingsTableName: e.FINDINGS_TABLE_NAME,
    botTokenSecretArn: e.SLACK_BOT_TOKEN_SECRET_ARN,
    channelId: e.SLACK_CHANNEL_ID,
    protection: { protectedArns: e.PROTECTED_ARNS, breakGlassArns: e.BREAK_GLASS_ARNS, ownArns: e.OWN_ARNS },
    ...(e.REQUEST_TTL_HOURS !== undefined ? { requestTtlHours: e.REQUEST_TTL_HOURS } : {}),
    ...(e.SLACK_API_URL ? { slackApiUrl: e.SLACK_API_URL } : {}),
    ...(e.SLACK_NOTICES_PER_HOUR !== undefined ? { noticesPerHour: e.SLACK_NOTICES_PER_HOUR } : {}),
    ownerSlack: e.OWNER_SLACK_TARGETS,
  };
}

/** The interaction function's variables, for the CDK construct (values may be CDK tokens). */
export function slackInteractionEnvironment(
  input: Omit<SlackInteractionConfig, 'slackApiUrl'>,
): Record<string, string> {
  return {
    FINDINGS_TABLE_NAME: input.findingsTableName,
    EVENT_BUS_NAME: input.eventBusName,
    SLACK_SIGNING_SECRET_ARN: input.signingSecretArn,
    SLACK_BOT_TOKEN_SECRET_ARN: input.botTokenSecretArn,
    SLACK_APPROVERS: JSON.stringify(input.approvers),
  };
}

/** The notify function's variables, for the CDK construct (values may be CDK tokens). */
export function slackNotifyEnvironment(
  input: Omit<SlackNotifyConfig, 'slackApiUrl' | 'protection' | 'ownerSlack'> & {
    ownerSlack?: Readonly<Record<string, string>>;
    protection: {
      protectedArns: readonly string[];
      breakGlassArns: readonly string[];
      ownArns: readonly string[];
    };
  },
): Record<string, string> {
  return {
    FINDINGS_TABLE_NAME: input.findingsTableName,
    SLACK_BOT_TOKEN_SECRET_ARN: input.botTokenSecretArn,
    SLACK_CHANNEL_ID: input.channelId,
    PROTECTED_ARNS: JSON.stringify(input.protection.protectedArns),
    BREAK_GLASS_ARNS: JSON.stringify(input.protection.breakGlassArns),
    OWN_ARNS: JSON.stringify(input.protection.ownArns),
    ...(input.requestTtlHours !== undefined ? { REQUEST_TTL_HOURS: String(input.requestTtlHours) } : {}),
    ...(input.ownerSlack && Object.keys(input.ownerSlack).length > 0
      ? { OWNER_SLACK_TARGETS: JSON.stringify(input.ownerSlack) }
      : {}),
  };
}
