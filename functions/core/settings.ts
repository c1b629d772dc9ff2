import * as z from 'zod';
import { RULES } from './rules';
import { suggestion } from './suggest';
import { strictObject, ThresholdsSchema } from './thresholds';

export { type Thresholds, ThresholdsSchema } from './thresholds';

/**
 * Scan settings: thresholds, organization, exemptions. One schema for the CLI `--config` file, the
 * Lambda environment and the CDK deploy config, so a bad value fails the same way everywhere.
 */

/** Every rule id of the catalog. */
export const RULE_IDS: readonly string[] = RULES.map((rule) => rule.meta.id);

/** Why `id` is not a rule id of the catalog (with the closest one), or undefined when it is. */
export function ruleIdProblem(id: string): string | undefined {
  if (RULE_IDS.includes(id)) return undefined;
  return `unknown rule id "${id}"${suggestion(id, RULE_IDS, 'rule ids')}`;
}

/** A rule id of the catalog (or `*`, where every rule is meant): a misspelt one would silently match nothing. */
const ruleId = (options: { wildcard: boolean }) =>
  z.string().superRefine((id, ctx) => {
    if (options.wildcard && id === '*') return;
    const problem = ruleIdProblem(id);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const accountId = z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id');

export const OrganizationSchema = strictObject({
  /** `o-xxxxxxxxxx`; principals conditioned on `aws:PrincipalOrgID` equal to it are ours. */
  id: z
    .string()
    .regex(/^o-[a-z0-9]{10,32}$/, 'must be an AWS Organizations id like o-abc1234567')
    .optional(),
  accountIds: z.array(accountId).default([]),
});

export const ExemptionSchema = strictObject({
  /** A rule id, or `*` for every rule. */
  ruleId: ruleId({ wildcard: true }),
  /** An exact ARN, or a glob (`*` within one segment, `**` across `/`); `<arn>#<sub-resource>` names one finding of it. */
  resource: z.string().min(1),
  reason: z.string().min(1),
  owner: z.string().min(1),
  /** ISO-8601 date or date-time; the exemption stops applying after it. */
  expires: z.iso.datetime({ offset: true }).or(z.iso.date()),
});

export type Exemption = z.infer<typeof ExemptionSchema>;

const ownerId = z
  .string()
  .trim()
  .min(1, 'an owner id must not be empty')
  .max(256, 'an owner id is at most 256 characters');

/**
 * Who owns an identity: the first of `tagKeys` (matched case-insensitively) with a non-empty value
 * on the role, user or secret, else the owner of the first `patterns` entry whose ARN glob matches.
 */
export const OwnershipSchema = strictObject({
  tagKeys: z
    .array(
      z.string().trim().min(1, 'a tag key must not be empty').max(128, 'a tag key is at most 128 characters'),
    )
    .default(['owner', 'team', 'contact']),
  patterns: z
    .array(
      strictObject({
        /** An ARN glob: `*` within one `/` segment, `**` across segments. */
        arn: z.string().min(1),
        owner: ownerId,
      }),
    )
    .default([]),
});

export type OwnershipSettings = z.infer<typeof OwnershipSchema>;

/** A record whose keys must match `pattern`; a bad key is named with `message` (zod alone says only "Invalid key"). */
function keyedRecord<V extends z.ZodType>(pattern: RegExp, message: string, value: V) {
  return z.record(z.string(), value).superRefine((record, ctx) => {
    for (const key of Object.keys(record)) {
      if (!pattern.test(key)) ctx.addIssue({ code: 'custom', path: [key], message });
    }
  });
}

const OU_ID = /^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/;
const environmentName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
    'an environment name is letters, digits, ".", "_" or "-" (at most 64)',
  );

/**
 * Which environment each account belongs to: by account id, else by the nearest OU of its path in
 * the organization (OU ids `ou-...` or the root `r-...`). `production` names the environments that
 * are production; every other named environment is not.
 */
export const EnvironmentsSchema = strictObject({
  accounts: keyedRecord(/^\d{12}$/, 'must be a 12-digit AWS account id', environmentName).default({}),
  ous: keyedRecord(OU_ID, 'an OU id looks like ou-ab12-cd34ef56 (or a root r-ab12)', environmentName).default(
    {},
  ),
  production: z.array(environmentName).min(1, 'name at least one production environment').default(['prod']),
});

export type EnvironmentSettings = z.infer<typeof EnvironmentsSchema>;

export const ScanSettingsSchema = strictObject({
  thresholds: ThresholdsSchema.default(ThresholdsSchema.parse({})),
  organization: OrganizationSchema.default({ accountIds: [] }),
  exemptions: z.array(ExemptionSchema).default([]),
  /** Rule ids not to evaluate. */
  disabledRules: z.array(ruleId({ wildcard: false })).default([]),
  ownership: OwnershipSchema.default(OwnershipSchema.parse({})),
  environments: EnvironmentsSchema.default(EnvironmentsSchema.parse({})),
});

export type ScanSettings = z.infer<typeof ScanSettingsSchema>;

export const DEFAULT_SETTINGS: ScanSettings = ScanSettingsSchema.parse({});

/** A settings value that failed validation; `issues` name each bad key by its dotted path. */
export class SettingsError extends Error {
  override readonly name = 'SettingsError';
  constructor(
    readonly source: string,
    readonly issues: string[],
  ) {
    super(`invalid settings in ${source}: ${issues.join('; ')}`);
  }
}

/** Formats zod issues as `path.to.key: message`. */
export function formatIssues(error: z.ZodError, prefix = ''): string[] {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.');
    return `${path || '(root)'}: ${issue.message}`;
  });
}

export function parseScanSettings(input: unknown, source: string): ScanSettings {
  const result = ScanSettingsSchema.safeParse(input ?? {});
  if (!result.success) throw new SettingsError(source, formatIssues(result.error));
  return result.data;
}
