import * as z from 'zod';
import { type AccountSelection, AccountSelectionSchema } from './organization-scan';
import { regionProblem } from './regions';
import { ARCHIVABLE_REPORT_FORMATS, DEFAULT_ARCHIVED_REPORT_FORMATS } from './report-archive';
import { ReviewsDeploySchema } from './review/config';
import {
  formatIssues,
  OrganizationSchema,
  OwnershipSchema,
  type ScanSettings,
  ScanSettingsSchema,
} from './settings';
import { ApproverSchema, SlackTargetSchema } from './slack/ids';
import { suggestion } from './suggest';
import { strictObject } from './thresholds';

/**
 * The deploy config: what `cdk deploy -c key=value` (or the `context` of cdk.json) may set. The
 * thresholds, organization, exemptions and disabled rules are the scan settings themselves
 * (`ScanSettingsSchema`), so the stack accepts exactly what the scan function will accept. Every
 * key is a top-level schema key, so a bad value is reported under the name the user typed.
 */

export const DEFAULT_SCHEDULE = 'rate(1 day)';

/** The retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export type LogRetentionDays = (typeof LOG_RETENTION_DAYS)[number];

/**
 * Budget for the JSON of the scan settings in the function's environment: Lambda allows 4 KB for
 * all variables together, and the other variables take well under 1 KB.
 */
export const SCAN_SETTINGS_ENV_BUDGET_BYTES = 3000;

/** Why a schedule expression is not acceptable, or undefined when it is. */
export function scheduleProblem(expression: string): string | undefined {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2]!;
    if (value < 1) return 'the rate must be at least 1';
    if ((value === 1) !== !unit.endsWith('s')) {
      return value === 1
        ? `use the singular unit: rate(1 ${unit.replace(/s$/, '')})`
        : `use the plural unit: rate(${value} ${unit}s)`;
    }
    const minutes = value * (unit.startsWith('minute') ? 1 : unit.startsWith('hour') ? 60 : 1440);
    if (minutes < 60)
      return 'scan at most once an hour (IAM regenerates the credential report at most every 4 hours)';
    return undefined;
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (cron) return cronProblem(cron[1]!.trim().split(/\s+/));
  return 'must be rate(N hours|days), e.g. rate(1 day), or cron(minutes hours day-of-month month day-of-week year), e.g. cron(0 6 * * ? *)';
}

const CRON_FIELDS: readonly { name: string; pattern: RegExp }[] = [
  { name: 'minutes', pattern: /^([0-5]?\d)$/ },
  { name: 'hours', pattern: /^[0-9*,/-]+$/ },
  { name: 'day-of-month', pattern: /^[0-9*,/?LW-]+$/ },
  { name: 'month', pattern: /^[0-9A-Za-z*,/-]+$/ },
  { name: 'day-of-week', pattern: /^[0-9A-Za-z*,/?L#-]+$/ },
  { name: 'year', pattern: /^[0-9*,/-]+$/ },
];

function cronProblem(fields: string[]): string | undefined {
  if (fields.length !== 6) {
    return `a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), got ${fields.length}`;
  }
  for (const [i, field] of CRON_FIELDS.entries()) {
    const value = fields[i]!;
    if (!field.pattern.test(value)) {
      return i === 0
        ? `the minutes field must be a single minute (0-59), so that scans run at most once an hour; got "${value}"`
        : `the ${field.name} field "${value}" is not valid`;
    }
  }
  if ((fields[2] === '?') === (fields[4] === '?')) {
    return 'exactly one of day-of-month and day-of-week must be "?"';
  }
  return undefined;
}

const ScheduleSchema = z
  .string()
  .trim()
  .superRefine((expression, ctx) => {
    const problem = scheduleProblem(expression);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** A region by name: a typo would deploy a scan of a region that does not exist. */
const region = z.string().superRefine((name, ctx) => {
  const problem = regionProblem(name);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** An exact ARN, or a glob of ARNs (`*` within a segment, `**` across `/`). */
const arnPattern = z
  .string()
  .regex(/^arn:[^\s]+$/, 'must be an ARN (or a glob of ARNs) starting with arn:, without spaces');

export { type Approver, ApproverSchema, SlackTargetSchema } from './slack/ids';

const settings = ScanSettingsSchema.shape;

/** An IAM role name: the member roles are created under exactly this name in every account. */
const roleName = z
  .string()
  .regex(/^[\w+=,.@-]{1,64}$/, 'must be an IAM role name (1-64 letters, digits and +=,.@_-)');

/**
 * The `organization` key: the scan settings' own organization (`id`, `accountIds`: which accounts
 * count as ours for the trust and secret policy rules) plus organization mode, in which this
 * deployment scans every selected member account through the member role.
 */
export const OrganizationDeploySchema = strictObject({
  ...OrganizationSchema.shape,
  ...AccountSelectionSchema.shape,
  /** Organization mode: the schedule starts the organization state machine instead of the scan function. */
  enabled: z.boolean().default(false),
  /** The read-only role the member stack creates in every account. */
  memberRoleName: roleName.default('IamPostureScanner'),
  /** The member account's remediation role (member stack, when remediation is deployed). */
  memberRemediationRoleName: roleName.default('IamPostureRemediation'),
  /** The member account's rollback role, trusted only by the central rollback function's role. */
  memberRollbackRoleName: roleName.default('IamPostureRollback'),
  /** Member accounts scanned at once (the Distributed Map's MaxConcurrency). */
  concurrency: z.int().min(1).max(1000).default(10),
  /**
   * Required in the member roles' trust as `sts:ExternalId`, and sent by the central functions: an
   * extra check. The deployed stack assumes roles only inside the organization, where
   * `aws:PrincipalOrgID` and the exact central role ARN already decide.
   */
  externalId: z
    .string()
    .regex(/^[\w+=,.@:/-]{2,1224}$/, 'must be 2-1224 characters of letters, digits and +=,.@:/-')
    .optional(),
  /** The organization the central roles belong to: `aws:PrincipalOrgID` and `aws:ResourceOrgID`. */
  organizationId: z
    .string()
    .regex(/^o-[a-z0-9]{10,32}$/, 'must be an AWS Organizations id like o-abc1234567')
    .optional(),
}).superRefine((organization, ctx) => {
  if (organization.enabled && organization.organizationId === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['organizationId'],
      message:
        'is required when organization mode is enabled: the member roles trust only principals of this organization (aws:PrincipalOrgID)',
    });
  }
  if (
    organization.id !== undefined &&
    organization.organizationId !== undefined &&
    organization.id !== organization.organizationId
  ) {
    ctx.addIssue({
      code: 'custom',
      path: ['id'],
      message: `names ${organization.id}, but organizationId names ${organization.organizationId}: one organization, one id`,
    });
  }
});

export type OrganizationDeployConfig = z.output<typeof OrganizationDeploySchema>;

/**
 * A Lambda function RotateSecret may invoke: an exact ARN, or a prefix ending in `*`. Region and
 * account are required and literal, and a name prefix of at least one character is required, so a
 * pattern never reaches every function of an account.
 */
export const RotationFunctionArnSchema = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:lambda:[a-z]{2}(-[a-z]+)+-\d:\d{12}:function:[A-Za-z0-9_-]+(\*|(:[A-Za-z0-9_$-]+)?)$/,
    'must be a Lambda function ARN with a literal region and account and a name (optionally a name prefix ending in *), e.g. arn:aws:lambda:eu-west-1:123456789012:function:rotate-*',
  );

/** The `remediation` key: what remediation may reach beyond IAM. */
export const RemediationDeploySchema = strictObject({
  /**
   * Rotation functions rotate-secret may start (RotateSecret invokes the secret's rotation function
   * as the caller). Empty: no invoke permission at all, and rotate-secret is refused.
   */
  rotationFunctions: z.array(RotationFunctionArnSchema).max(20).default([]),
});

/**
 * The `reports` key: each scan's report archived in a private bucket of the stack, encrypted with
 * its data key, deleted `retentionDays` after it was written.
 */
export const ReportsDeploySchema = strictObject({
  enabled: z.boolean().default(false),
  retentionDays: z.int().min(1).max(3650).default(90),
  /**
   * The formats each report is written in, one object each. `asff` is not among them: Security Hub
   * imports findings through the `securityHub` exporter, not from a file.
   */
  formats: z
    .array(
      z.enum(ARCHIVABLE_REPORT_FORMATS, {
        error: `must be one of ${ARCHIVABLE_REPORT_FORMATS.join(', ')} (asff goes to Security Hub through the securityHub exporter)`,
      }),
    )
    .min(1, 'must list at least one format')
    .refine((formats) => new Set(formats).size === formats.length, 'must not list a format twice')
    .default([...DEFAULT_ARCHIVED_REPORT_FORMATS]),
});

/**
 * The `securityHub` key: the opt-in exporter of FindingOpened / FindingResolved to AWS Security
 * Hub (BatchImportFindings into the account's default product). In organization mode each member
 * account's findings are imported in that account, through a write-only role the member stack
 * creates under `memberImportRoleName`.
 */
export const SecurityHubDeploySchema = strictObject({
  enabled: z.boolean().default(false),
  memberImportRoleName: roleName.default('IamPostureFindingsImport'),
});

export type SecurityHubDeployConfig = z.output<typeof SecurityHubDeploySchema>;

/** The `ownership` key: the scan settings' ownership plus where each owner is reached in Slack. */
export const OwnershipDeploySchema = strictObject({
  ...OwnershipSchema.shape,
  /** Owner id (exactly as a tag value or pattern names it) -> Slack user or channel. */
  slack: z.record(z.string().trim().min(1, 'an owner id must not be empty'), SlackTargetSchema).default({}),
});

export const DeployConfigSchema = z
  .object({
    /** EventBridge Scheduler expression, UTC. At most hourly. */
    schedule: ScheduleSchema.default(DEFAULT_SCHEDULE),
    thresholds: settings.thresholds,
    organization: OrganizationDeploySchema.prefault({}),
    /** Service-last-accessed jobs one scan (of one account) may start; the rest wait for later scans. */
    serviceLastAccessedMaxJobs: z.int().min(0).max(5000).default(100),
    exemptions: settings.exemptions,
    disabledRules: settings.disabledRules,
    /** Who owns each identity (scan settings), and the Slack user or channel each owner is reached at. */
    ownership: OwnershipDeploySchema.prefault({}),
    environments: settings.environments,
    /** Regions whose secrets are listed; `all` = every enabled region; absent = the stack's region. */
    secretsRegions: z
      .union([z.literal('all'), z.array(region).min(1, 'must name at least one region')])
      .optional(),
    /** Principals remediation never touches, besides the built-in ones. */
    protectedArns: z.array(arnPattern).default([]),
    /** Emergency identities: unused by design, never flagged for removal. */
    breakGlassArns: z.array(arnPattern).default([]),
    /** Slack channel that receives findings and approval requests. */
    slackChannelId: z
      .string()
      .regex(/^[CGD][A-Z0-9]{6,}$/, 'must be a Slack channel id like C0123ABCD')
      .optional(),
    /** Who may approve a remediation. Empty = nobody can. */
    approvers: z.array(ApproverSchema).default([]),
    remediation: RemediationDeploySchema.prefault({}),
    reports: ReportsDeploySchema.prefault({}),
    /**
     * Reserved concurrency of the Slack interaction function behind the public Function URL: a
     * flood of requests is throttled there instead of taking the account's concurrency.
     */
    slackInteractionConcurrency: z.int().min(1).max(100).default(5),
    logRetentionDays: z
      .number()
      .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
        message: `must be one of the CloudWatch Logs retention periods: ${LOG_RETENTION_DAYS.join(', ')}`,
      })
      .default(90),
    /** Subscribed to the alarm topic when set (the subscription must be confirmed from the mail). */
    alarmEmail: z.email('must be an email address').optional(),
    /** Resolved findings are deleted by DynamoDB TTL this many days after resolution. */
    resolvedTtlDays: z.int().min(1).max(3650).default(90),
    /**
     * Reserved concurrency of the scan function: 1 keeps scans of one account from overlapping.
     * `none` for accounts whose concurrency quota (10 on new accounts) cannot spare a reservation.
     */
    reservedConcurrency: z.union([z.literal('none'), z.int().min(1).max(100)]).default(1),
    /** AWS X-Ray active tracing on the functions. */
    tracing: z.boolean().default(false),
    securityHub: SecurityHubDeploySchema.prefault({}),
    /** Entitlement review campaigns: owners answer for their non-human identities on a rhythm. */
    reviews: ReviewsDeploySchema.prefault({}),
  })
  .strict()
  .superRefine((config, ctx) => {
    const bytes = new TextEncoder().encode(JSON.stringify(scanSettingsOf(config))).length;
    if (bytes > SCAN_SETTINGS_ENV_BUDGET_BYTES) {
      ctx.addIssue({
        code: 'custom',
        path: [config.exemptions.length > 0 ? 'exemptions' : 'disabledRules'],
        message: `the scan settings take ${bytes} bytes, more than the ${SCAN_SETTINGS_ENV_BUDGET_BYTES} the Lambda environment (4 KB in all) can hold`,
      });
    }
  });

export type DeployConfig = z.output<typeof DeployConfigSchema>;

export type DeployConfigKey = keyof z.input<typeof DeployConfigSchema>;

export const DEPLOY_CONFIG_KEYS = Object.keys(DeployConfigSchema.shape) as DeployConfigKey[];

/** How a `-c key=value` string becomes the value the schema checks. */
type ContextKind = 'string' | 'json' | 'list' | 'number' | 'boolean' | 'number-or-word';

const CONTEXT_KINDS: Record<DeployConfigKey, ContextKind> = {
  schedule: 'string',
  thresholds: 'json',
  organization: 'json',
  serviceLastAccessedMaxJobs: 'number',
  exemptions: 'json',
  disabledRules: 'list',
  ownership: 'json',
  environments: 'json',
  secretsRegions: 'list',
  protectedArns: 'list',
  breakGlassArns: 'list',
  slackChannelId: 'string',
  approvers: 'json',
  remediation: 'json',
  reports: 'json',
  slackInteractionConcurrency: 'number',
  logRetentionDays: 'number',
  alarmEmail: 'string',
  resolvedTtlDays: 'number',
  reservedConcurrency: 'number-or-word',
  tracing: 'boolean',
  securityHub: 'json',
  reviews: 'json',
};

/** A deploy config that failed validation; each issue names its key (`approvers.0.userId: ...`). */
export class DeployConfigError extends Error {
  override readonly name = 'DeployConfigError';
  constructor(
    readonly issues: string[],
    options?: { cause?: unknown },
  ) {
    super(`invalid deploy config: ${issues.join('; ')}`, options);
  }
}

/** Validates an already-structured deploy config (tests, programmatic use). */
export function parseDeployConfig(input: unknown): DeployConfig {
  const result = DeployConfigSchema.safeParse(input ?? {});
  if (!result.success) throw new DeployConfigError(formatIssues(result.error), { cause: result.error });
  return result.data;
}

/**
 * Reads the deploy config from CDK context. Values given with `-c key=value` arrive as strings:
 * structured keys accept JSON, list keys accept JSON arrays or comma-separated values, and
 * numbers and booleans are converted. Values from cdk.json arrive already typed and are used as
 * they are. Keys CDK itself uses (`@aws-cdk/...`, `aws:cdk:...`, lookups) are ignored; any other
 * unknown key is an error, so a misspelt key never silently falls back to its default.
 */
export function parseDeployConfigFromContext(context: Readonly<Record<string, unknown>>): DeployConfig {
  const issues: string[] = [];
  const input: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(context)) {
    if (value === undefined) continue;
    if (!isDeployConfigKey(key)) {
      if (/^[a-z][A-Za-z0-9]*$/.test(key))
        issues.push(`${key}: unknown key${suggestion(key, DEPLOY_CONFIG_KEYS, 'known keys')}`);
      continue;
    }
    const converted = fromContextValue(CONTEXT_KINDS[key], value);
    if (converted.ok) input[key] = converted.value;
    else issues.push(`${key}: ${converted.problem}`);
  }
  if (issues.length > 0) throw new DeployConfigError(issues);
  return parseDeployConfig(input);
}

/**
 * The scan settings part of the config, as the scan function's SCAN_SETTINGS holds them. In
 * organization mode the organization's id is the scanned accounts' own organization.
 */
export function scanSettingsOf(
  config: Pick<
    DeployConfig,
    'thresholds' | 'organization' | 'exemptions' | 'disabledRules' | 'ownership' | 'environments'
  >,
): ScanSettings {
  const { id, organizationId, accountIds } = config.organization;
  const orgId = id ?? organizationId;
  return {
    thresholds: config.thresholds,
    organization: { ...(orgId !== undefined ? { id: orgId } : {}), accountIds },
    exemptions: config.exemptions,
    disabledRules: config.disabledRules,
    ownership: { tagKeys: config.ownership.tagKeys, patterns: config.ownership.patterns },
    environments: config.environments,
  };
}

/** The ORG_ACCOUNT_SELECTION value: only the selection keys that are set. */
export function accountSelectionOf(config: Pick<DeployConfig, 'organization'>): AccountSelection {
  const { includeAccounts, excludeAccounts, includeOus, excludeOus } = config.organization;
  return {
    ...(includeAccounts ? { includeAccounts } : {}),
    ...(excludeAccounts ? { excludeAccounts } : {}),
    ...(includeOus ? { includeOus } : {}),
    ...(excludeOus ? { excludeOus } : {}),
  };
}

/** The SECRETS_REGIONS value: `all`, or a comma list; `homeRegion` when the config names none. */
export function secretsRegionsVariable(
  config: Pick<DeployConfig, 'secretsRegions'>,
  homeRegion: string,
): string {
  if (config.secretsRegions === undefined) return homeRegion;
  return config.secretsRegions === 'all' ? 'all' : config.secretsRegions.join(',');
}

function isDeployConfigKey(key: string): key is DeployConfigKey {
  return Object.hasOwn(CONTEXT_KINDS, key);
}

type Converted = { ok: true; value: unknown } | { ok: false; problem: string };

function fromContextValue(kind: ContextKind, value: unknown): Converted {
  if (typeof value !== 'string') return { ok: true, value };
  const text = value.trim();
  switch (kind) {
    case 'string':
      return { ok: true, value: text };
    case 'json':
      return parseJson(text);
    case 'list':
      if (text.startsWith('[')) return parseJson(text);
      if (text === 'all') return { ok: true, value: 'all' };
      return {
        ok: true,
        value: text
          .split(',')
          .map((item) => item.trim())
          .filter((item) => item !== ''),
      };
    case 'number':
      return /^-?\d+(\.\d+)?$/.test(text) ? { ok: true, value: Number(text) } : { ok: true, value: text };
    case 'number-or-word':
      return /^\d+$/.test(text) ? { ok: true, value: Number(text) } : { ok: true, value: text };
    case 'boolean':
      if (text === 'true') return { ok: true, value: true };
      if (text === 'false') return { ok: true, value: false };
      return { ok: false, problem: `must be true or false, got "${text}"` };
  }
}

function parseJson(text: string): Converted {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, problem: `is not valid JSON (${(error as Error).message})` };
  }
}
