import * as z from 'zod';
import { requiredVariable, secretArnVariable, slackApiUrlVariable } from './env-schema';
import { formatIssues } from './settings';

/**
 * The environment of the request sweeper. The CDK construct writes it with `sweeperEnvironment`,
 * so what the stack sets is what the function accepts; the bot token is referenced by ARN.
 */

export const SweeperEnvSchema = z.object({
  FINDINGS_TABLE_NAME: requiredVariable,
  SLACK_BOT_TOKEN_SECRET_ARN: secretArnVariable,
  /** The remediation function's timeout, in seconds (Lambda allows 1..900). */
  REMEDIATION_TIMEOUT_SECONDS: z
    .string({ error: 'is required' })
    .trim()
    .regex(/^\d+$/, 'must be a whole number of seconds')
    .transform(Number)
    .pipe(z.number().int().min(1, 'must be at least 1 second').max(900, 'must be at most 900 seconds')),
  SLACK_API_URL: slackApiUrlVariable.optional(),
});

export interface SweeperConfig {
  findingsTableName: string;
  botTokenSecretArn: string;
  remediationTimeoutSeconds: number;
  slackApiUrl?: string;
}

/** A bad environment variable of the sweeper; the message names each variable and what is wrong. */
export class SweeperConfigError extends Error {
  override readonly name = 'SweeperConfigError';
  constructor(
    readonly issues: string[],
    options?: { cause?: unknown },
  ) {
    super(`invalid sweeper function environment: ${issues.join('; ')}`, options);
  }
}

/** Parses the sweeper's environment (pass `process.env`). */
export function parseSweeperConfig(env: Readonly<Record<string, string | undefined>>): SweeperConfig {
  const result = SweeperEnvSchema.safeParse(env);
  if (!result.success) throw new SweeperConfigError(formatIssues(result.error), { cause: result.error });
  const e = result.data;
  return {
    findingsTableName: e.FINDINGS_TABLE_NAME,
    botTokenSecretArn: e.SLACK_BOT_TOKEN_SECRET_ARN,
    remediationTimeoutSeconds: e.REMEDIATION_TIMEOUT_SECONDS,
    ...(e.SLACK_API_URL ? { slackApiUrl: e.SLACK_API_URL } : {}),
  };
}

/** The sweeper's variables, for the CDK construct (values may be CDK tokens). */
export function sweeperEnvironment(input: Omit<SweeperConfig, 'slackApiUrl'>): Record<string, string> {
  return {
    FINDINGS_TABLE_NAME: input.findingsTableName,
    SLACK_BOT_TOKEN_SECRET_ARN: input.botTokenSecretArn,
    REMEDIATION_TIMEOUT_SECONDS: String(input.remediationTimeoutSeconds),
  };
}
