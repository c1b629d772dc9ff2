import * as z from 'zod';
import { requiredVariable, secretArnVariable, slackApiUrlVariable } from './env-schema';
import { formatIssues } from './settings';

/**
 * The JIT function's own variables: where it keeps grants, where it publishes, and what its
 * revoke schedules need (the group, the role Scheduler runs them as, their dead-letter queue).
 * The profiles and the channel come from the just-in-time variables every JIT-aware function
 * shares (functions/core/jit/function-config.ts). The construct writes these with
 * `jitElevationEnvironment`, so what the stack sets is what the function accepts.
 */

/**
 * The schedule group of the one-time revoke schedules. The JIT role may create, read and delete
 * schedules in this group only, so it cannot touch the scan schedule or anything else.
 */
export const JIT_SCHEDULE_GROUP = 'iam-posture-jit';

/**
 * Events on the findings bus the JIT function takes: an approval to grant, a request to end a
 * grant early (from Slack's "Done", which cannot revoke itself: the interaction role holds no
 * IAM), and every step of a grant's life, which the function follows with the grant's Slack
 * message.
 */
export const JIT_GRANT_EVENT = 'ElevationApproved';
export const JIT_REVOKE_REQUEST_EVENT = 'ElevationRevokeRequested';
export const JIT_ANNOUNCED_EVENTS = [
  'ElevationRequested',
  'ElevationGranted',
  'ElevationRevoked',
  'ElevationRejected',
  'ElevationLapsed',
  'ElevationFailed',
  'BreakGlassUsed',
] as const;
export const JIT_FUNCTION_EVENTS = [
  JIT_GRANT_EVENT,
  JIT_REVOKE_REQUEST_EVENT,
  ...JIT_ANNOUNCED_EVENTS,
] as const;

const arnVariable = (service: string, example: string) =>
  requiredVariable.refine(
    (value) => new RegExp(`^arn:[a-z-]+:${service}:`).test(value),
    `must be an ${service} ARN like ${example}`,
  );

export const JitElevationEnvSchema = z.object({
  FINDINGS_TABLE_NAME: requiredVariable,
  EVENT_BUS_NAME: requiredVariable,
  JIT_SCHEDULE_GROUP: requiredVariable.regex(/^[0-9a-zA-Z._-]{1,64}$/, 'must be a schedule group name'),
  JIT_SCHEDULER_ROLE_ARN: arnVariable('iam', 'arn:aws:iam::111122223333:role/name'),
  JIT_DEAD_LETTER_ARN: arnVariable('sqs', 'arn:aws:sqs:eu-west-1:111122223333:queue'),
  /** The announcer posts with it; absent, nothing is posted. */
  SLACK_BOT_TOKEN_SECRET_ARN: secretArnVariable.optional(),
  SLACK_API_URL: slackApiUrlVariable.optional(),
});

export interface JitElevationConfig {
  findingsTableName: string;
  eventBusName: string;
  scheduleGroup: string;
  schedulerRoleArn: string;
  deadLetterArn: string;
  botTokenSecretArn?: string;
  slackApiUrl?: string;
}

/** A bad environment variable of the JIT function; the message names each variable and what is wrong. */
export class JitElevationConfigError extends Error {
  override readonly name = 'JitElevationConfigError';
  constructor(
    readonly issues: string[],
    options?: { cause?: unknown },
  ) {
    super(`invalid JIT function environment: ${issues.join('; ')}`, options);
  }
}

/** Parses the JIT function's own variables (pass `process.env`). */
export function parseJitElevationConfig(
  env: Readonly<Record<string, string | undefined>>,
): JitElevationConfig {
  const result = JitElevationEnvSchema.safeParse(env);
  if (!result.success) throw new JitElevationConfigError(formatIssues(result.error), { cause: result.error });
  const e = result.data;
  return {
    findingsTableName: e.FINDINGS_TABLE_NAME,
    eventBusName: e.EVENT_BUS_NAME,
    scheduleGroup: e.JIT_SCHEDULE_GROUP,
    schedulerRoleArn: e.JIT_SCHEDULER_ROLE_ARN,
    deadLetterArn: e.JIT_DEAD_LETTER_ARN,
    ...(e.SLACK_BOT_TOKEN_SECRET_ARN ? { botTokenSecretArn: e.SLACK_BOT_TOKEN_SECRET_ARN } : {}),
    ...(e.SLACK_API_URL ? { slackApiUrl: e.SLACK_API_URL } : {}),
  };
}

/** The JIT function's own variables, for the CDK construct (values may be CDK tokens). */
export function jitElevationEnvironment(
  input: Omit<JitElevationConfig, 'slackApiUrl'>,
): Record<string, string> {
  return {
    FINDINGS_TABLE_NAME: input.findingsTableName,
    EVENT_BUS_NAME: input.eventBusName,
    JIT_SCHEDULE_GROUP: input.scheduleGroup,
    JIT_SCHEDULER_ROLE_ARN: input.schedulerRoleArn,
    JIT_DEAD_LETTER_ARN: input.deadLetterArn,
    ...(input.botTokenSecretArn ? { SLACK_BOT_TOKEN_SECRET_ARN: input.botTokenSecretArn } : {}),
  };
}
