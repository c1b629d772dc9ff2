import * as z from 'zod';

/**
 * Scan settings: thresholds, organization, exemptions. One schema for the CLI `--config` file, the
 * Lambda environment and the CDK deploy config, so a bad value fails the same way everywhere.
 */

const days = (fallback: number) => z.number().int().min(1).max(365).default(fallback);

export const ThresholdsSchema = z
  .object({
    roleUnusedDays: days(90),
    accessKeyUnusedDays: days(45),
    accessKeyRotationDays: days(90),
    passwordUnusedDays: days(45),
    secretRotationDays: days(90),
    secretUnusedDays: days(90),
    serviceUnusedDays: days(90),
    certificateExpiryDays: days(30),
  })
  .strict();

export type Thresholds = z.infer<typeof ThresholdsSchema>;

const accountId = z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id');

export const OrganizationSchema = z
  .object({
    /** `o-xxxxxxxxxx`; principals conditioned on `aws:PrincipalOrgID` equal to it are ours. */
    id: z
      .string()
      .regex(/^o-[a-z0-9]{10,32}$/, 'must be an AWS Organizations id like o-abc1234567')
      .optional(),
    accountIds: z.array(accountId).default([]),
  })
  .strict();

export const ExemptionSchema = z
  .object({
    ruleId: z.string().min(1),
    /** An exact ARN, or a glob (`*` within one segment, `**` across `/`). */
    resource: z.string().min(1),
    reason: z.string().min(1),
    owner: z.string().min(1),
    /** ISO-8601 date or date-time; the exemption stops applying after it. */
    expires: z.iso.datetime({ offset: true }).or(z.iso.date()),
  })
  .strict();

export type Exemption = z.infer<typeof ExemptionSchema>;

export const ScanSettingsSchema = z
  .object({
    thresholds: ThresholdsSchema.default(ThresholdsSchema.parse({})),
    organization: OrganizationSchema.default({ accountIds: [] }),
    exemptions: z.array(ExemptionSchema).default([]),
    /** Rule ids not to evaluate. */
    disabledRules: z.array(z.string()).default([]),
  })
  .strict();

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
