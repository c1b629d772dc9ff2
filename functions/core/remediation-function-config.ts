import * as z from 'zod';
import { RotationFunctionArnSchema } from './deploy-config';
import { jsonVariable, requiredVariable, secretArnVariable, slackApiUrlVariable } from './env-schema';
import type { ProtectionConfig } from './remediation/protection';
import { formatIssues, type ScanSettings, ScanSettingsSchema } from './settings';

/**
 * The remediation function's environment. Parsed once, lazily, by the handler; the CDK construct
 * writes it with `remediationFunctionEnvironment`, so a value the stack sets is a value the
 * function accepts.
 */

const arnList = z.array(z.string().min(1, 'must not be empty'));

/** The acting function's quarantine policy (the stack's deny-all managed policy). */
export const QUARANTINE_POLICY_ARN_VARIABLE = 'QUARANTINE_POLICY_ARN';
/** The rotation functions the acting role may invoke (JSON array, from `remediation.rotationFunctions`). */
export const ROTATION_FUNCTIONS_VARIABLE = 'ROTATION_FUNCTIONS';

const memberRoleName = z
  .string()
  .regex(/^[\w+=,.@-]{1,64}$/, 'must be an IAM role name (1-64 of letters, digits and +=,.@_-)');

export const RemediationFunctionEnvSchema = z.object({
  FINDINGS_TABLE_NAME: requiredVariable,
  EVENT_BUS_NAME: requiredVariable,
  /** Exact ARNs or globs remediation never touches. */
  PROTECTED_ARNS: jsonVariable(arnList).default([]),
  BREAK_GLASS_ARNS: jsonVariable(arnList).default([]),
  /** iam-posture's own roles. */
  OWN_ARNS: jsonVariable(arnList).default([]),
  /** The scan settings (thresholds, organization): a rule re-runs with the thresholds it found with. */
  SCAN_SETTINGS: jsonVariable(ScanSettingsSchema).default(ScanSettingsSchema.parse({})),
  /** The bot token's secret: when set, each request's Slack message is updated with the outcome. */
  SLACK_BOT_TOKEN_SECRET_ARN: secretArnVariable.optional(),
  /** The approval channel. A request's message names its own channel, so updates do not need it. */
  SLACK_CHANNEL_ID: z
    .string()
    .regex(/^[CGD][A-Z0-9]{6,}$/, 'must be a Slack channel id like C0123ABCD')
    .optional(),
  SLACK_API_URL: slackApiUrlVariable.optional(),
  /**
   * The remediation role in member accounts: when set, a finding of another account than the
   * function's own is remediated by assuming arn:<partition>:iam::<account>:role/<name>. Unset,
   * such a finding is refused.
   */
  MEMBER_REMEDIATION_ROLE_NAME: memberRoleName.optional(),
  /** The rollback role in member accounts: the rollback function assumes it, never the acting role. */
  MEMBER_ROLLBACK_ROLE_NAME: memberRoleName.optional(),
  /**
   * The deny-all managed policy quarantine attaches in this account. Unset, quarantine fails
   * before anything changes.
   */
  QUARANTINE_POLICY_ARN: z
    .string()
    .regex(/^arn:aws[a-z-]*:iam::\d{12}:policy\/[\w+=,.@/-]+$/, 'must be a customer managed policy ARN')
    .optional(),
  /** Unset or empty: rotate-secret is refused (the role may invoke no rotation function). */
  ROTATION_FUNCTIONS: jsonVariable(z.array(RotationFunctionArnSchema)).default([]),
  /** The external id the member roles require (only across organizations); unused without the role name. */
  MEMBER_EXTERNAL_ID: z
    .string()
    .regex(/^[\w+=,.@:/-]{2,1224}$/, 'must be 2-1224 of letters, digits and +=,.@:/_-')
    .optional(),
});

export interface RemediationFunctionConfig {
  findingsTableName: string;
  eventBusName: string;
  protection: ProtectionConfig;
  settings: ScanSettings;
  /** Set when the bot token is; otherwise Slack messages are not updated. */
  slack?: { botTokenSecretArn: string; channelId?: string; apiUrl?: string };
  /** Set when findings of member accounts are remediated through their remediation role. */
  member?: { remediationRoleName: string; externalId?: string };
  /** Set when rollbacks of member accounts' requests go through their rollback role. */
  memberRollback?: { rollbackRoleName: string; externalId?: string };
  quarantinePolicyArn?: string;
  rotationFunctions: string[];
}

/** A bad environment variable; the message names each variable and what is wrong with it. */
export class RemediationConfigError extends Error {
  override readonly name = 'RemediationConfigError';
  constructor(
    readonly issues: string[],
    options?: { cause?: unknown },
  ) {
    super(`invalid remediation function environment: ${issues.join('; ')}`, options);
  }
}

/** Parses the environment (pass `process.env`); throws `RemediationConfigError` naming the variable. */
export function parseRemediationFunctionConfig(
  env: Readonly<Record<string, string | undefined>>,
): RemediationFunctionConfig {
  const result = RemediationFunctionEnvSchema.safeParse(env);
  if (!result.success) throw new RemediationConfigError(formatIssues(result.error), { cause: result.error });
  const e = result.data;
  if (e.SLACK_BOT_TOKEN_SECRET_ARN === undefined && e.SLACK_CHANNEL_ID !== undefined) {
    throw new RemediationConfigError([
      'SLACK_BOT_TOKEN_SECRET_ARN: is required when SLACK_CHANNEL_ID is set',
    ]);
  }
  const config: RemediationFunctionConfig = {
    findingsTableName: e.FINDINGS_TABLE_NAME,
    eventBusName: e.EVENT_BUS_NAME,
    protection: {
      protectedArns: e.PROTECTED_ARNS,
      breakGlassArns: e.BREAK_GLASS_ARNS,
      ownArns: e.OWN_ARNS,
    },
    settings: e.SCAN_SETTINGS,
    rotationFunctions: e.ROTATION_FUNCTIONS,
    ...(e.QUARANTINE_POLICY_ARN ? { quarantinePolicyArn: e.QUARANTINE_POLICY_ARN } : {}),
  };
  if (e.SLACK_BOT_TOKEN_SECRET_ARN) {
    config.slack = {
      botTokenSecretArn: e.SLACK_BOT_TOKEN_SECRET_ARN,
      ...(e.SLACK_CHANNEL_ID ? { channelId: e.SLACK_CHANNEL_ID } : {}),
      ...(e.SLACK_API_URL ? { apiUrl: e.SLACK_API_URL } : {}),
    };
  }
  if (e.MEMBER_REMEDIATION_ROLE_NAME) {
    config.member = {
      remediationRoleName: e.MEMBER_REMEDIATION_ROLE_NAME,
      ...(e.MEMBER_EXTERNAL_ID ? { externalId: e.MEMBER_EXTERNAL_ID } : {}),
    };
  }
  if (e.MEMBER_ROLLBACK_ROLE_NAME) {
    config.memberRollback = {
      rollbackRoleName: e.MEMBER_ROLLBACK_ROLE_NAME,
      ...(e.MEMBER_EXTERNAL_ID ? { externalId: e.MEMBER_EXTERNAL_ID } : {}),
    };
  }
  return config;
}

export interface RemediationFunctionEnvironmentInput {
  findingsTableName: string;
  eventBusName: string;
  protectedArns: readonly string[];
  breakGlassArns: readonly string[];
  ownArns: readonly string[];
  settings: ScanSettings;
  slack?: { botTokenSecretArn: string; channelId?: string };
  /** Organization mode with remediation in member accounts (the acting function). */
  member?: { remediationRoleName: string; externalId?: string };
  /** Organization mode, the rollback function: the member accounts' rollback role. */
  memberRollback?: { rollbackRoleName: string; externalId?: string };
  /** The acting function: the quarantine policy it attaches and the rotation functions it may start. */
  quarantinePolicyArn?: string;
  rotationFunctions?: readonly string[];
}

/**
 * The environment the remediation function reads, for the CDK construct (values may be CDK
 * tokens): the same variable names and encodings `parseRemediationFunctionConfig` accepts.
 */
export function remediationFunctionEnvironment(
  input: RemediationFunctionEnvironmentInput,
): Record<string, string> {
  return {
    FINDINGS_TABLE_NAME: input.findingsTableName,
    EVENT_BUS_NAME: input.eventBusName,
    PROTECTED_ARNS: JSON.stringify(input.protectedArns),
    BREAK_GLASS_ARNS: JSON.stringify(input.breakGlassArns),
    OWN_ARNS: JSON.stringify(input.ownArns),
    SCAN_SETTINGS: JSON.stringify(input.settings),
    ...(input.slack ? { SLACK_BOT_TOKEN_SECRET_ARN: input.slack.botTokenSecretArn } : {}),
    ...(input.slack?.channelId ? { SLACK_CHANNEL_ID: input.slack.channelId } : {}),
    ...(input.member ? { MEMBER_REMEDIATION_ROLE_NAME: input.member.remediationRoleName } : {}),
    ...(input.member?.externalId ? { MEMBER_EXTERNAL_ID: input.member.externalId } : {}),
    ...(input.memberRollback ? { MEMBER_ROLLBACK_ROLE_NAME: input.memberRollback.rollbackRoleName } : {}),
    ...(input.memberRollback?.externalId ? { MEMBER_EXTERNAL_ID: input.memberRollback.externalId } : {}),
    ...(input.quarantinePolicyArn ? { [QUARANTINE_POLICY_ARN_VARIABLE]: input.quarantinePolicyArn } : {}),
    ...(input.rotationFunctions && input.rotationFunctions.length > 0
      ? { [ROTATION_FUNCTIONS_VARIABLE]: JSON.stringify(input.rotationFunctions) }
      : {}),
  };
}
