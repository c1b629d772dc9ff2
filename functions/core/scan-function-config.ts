import * as z from 'zod';
import { jsonVariable } from './env-schema';
import { regionProblem } from './regions';
import {
  ARCHIVABLE_REPORT_FORMATS,
  type ArchivableReportFormat,
  DEFAULT_ARCHIVED_REPORT_FORMATS,
} from './report-archive';
import { formatIssues, type ScanSettings, ScanSettingsSchema } from './settings';

/**
 * The scan function's environment. Parsed once, lazily, by the handler; the CDK construct sets
 * exactly these variables (by these names), so a value the stack accepts is one the function
 * accepts.
 */

export const SCAN_FUNCTION_ENV = {
  /** The findings table (see `findings-table.ts`). */
  findingsTableName: 'FINDINGS_TABLE_NAME',
  /** The EventBridge bus for FindingOpened, FindingResolved and ScanCompleted. */
  eventBusName: 'EVENT_BUS_NAME',
  /** Regions whose secrets are listed: a comma-separated list, or `all` (every enabled region). Default: the function's region. */
  secretsRegions: 'SECRETS_REGIONS',
  /** The scan settings as JSON (`ScanSettingsSchema`). Default: the defaults. */
  scanSettings: 'SCAN_SETTINGS',
  /** Days a resolved finding is kept before DynamoDB's TTL removes it. Default 90. */
  resolvedTtlDays: 'RESOLVED_TTL_DAYS',
  /**
   * Service-last-accessed jobs one scan may generate (0..5000). Default 100. Results are cached
   * per principal in the findings table, so each scan refreshes the principals without data, then
   * the stalest: an account of N principals is covered after N / budget scans.
   */
  serviceLastAccessedMaxJobs: 'SERVICE_LAST_ACCESSED_MAX_JOBS',
  /** The private bucket each scan's report is written to. Unset: reports are not archived. */
  reportsBucket: 'REPORTS_BUCKET',
  /** The KMS key (ARN) the reports are encrypted with; required with `REPORTS_BUCKET`. */
  reportsKmsKeyArn: 'REPORTS_KMS_KEY_ARN',
  /** The formats each report is archived in, comma-separated (`html,sarif`). Default: html. */
  reportsFormats: 'REPORTS_FORMATS',
  /**
   * `true` where just-in-time elevation is deployed: each scan reads the eligibilities and
   * break-glass elevations from the findings table. Default `false`.
   */
  readJitState: 'READ_JIT_STATE',
} as const;

/** The job budget of a scan when `SERVICE_LAST_ACCESSED_MAX_JOBS` is not set. */
export const DEFAULT_SERVICE_LAST_ACCESSED_MAX_JOBS = 100;
export const MAX_SERVICE_LAST_ACCESSED_MAX_JOBS = 5000;

const regionList = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .transform((text, ctx): string[] | 'all' => {
    if (text === 'all') return 'all';
    const regions = text.split(',').map((region) => region.trim());
    for (const region of regions) {
      const problem = regionProblem(region);
      if (problem) {
        ctx.addIssue({ code: 'custom', message: `${problem} (or all, for every enabled region)` });
        return z.NEVER;
      }
    }
    return [...new Set(regions)];
  });

const settingsJson = jsonVariable(ScanSettingsSchema);

const days = z
  .string()
  .trim()
  .regex(/^\d+$/, 'must be a whole number of days')
  .transform(Number)
  .pipe(z.number().int().min(1, 'must be at least 1 day').max(3650, 'must be at most 3650 days'));

const jobBudget = z
  .string()
  .trim()
  .regex(/^\d+$/, 'must be a whole number of jobs')
  .transform(Number)
  .pipe(
    z
      .number()
      .int()
      .max(MAX_SERVICE_LAST_ACCESSED_MAX_JOBS, `must be at most ${MAX_SERVICE_LAST_ACCESSED_MAX_JOBS} jobs`),
  );

const required = z.string({ error: 'is required' }).trim().min(1, 'is required');

/** An S3 bucket name as S3 accepts it (general purpose buckets). */
const bucketName = z
  .string()
  .trim()
  .regex(
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    'must be an S3 bucket name (3-63 lowercase letters, digits, dots and hyphens)',
  );

const kmsKeyArn = z
  .string()
  .trim()
  .regex(
    /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]{36}$/,
    'must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)',
  );

/** `html,sarif`: each an archivable format, none twice. */
const reportFormatList = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .transform((text, ctx): ArchivableReportFormat[] => {
    const formats = text.split(',').map((format) => format.trim());
    const seen = new Set<string>();
    for (const format of formats) {
      if (!(ARCHIVABLE_REPORT_FORMATS as readonly string[]).includes(format)) {
        ctx.addIssue({
          code: 'custom',
          message: `"${format}" is not an archivable report format (${ARCHIVABLE_REPORT_FORMATS.join(', ')})`,
        });
        return z.NEVER;
      }
      if (seen.has(format)) {
        ctx.addIssue({ code: 'custom', message: `lists "${format}" twice` });
        return z.NEVER;
      }
      seen.add(format);
    }
    return formats as ArchivableReportFormat[];
  });

export const ScanFunctionEnvSchema = z
  .object({
    [SCAN_FUNCTION_ENV.findingsTableName]: required,
    [SCAN_FUNCTION_ENV.eventBusName]: required,
    [SCAN_FUNCTION_ENV.secretsRegions]: regionList.optional(),
    [SCAN_FUNCTION_ENV.scanSettings]: settingsJson.optional(),
    [SCAN_FUNCTION_ENV.resolvedTtlDays]: days.optional(),
    [SCAN_FUNCTION_ENV.serviceLastAccessedMaxJobs]: jobBudget.optional(),
    [SCAN_FUNCTION_ENV.reportsBucket]: bucketName.optional(),
    [SCAN_FUNCTION_ENV.reportsKmsKeyArn]: kmsKeyArn.optional(),
    [SCAN_FUNCTION_ENV.reportsFormats]: reportFormatList.optional(),
    [SCAN_FUNCTION_ENV.readJitState]: z
      .enum(['true', 'false'], { error: 'must be true or false' })
      .optional(),
  })
  .superRefine((env, ctx) => {
    // A report written without the stack's key would fall back to the account's aws/s3 key.
    if (
      env[SCAN_FUNCTION_ENV.reportsBucket] !== undefined &&
      env[SCAN_FUNCTION_ENV.reportsKmsKeyArn] === undefined
    ) {
      ctx.addIssue({
        code: 'custom',
        path: [SCAN_FUNCTION_ENV.reportsKmsKeyArn],
        message: `is required when ${SCAN_FUNCTION_ENV.reportsBucket} is set`,
      });
    }
  });

export interface ScanFunctionConfig {
  findingsTableName: string;
  eventBusName: string;
  /** Undefined: the function's own region only. */
  secretsRegions?: string[] | 'all';
  settings: ScanSettings;
  resolvedTtlDays?: number;
  /** Service-last-accessed jobs per scan, 0..5000. */
  serviceLastAccessedMaxJobs: number;
  /** Where each scan's report is archived; undefined: not archived. */
  reports?: { bucket: string; kmsKeyArn: string; formats: ArchivableReportFormat[] };
  /** Read the just-in-time state from the findings table. */
  readJitState: boolean;
}

/** A bad environment variable; the message names each variable and what is wrong with it. */
export class ScanConfigError extends Error {
  override readonly name = 'ScanConfigError';
  constructor(readonly issues: string[]) {
    super(`invalid scan function environment: ${issues.join('; ')}`);
  }
}

/** Parses the environment (pass `process.env`); throws `ScanConfigError` naming the variable. */
export function parseScanFunctionConfig(
  env: Readonly<Record<string, string | undefined>>,
): ScanFunctionConfig {
  const result = ScanFunctionEnvSchema.safeParse(env);
  if (!result.success) throw new ScanConfigError(formatIssues(result.error));
  const e = result.data;
  const regions = e[SCAN_FUNCTION_ENV.secretsRegions];
  const ttl = e[SCAN_FUNCTION_ENV.resolvedTtlDays];
  const reportsBucket = e[SCAN_FUNCTION_ENV.reportsBucket];
  const reportsKey = e[SCAN_FUNCTION_ENV.reportsKmsKeyArn];
  return {
    findingsTableName: e[SCAN_FUNCTION_ENV.findingsTableName],
    eventBusName: e[SCAN_FUNCTION_ENV.eventBusName],
    ...(regions !== undefined ? { secretsRegions: regions } : {}),
    settings: e[SCAN_FUNCTION_ENV.scanSettings] ?? ScanSettingsSchema.parse({}),
    ...(ttl !== undefined ? { resolvedTtlDays: ttl } : {}),
    serviceLastAccessedMaxJobs:
      e[SCAN_FUNCTION_ENV.serviceLastAccessedMaxJobs] ?? DEFAULT_SERVICE_LAST_ACCESSED_MAX_JOBS,
    readJitState: e[SCAN_FUNCTION_ENV.readJitState] === 'true',
    ...(reportsBucket !== undefined && reportsKey !== undefined
      ? {
          reports: {
            bucket: reportsBucket,
            kmsKeyArn: reportsKey,
            formats: e[SCAN_FUNCTION_ENV.reportsFormats] ?? [...DEFAULT_ARCHIVED_REPORT_FORMATS],
          },
        }
      : {}),
  };
}
