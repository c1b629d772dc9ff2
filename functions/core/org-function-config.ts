import * as z from 'zod';
import { jsonVariable, requiredVariable } from './env-schema';
import { type AccountSelection, AccountSelectionSchema } from './organization-scan';
import { parseScanFunctionConfig, ScanConfigError, type ScanFunctionConfig } from './scan-function-config';
import { formatIssues } from './settings';

/**
 * The environment of the organization run's functions (discover, scan an account, aggregate).
 * They share one set of variables: the scan function's (table, bus, settings, secrets regions,
 * service-last-accessed job budget), parsed exactly as the scan function parses them, plus the
 * organization's.
 */

export const ORG_FUNCTION_ENV = {
  /** The bucket holding each run's account list, checkpoints, outcomes and run record. */
  runsBucket: 'ORG_RUNS_BUCKET',
  /** The role every member account holds for the scanner (a name, not an ARN). */
  memberRoleName: 'MEMBER_ROLE_NAME',
  /** `sts:ExternalId` of the member role, only across organizations. */
  memberExternalId: 'MEMBER_EXTERNAL_ID',
  /** Which accounts a run scans (JSON of `AccountSelectionSchema`). Default: every ACTIVE account. */
  accountSelection: 'ORG_ACCOUNT_SELECTION',
  /**
   * Milliseconds an account step works before it checkpoints. Default: the invocation's remaining
   * time minus `ORG_SCAN_TIME_MARGIN_MS`.
   */
  timeBudgetMs: 'ORG_SCAN_TIME_BUDGET_MS',
} as const;

/** Left for the last phase of a step to finish and the checkpoint to be written. */
export const ORG_SCAN_TIME_MARGIN_MS = 60_000;

/** Lambda's longest invocation. */
const MAX_BUDGET_MS = 900_000;

const wholeNumber = (min: number, max: number, what: string) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `must be a whole number of ${what}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const roleName = requiredVariable.pipe(
  z.string().regex(/^[\w+=,.@-]{1,64}$/, 'must be an IAM role name (1 to 64 of A-Z a-z 0-9 + = , . @ _ -)'),
);

const externalId = z
  .string()
  .trim()
  .regex(/^[\w+=,.@:/-]{2,1224}$/, 'must be 2 to 1224 of A-Z a-z 0-9 + = , . @ : / _ -');

export const OrgFunctionEnvSchema = z.object({
  [ORG_FUNCTION_ENV.runsBucket]: requiredVariable,
  [ORG_FUNCTION_ENV.memberRoleName]: roleName,
  [ORG_FUNCTION_ENV.memberExternalId]: externalId.optional(),
  [ORG_FUNCTION_ENV.accountSelection]: jsonVariable(AccountSelectionSchema.strict()).optional(),
  [ORG_FUNCTION_ENV.timeBudgetMs]: wholeNumber(0, MAX_BUDGET_MS, 'milliseconds').optional(),
});

export interface OrgFunctionConfig {
  scan: ScanFunctionConfig;
  runsBucket: string;
  memberRoleName: string;
  memberExternalId?: string;
  accountSelection: AccountSelection;
  timeBudgetMs?: number;
}

/** A bad environment variable; the message names each variable and what is wrong with it. */
export class OrgConfigError extends Error {
  override readonly name = 'OrgConfigError';
  constructor(readonly issues: string[]) {
    super(`invalid organization function environment: ${issues.join('; ')}`);
  }
}

/** Parses the environment (pass `process.env`); throws `OrgConfigError` naming every bad variable. */
export function parseOrgFunctionConfig(env: Readonly<Record<string, string | undefined>>): OrgFunctionConfig {
  const issues: string[] = [];
  let scan: ScanFunctionConfig | undefined;
  try {
    scan = parseScanFunctionConfig(env);
  } catch (error) {
    if (!(error instanceof ScanConfigError)) throw error;
    issues.push(...error.issues);
  }
  const result = OrgFunctionEnvSchema.safeParse(env);
  if (!result.success) issues.push(...formatIssues(result.error));
  if (!scan || !result.success) throw new OrgConfigError(issues);
  const e = result.data;
  const externalId = e[ORG_FUNCTION_ENV.memberExternalId];
  const budget = e[ORG_FUNCTION_ENV.timeBudgetMs];
  return {
    scan,
    runsBucket: e[ORG_FUNCTION_ENV.runsBucket],
    memberRoleName: e[ORG_FUNCTION_ENV.memberRoleName],
    ...(externalId !== undefined ? { memberExternalId: externalId } : {}),
    accountSelection: e[ORG_FUNCTION_ENV.accountSelection] ?? {},
    ...(budget !== undefined ? { timeBudgetMs: budget } : {}),
  };
}

/** A state machine input a step cannot act on; the message names each field and what is wrong. */
export class OrgStepInputError extends Error {
  override readonly name = 'OrgStepInputError';
  constructor(
    readonly step: string,
    readonly issues: string[],
  ) {
    super(`invalid ${step} input: ${issues.join('; ')}`);
  }
}

/** The input of a step (`step` names it in errors), parsed with `schema`. */
export function parseStepInput<T extends z.ZodType>(schema: T, event: unknown, step: string): z.infer<T> {
  const result = schema.safeParse(event);
  if (!result.success) throw new OrgStepInputError(step, formatIssues(result.error));
  return result.data;
}
