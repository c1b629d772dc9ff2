import * as z from 'zod';
import { RULES } from './rules';
import { closestName, suggestion } from './suggest';

/**
 * Scan settings: thresholds, organization, exemptions. One schema for the CLI `--config` file, the
 * Lambda environment and the CDK deploy config, so a bad value fails the same way everywhere.
 */

/**
 * An object that rejects unknown keys, naming the closest known key: a misspelt key never
 * silently falls back to its default.
 */
function strictObject<Shape extends z.ZodRawShape>(shape: Shape) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code !== 'unrecognized_keys') return undefined;
      return issue.keys
        .map((key) => {
          const close = closestName(key, known);
          return `Unrecognized key: "${key}"${close ? ` (did you mean ${close}?)` : ` (known keys: ${known.join(', ')})`}`;
        })
        .join('; ');
    },
  });
}

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

const days = (fallback: number) => z.number().int().min(1).max(365).default(fallback);

export const ThresholdsSchema = strictObject({
  roleUnusedDays: days(90),
  accessKeyUnusedDays: days(45),
  accessKeyRotationDays: days(90),
  passwordUnusedDays: days(45),
  secretRotationDays: days(90),
  secretUnusedDays: days(90),
  serviceUnusedDays: days(90),
  certificateExpiryDays: days(30),
});

export type Thresholds = z.infer<typeof ThresholdsSchema>;

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
  /** An exact ARN, or a glob (`*` within one segment, `**` across `/`). */
  resource: z.string().min(1),
  reason: z.string().min(1),
  owner: z.string().min(1),
  /** ISO-8601 date or date-time; the exemption stops applying after it. */
  expires: z.iso.datetime({ offset: true }).or(z.iso.date()),
});

export type Exemption = z.infer<typeof ExemptionSchema>;

export const ScanSettingsSchema = strictObject({
  thresholds: ThresholdsSchema.default(ThresholdsSchema.parse({})),
  organization: OrganizationSchema.default({ accountIds: [] }),
  exemptions: z.array(ExemptionSchema).default([]),
  /** Rule ids not to evaluate. */
  disabledRules: z.array(ruleId({ wildcard: false })).default([]),
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
