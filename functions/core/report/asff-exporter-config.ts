import * as z from 'zod';
import { ACCOUNT_ID_PATTERN, REGION_PATTERN } from '../arn';
import { requiredVariable } from '../env-schema';
import { formatIssues } from '../settings';

/**
 * The environment of the Security Hub exporter. The CDK construct writes it with
 * `securityHubExporterEnvironment`, so what the stack sets is what the function accepts.
 */

/** The role the exporter assumes in a member account to import that account's findings. */
export const DEFAULT_FINDINGS_IMPORT_ROLE = 'IamPostureFindingsImport';

const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

export const SecurityHubExporterEnvSchema = z.object({
  /** Set by Lambda: the region the findings are imported into. */
  AWS_REGION: requiredVariable.regex(REGION_PATTERN, 'must be an AWS region'),
  /** The account the exporter runs in: its findings are imported with the exporter's own role. */
  HOME_ACCOUNT_ID: requiredVariable.regex(ACCOUNT_ID_PATTERN, 'must be a 12-digit account id'),
  /** Organization mode: the role assumed in every other account. Unset: only the home account is imported. */
  MEMBER_IMPORT_ROLE_NAME: requiredVariable.regex(ROLE_NAME, 'must be an IAM role name').optional(),
  /** Sent as `sts:ExternalId` when the member roles' trust asks for one. */
  MEMBER_EXTERNAL_ID: requiredVariable.optional(),
});

export interface SecurityHubExporterConfig {
  region: string;
  homeAccountId: string;
  memberImportRoleName?: string;
  memberExternalId?: string;
}

/** A bad environment variable of the exporter; the message names each variable and what is wrong. */
export class SecurityHubExporterConfigError extends Error {
  override readonly name = 'SecurityHubExporterConfigError';
  constructor(
    readonly issues: string[],
    options?: { cause?: unknown },
  ) {
    super(`invalid Security Hub exporter environment: ${issues.join('; ')}`, options);
  }
}

export function parseSecurityHubExporterConfig(
  env: Readonly<Record<string, string | undefined>>,
): SecurityHubExporterConfig {
  const result = SecurityHubExporterEnvSchema.safeParse(env);
  if (!result.success) {
    throw new SecurityHubExporterConfigError(formatIssues(result.error), { cause: result.error });
  }
  const e = result.data;
  return {
    region: e.AWS_REGION,
    homeAccountId: e.HOME_ACCOUNT_ID,
    ...(e.MEMBER_IMPORT_ROLE_NAME ? { memberImportRoleName: e.MEMBER_IMPORT_ROLE_NAME } : {}),
    ...(e.MEMBER_EXTERNAL_ID ? { memberExternalId: e.MEMBER_EXTERNAL_ID } : {}),
  };
}

/** The exporter's variables, for the CDK construct (values may be CDK tokens); Lambda sets AWS_REGION. */
export function securityHubExporterEnvironment(
  input: Omit<SecurityHubExporterConfig, 'region'>,
): Record<string, string> {
  return {
    HOME_ACCOUNT_ID: input.homeAccountId,
    ...(input.memberImportRoleName ? { MEMBER_IMPORT_ROLE_NAME: input.memberImportRoleName } : {}),
    ...(input.memberExternalId ? { MEMBER_EXTERNAL_ID: input.memberExternalId } : {}),
  };
}
