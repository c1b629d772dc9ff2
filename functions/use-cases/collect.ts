import * as z from 'zod';
import { type ParsedCredentialReport, readCredentialReportCsv } from '../core/credential-report';
import type { CoverageGap } from '../core/model';
import { normalize } from '../core/normalize';
import { EXPORT_FILES, type RawAccountData } from '../core/raw';
import type { ScanSettings } from '../core/settings';

/** One read's outcome: the data when it was read completely, coverage gaps otherwise. */
export interface SourceRead<T> {
  data?: T;
  gaps: CoverageGap[];
}

export type ItemsProgress = (done: number, total: number) => void;

export interface UserRef {
  userName: string;
  arn: string;
}

export interface SecretRef {
  arn: string;
  region: string;
}

/** The reads a live collection needs (implemented over the AWS SDK by `AwsCollector`). */
export interface AccountSource {
  /** Throws when the account cannot be identified: then nothing else is meaningful. */
  callerIdentity(): Promise<{ accountId: string; arn?: string }>;
  homeRegion(): Promise<string>;
  /**
   * `describe-organization` output, or `{ "Organization": null }` for an account in no
   * organization; a gap when it could not be read.
   */
  organization(accountId: string): Promise<SourceRead<unknown>>;
  enabledRegions(accountId: string): Promise<SourceRead<string[]>>;
  authorizationDetails(
    accountId: string,
    onPage?: (pages: number, entities: number) => void,
  ): Promise<SourceRead<AuthorizationDetailsOutput>>;
  credentialReport(accountId: string): Promise<SourceRead<{ content: string; generatedAt?: string }>>;
  accessKeys(
    accountId: string,
    users: readonly UserRef[],
    onProgress?: ItemsProgress,
  ): Promise<SourceRead<Record<string, unknown>>>;
  serverCertificates(accountId: string): Promise<SourceRead<unknown>>;
  secrets(accountId: string, region: string): Promise<SourceRead<unknown>>;
  secretPolicies(
    accountId: string,
    secrets: readonly SecretRef[],
    onProgress?: ItemsProgress,
  ): Promise<SourceRead<unknown[]>>;
  serviceLastAccessed(
    accountId: string,
    principalArns: readonly string[],
    onProgress?: ItemsProgress,
  ): Promise<SourceRead<Record<string, unknown>>>;
  /** Requests sent so far, by operation. */
  apiCalls(): Record<string, number>;
}

/** `get-account-authorization-details` output (every page merged), as far as collection reads it. */
export interface AuthorizationDetailsOutput {
  UserDetailList: Record<string, unknown>[];
  GroupDetailList: Record<string, unknown>[];
  RoleDetailList: Record<string, unknown>[];
  Policies: Record<string, unknown>[];
}

export interface CollectDeps {
  source: AccountSource;
  now(): Date;
}

export interface ServiceLastAccessedCollectOptions {
  /**
   * Principal ARN -> `get-service-last-accessed-details` output of an earlier collection; or a
   * function loading it once the account is identified (a cache keyed by account), called only
   * when the data is needed.
   */
  previous?: Record<string, unknown> | ((accountId: string) => Promise<Record<string, unknown>>);
  /** Earlier results whose JobCompletionDate is at most this old are reused. Default 7. */
  maxAgeDays?: number;
  /** At most this many jobs per collection; the rest wait for a later one. Default 100. */
  maxJobs?: number;
}

export interface CollectOptions {
  /** Secrets regions: names, or `all` for every enabled region. Default: the home region. */
  regions?: readonly string[] | 'all';
  /** Decides which optional reads a rule needs (disabled rules need nothing). */
  settings: Pick<ScanSettings, 'disabledRules'>;
  serviceLastAccessed?: ServiceLastAccessedCollectOptions;
}

export type CollectPhase =
  | 'identity'
  | 'organization'
  | 'regions'
  | 'authorization-details'
  | 'credential-report'
  | 'access-keys'
  | 'server-certificates'
  | 'secrets'
  | 'secret-policies'
  | 'service-last-accessed'
  | 'done';

export interface CollectProgressEvent {
  phase: CollectPhase;
  message: string;
  done?: number;
  total?: number;
}

export type CollectProgress = (event: CollectProgressEvent) => void;

export interface CollectResult {
  raw: RawAccountData;
  /**
   * Every gap a scan of this collection reports, live or from its export directory: the reads that
   * failed (`raw.coverageGaps`, written to coverage-gaps.json) and what the documents lack or hold
   * malformed.
   */
  coverageGaps: CoverageGap[];
  accountId: string;
  /** The regions whose secrets were listed. */
  regions: string[];
  /** Requests sent, by operation (`iam:GetAccountAuthorizationDetails`), retries included. */
  apiCalls: Record<string, number>;
  serviceLastAccessed: { generated: number; reused: number; deferred: number };
}

/**
 * Gaps about a document's content name the document as the export directory holds it, live too:
 * a live scan and a scan of `collect`'s export then give the same gap the same finding id. The
 * JSON paths in those gaps are paths into exactly that document (the pages merged as the AWS CLI
 * prints them). Reads that fail are named by their API operation (see the readers).
 */
const DOCUMENT_SOURCES = EXPORT_FILES;

export const SECRET_POLICY_RULE = 'secret-policy-public';
export const SERVICE_PERMISSIONS_RULE = 'unused-service-permissions';
const SERVICE_LINKED_PATH = '/aws-service-role/';
const DAY_MS = 86_400_000;

/**
 * Collects one account live with as few calls as the APIs allow: a handful of account-wide
 * listings, then per-entity calls only where a finding needs them (key ids of active keys,
 * policies of secrets, service-last-accessed jobs of principals holding policies). What cannot be
 * read becomes a coverage gap; everything else is still collected.
 */
export async function collectAccount(
  deps: CollectDeps,
  options: CollectOptions,
  progress: CollectProgress = () => {},
): Promise<CollectResult> {
  const { source } = deps;
  const collectedAt = deps.now();
  // The source's counter outlives one collection (a warm Lambda): count this collection's calls.
  const callsBefore = source.apiCalls();
  const disabled = new Set(options.settings.disabledRules);

  progress({ phase: 'identity', message: 'identifying the account' });
  const { accountId } = await source.callerIdentity();
  const gaps: CoverageGap[] = [];

  const iamPart = async () => {
    const details = await source.authorizationDetails(accountId, (pages, entities) =>
      progress({
        phase: 'authorization-details',
        message: `authorization details: ${pages} page(s), ${entities} entities`,
        done: pages,
      }),
    );
    gaps.push(...details.gaps);
    return details.data;
  };

  const credentialPart = async () => {
    progress({ phase: 'credential-report', message: 'generating the credential report' });
    const report = await source.credentialReport(accountId);
    gaps.push(...report.gaps);
    if (!report.data) return { report: undefined, parsed: undefined, accessKeys: undefined };
    const parsed = readCredentialReportCsv(report.data.content);
    const users = usersWithActiveKeys(parsed);
    progress({ phase: 'access-keys', message: 'listing access keys', done: 0, total: users.length });
    const keys = await source.accessKeys(accountId, users, (done, total) =>
      progress({ phase: 'access-keys', message: 'listing access keys', done, total }),
    );
    gaps.push(...keys.gaps);
    return { report: report.data, parsed, accessKeys: keys.data };
  };

  const organizationPart = async () => {
    progress({ phase: 'organization', message: "reading the account's organization" });
    const organization = await source.organization(accountId);
    gaps.push(...organization.gaps);
    return organization.data;
  };

  const certificatePart = async () => {
    progress({ phase: 'server-certificates', message: 'listing server certificates' });
    const certificates = await source.serverCertificates(accountId);
    gaps.push(...certificates.gaps);
    return certificates.data;
  };

  const secretsPart = async () => {
    const regions = await secretsRegions(source, accountId, options.regions, gaps, progress);
    const byRegion: Record<string, unknown> = {};
    let listed = 0;
    for (const region of regions) {
      progress({
        phase: 'secrets',
        message: `listing secrets in ${region}`,
        done: listed,
        total: regions.length,
      });
      const read = await source.secrets(accountId, region);
      gaps.push(...read.gaps);
      if (read.data !== undefined) byRegion[region] = read.data;
      listed++;
    }
    let policies: unknown[] | undefined;
    if (!disabled.has(SECRET_POLICY_RULE)) {
      const refs = secretRefs(byRegion);
      progress({ phase: 'secret-policies', message: 'reading secret policies', done: 0, total: refs.length });
      const read = await source.secretPolicies(accountId, refs, (done, total) =>
        progress({ phase: 'secret-policies', message: 'reading secret policies', done, total }),
      );
      gaps.push(...read.gaps);
      policies = read.data;
    }
    return { regions, byRegion, policies };
  };

  // Different services (and IAM's account-wide listings) proceed side by side.
  const [details, credentials, certificates, secrets, organization] = await Promise.all([
    iamPart(),
    credentialPart(),
    certificatePart(),
    secretsPart(),
    organizationPart(),
  ]);

  let lastAccessed: LastAccessedResult = NO_LAST_ACCESSED;
  if (details && !disabled.has(SERVICE_PERMISSIONS_RULE)) {
    lastAccessed = await collectServiceLastAccessed(
      source,
      accountId,
      principalsHoldingPolicies(details),
      options.serviceLastAccessed ?? {},
      collectedAt,
      gaps,
      progress,
    );
  }

  const apiCalls = callsSince(callsBefore, source.apiCalls());
  progress({ phase: 'done', message: `collected with ${sumCalls(apiCalls)} API calls` });
  return assembleCollection({
    accountId,
    collectedAt,
    ...(details ? { details } : {}),
    ...(credentials.report ? { report: credentials.report } : {}),
    ...(credentials.parsed ? { parsed: credentials.parsed } : {}),
    ...(credentials.accessKeys ? { accessKeys: credentials.accessKeys } : {}),
    ...(certificates !== undefined ? { certificates } : {}),
    regions: secrets.regions,
    secrets: secrets.byRegion,
    ...(secrets.policies ? { secretPolicies: secrets.policies } : {}),
    ...(organization !== undefined ? { organization } : {}),
    lastAccessed,
    gaps,
    apiCalls,
  });
}

/** What the reads of one collection returned, before they become its documents. */
interface CollectedParts {
  accountId: string;
  collectedAt: Date;
  details?: AuthorizationDetailsOutput;
  report?: { content: string; generatedAt?: string };
  /** The report parsed, when the collection parsed it already. */
  parsed?: ParsedCredentialReport;
  accessKeys?: Record<string, unknown>;
  certificates?: unknown;
  regions: string[];
  secrets: Record<string, unknown>;
  secretPolicies?: unknown[];
  organization?: unknown;
  lastAccessed: LastAccessedResult;
  gaps: CoverageGap[];
  apiCalls: Record<string, number>;
}

/** The documents of a collection, whether it ran in one go or in resumed steps. */
function assembleCollection(parts: CollectedParts): CollectResult {
  const { details, report, lastAccessed } = parts;
  const account: Record<string, string> = {
    AccountId: parts.accountId,
    CollectedAt: parts.collectedAt.toISOString(),
  };
  if (report?.generatedAt) account.CredentialReportGeneratedAt = report.generatedAt;
  const raw: RawAccountData = {
    authorizationDetails: details ? [details] : [],
    ...(details ? { authorizationDetailsShape: 'object' as const } : {}),
    ...(report ? { credentialReport: report.content } : {}),
    ...(report?.generatedAt ? { credentialReportGeneratedAt: report.generatedAt } : {}),
    secrets: parts.secrets,
    ...(parts.secretPolicies ? { secretPolicies: parts.secretPolicies } : {}),
    ...(parts.certificates !== undefined ? { serverCertificates: parts.certificates } : {}),
    ...(Object.keys(lastAccessed.data).length > 0 ? { serviceLastAccessed: lastAccessed.data } : {}),
    ...(parts.accessKeys ? { accessKeys: parts.accessKeys } : {}),
    account,
    ...(parts.organization !== undefined ? { organization: parts.organization } : {}),
    coverageGaps: [...parts.gaps].sort(compareGaps),
    sources: { ...DOCUMENT_SOURCES },
  };
  const parsed = parts.parsed ?? (report ? readCredentialReportCsv(report.content) : undefined);
  return {
    raw,
    coverageGaps: normalize(raw, parsed ? { credentialReport: parsed } : {}).coverageGaps,
    accountId: parts.accountId,
    regions: parts.regions,
    apiCalls: parts.apiCalls,
    serviceLastAccessed: {
      generated: lastAccessed.generated,
      reused: lastAccessed.reused,
      deferred: lastAccessed.deferred,
    },
  };
}

async function secretsRegions(
  source: AccountSource,
  accountId: string,
  requested: CollectOptions['regions'],
  gaps: CoverageGap[],
  progress: CollectProgress,
): Promise<string[]> {
  if (requested === 'all') {
    progress({ phase: 'regions', message: 'listing enabled regions' });
    const read = await source.enabledRegions(accountId);
    gaps.push(...read.gaps);
    if (read.data && read.data.length > 0) return read.data;
    return [await source.homeRegion()];
  }
  if (requested && requested.length > 0) return [...new Set(requested)];
  return [await source.homeRegion()];
}

/** Service-last-accessed data of one collection and how it was obtained. */
interface LastAccessedResult {
  data: Record<string, unknown>;
  generated: number;
  reused: number;
  deferred: number;
}

const NO_LAST_ACCESSED: LastAccessedResult = { data: {}, generated: 0, reused: 0, deferred: 0 };

/**
 * Service-last-accessed data for the principals that need it: reuse fresh results of an earlier
 * collection, generate at most `maxJobs` new ones (principals without data first, then the
 * stalest), keep stale data where a refresh is deferred or fails, and record a gap for
 * principals left without any data.
 */
async function collectServiceLastAccessed(
  source: AccountSource,
  accountId: string,
  principals: string[],
  options: ServiceLastAccessedCollectOptions,
  now: Date,
  gaps: CoverageGap[],
  progress: CollectProgress,
): Promise<LastAccessedResult> {
  const plan = planServiceLastAccessed(
    principals,
    options,
    await previousLastAccessed(options, accountId),
    now,
  );
  const { refresh } = plan;
  progress({
    phase: 'service-last-accessed',
    message: 'service last accessed jobs',
    done: 0,
    total: refresh.length,
  });
  const read =
    refresh.length > 0
      ? await source.serviceLastAccessed(accountId, refresh, (done, total) =>
          progress({ phase: 'service-last-accessed', message: 'service last accessed jobs', done, total }),
        )
      : { data: {}, gaps: [] };
  gaps.push(...read.gaps);
  return finishServiceLastAccessed(plan, read.data ?? {}, accountId, gaps);
}

/**
 * Which principals a collection refreshes and what it keeps of earlier results. Plain JSON: a
 * collection that resumes from a checkpoint finishes the plan it started with.
 */
export interface LastAccessedPlan {
  maxJobs: number;
  /** Fresh earlier results (reused) and stale ones of deferred principals (kept). */
  kept: Record<string, unknown>;
  reused: number;
  /** The principals whose jobs run now, in the order they run. */
  refresh: string[];
  /** Stale earlier results of refreshed principals, kept where the refresh fails. */
  fallback: Record<string, unknown>;
  deferred: number;
  /** Deferred principals without any earlier data. */
  withoutData: string[];
}

/** Earlier service-last-accessed results, loaded for the account when given as a loader. */
async function previousLastAccessed(
  options: ServiceLastAccessedCollectOptions,
  accountId: string,
): Promise<Record<string, unknown>> {
  return typeof options.previous === 'function'
    ? await options.previous(accountId)
    : (options.previous ?? {});
}

function planServiceLastAccessed(
  principals: readonly string[],
  options: ServiceLastAccessedCollectOptions,
  previous: Record<string, unknown>,
  now: Date,
): LastAccessedPlan {
  const maxAgeMs = (options.maxAgeDays ?? 7) * DAY_MS;
  const maxJobs = Math.max(0, options.maxJobs ?? 100);
  const kept: Record<string, unknown> = {};
  const candidates: { arn: string; completedAt?: number }[] = [];
  let reused = 0;
  for (const arn of principals) {
    const earlier = previous[arn];
    const completedAt = jobCompletion(earlier);
    if (completedAt !== undefined && now.getTime() - completedAt <= maxAgeMs) {
      kept[arn] = earlier;
      reused++;
    } else {
      candidates.push(completedAt === undefined ? { arn } : { arn, completedAt });
    }
  }
  // Principals without any data first, then the stalest; ARN order breaks ties.
  candidates.sort(
    (a, b) =>
      (a.completedAt ?? Number.NEGATIVE_INFINITY) - (b.completedAt ?? Number.NEGATIVE_INFINITY) ||
      (a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0),
  );
  const refresh = candidates.slice(0, maxJobs);
  const deferred = candidates.slice(maxJobs);
  const fallback: Record<string, unknown> = {};
  for (const candidate of refresh) {
    if (candidate.completedAt !== undefined) fallback[candidate.arn] = previous[candidate.arn];
  }
  const withoutData: string[] = [];
  for (const candidate of deferred) {
    if (candidate.completedAt !== undefined) kept[candidate.arn] = previous[candidate.arn];
    else withoutData.push(candidate.arn);
  }
  return {
    maxJobs,
    kept,
    reused,
    refresh: refresh.map((candidate) => candidate.arn),
    fallback,
    deferred: deferred.length,
    withoutData,
  };
}

/** The plan's data once its jobs ran (`fetched`: principal ARN -> job output, as read). */
function finishServiceLastAccessed(
  plan: LastAccessedPlan,
  fetched: Record<string, unknown>,
  accountId: string,
  gaps: CoverageGap[],
): LastAccessedResult {
  const data: Record<string, unknown> = { ...plan.kept };
  let generated = 0;
  for (const arn of plan.refresh) {
    const fresh = fetched[arn];
    if (fresh !== undefined) {
      data[arn] = fresh;
      generated++;
    } else if (plan.fallback[arn] !== undefined) {
      data[arn] = plan.fallback[arn];
    }
  }
  const { withoutData } = plan;
  if (withoutData.length > 0) {
    const shown = withoutData.slice(0, 5).join(', ');
    const more = withoutData.length > 5 ? ` and ${withoutData.length - 5} more` : '';
    gaps.push({
      kind: 'coverage-gap',
      // About the account as a whole: normalize fills in the account ARN.
      arn: '',
      accountId,
      source: 'iam:GenerateServiceLastAccessedDetails',
      category: 'Deferred',
      detail: 'job-cap',
      reason: `The cap of ${plan.maxJobs} service-last-accessed jobs per collection was reached; no data was generated for ${withoutData.length} principal(s) (${shown}${more}), later collections continue with them.`,
    });
  }
  return { data: sortRecord(data), generated, reused: plan.reused, deferred: plan.deferred };
}

function jobCompletion(output: unknown): number | undefined {
  if (typeof output !== 'object' || output === null) return undefined;
  const value = (output as { JobCompletionDate?: unknown }).JobCompletionDate;
  const time =
    typeof value === 'string' ? Date.parse(value) : typeof value === 'number' ? value * 1000 : Number.NaN;
  return Number.isFinite(time) ? time : undefined;
}

/**
 * Roles (except service-linked ones) and users that hold a policy, directly or (users) through
 * a group: the principals whose unused services can be found. Sorted by ARN.
 */
export function principalsHoldingPolicies(details: AuthorizationDetailsOutput): string[] {
  const arns = new Set<string>();
  const groupsWithPolicies = new Set<string>();
  for (const group of details.GroupDetailList) {
    if (holdsPolicies(group, 'GroupPolicyList') && typeof group.GroupName === 'string') {
      groupsWithPolicies.add(group.GroupName);
    }
  }
  for (const role of details.RoleDetailList) {
    if (typeof role.Arn !== 'string') continue;
    if (typeof role.Path === 'string' && role.Path.startsWith(SERVICE_LINKED_PATH)) continue;
    if (holdsPolicies(role, 'RolePolicyList')) arns.add(role.Arn);
  }
  for (const user of details.UserDetailList) {
    if (typeof user.Arn !== 'string') continue;
    const groups = Array.isArray(user.GroupList) ? user.GroupList : [];
    if (
      holdsPolicies(user, 'UserPolicyList') ||
      groups.some((group) => typeof group === 'string' && groupsWithPolicies.has(group))
    ) {
      arns.add(user.Arn);
    }
  }
  return [...arns].sort();
}

function holdsPolicies(entity: Record<string, unknown>, inlineList: string): boolean {
  const inline = entity[inlineList];
  const managed = entity.AttachedManagedPolicies;
  return (Array.isArray(inline) && inline.length > 0) || (Array.isArray(managed) && managed.length > 0);
}

/** Secrets of every listed region, for `get-resource-policy`. */
function secretRefs(byRegion: Record<string, unknown>): SecretRef[] {
  const refs: SecretRef[] = [];
  for (const [region, output] of Object.entries(byRegion)) {
    const list = (output as { SecretList?: unknown }).SecretList;
    if (!Array.isArray(list)) continue;
    for (const secret of list) {
      const arn = (secret as { ARN?: unknown }).ARN;
      if (typeof arn === 'string') refs.push({ arn, region });
    }
  }
  return refs;
}

/**
 * Users whose credential report row shows an active access key. The root row is left out: only
 * the root user itself can list its keys. A report that cannot be parsed selects nobody (the
 * analysis reports it).
 */
export function usersWithActiveKeys(parsed: ParsedCredentialReport): UserRef[] {
  return (parsed.report?.rows ?? [])
    .filter((row) => !row.isRoot && row.accessKeys.some((slot) => slot.active))
    .map((row) => ({ userName: row.user, arn: row.arn }));
}

function sortRecord<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function compareGaps(a: CoverageGap, b: CoverageGap): number {
  const key = (gap: CoverageGap) => `${gap.source}\n${gap.arn}\n${gap.detail ?? ''}`;
  const [x, y] = [key(a), key(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

function callsSince(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const calls: Record<string, number> = {};
  for (const [operation, count] of Object.entries(after)) {
    const since = count - (before[operation] ?? 0);
    if (since > 0) calls[operation] = since;
  }
  return calls;
}

function sumCalls(calls: Record<string, number>): number {
  return Object.values(calls).reduce((sum, count) => sum + count, 0);
}

// ------------------------------------------------------------------------- collection in steps

/**
 * The same collection in resumable steps, for a function that must stop before its time runs
 * out (a Lambda has 15 minutes; a large account's reads take longer). A step runs phases until
 * `shouldStop` says its budget is spent, then hands back a checkpoint: plain JSON holding every
 * document read so far, the gaps, the API calls and the phases done. The next step resumes from
 * it. Resumed to the end, the steps return what `collectAccount` returns for the same account:
 * the same documents, gaps and API-call counts.
 *
 * Phases run one after another here, not side by side as in `collectAccount`, so a step can end
 * between any two of them; service-last-accessed jobs, the slowest reads, run in batches.
 */

export const STEPPED_PHASES = [
  'identity',
  'organization',
  'regions',
  'authorization-details',
  'credential-report',
  'access-keys',
  'server-certificates',
  'secrets',
  'secret-policies',
  'service-last-accessed',
] as const;
export type SteppedPhase = (typeof STEPPED_PHASES)[number];

export const CHECKPOINT_VERSION = 1;

/**
 * Principals per service-last-accessed batch, by default. A step looks at its budget only between
 * batches, so a batch must fit in the margin a step keeps: two rounds of the collector's four
 * concurrent jobs, which usually finish in seconds each.
 */
export const LAST_ACCESSED_BATCH = 8;

const CoverageGapSchema = z.looseObject({
  kind: z.literal('coverage-gap'),
  arn: z.string(),
  accountId: z.string(),
  source: z.string(),
  reason: z.string(),
  category: z.string(),
  detail: z.string().optional(),
});

const AuthorizationDetailsSchema = z.looseObject({
  UserDetailList: z.array(z.record(z.string(), z.unknown())),
  GroupDetailList: z.array(z.record(z.string(), z.unknown())),
  RoleDetailList: z.array(z.record(z.string(), z.unknown())),
  Policies: z.array(z.record(z.string(), z.unknown())),
});

const documents = z.record(z.string(), z.unknown());

/** A checkpoint as read back: every field a resumed step relies on is checked. */
export const CollectionCheckpointSchema = z.object({
  version: z.literal(CHECKPOINT_VERSION),
  accountId: z.string().regex(/^\d{12}$/, 'an account id is 12 digits'),
  collectedAt: z.iso.datetime(),
  done: z.array(z.enum(STEPPED_PHASES)).min(1),
  regions: z.array(z.string()).optional(),
  authorizationDetails: AuthorizationDetailsSchema.optional(),
  credentialReport: z.object({ content: z.string(), generatedAt: z.string().optional() }).optional(),
  accessKeys: documents.optional(),
  serverCertificates: z.unknown().optional(),
  secrets: documents,
  secretPolicies: z.array(z.unknown()).optional(),
  organization: z.unknown().optional(),
  serviceLastAccessed: z
    .object({
      plan: z.object({
        maxJobs: z.number().int().min(0),
        kept: documents,
        reused: z.number().int().min(0),
        refresh: z.array(z.string()),
        fallback: documents,
        deferred: z.number().int().min(0),
        withoutData: z.array(z.string()),
      }),
      fetched: documents,
      next: z.number().int().min(0),
    })
    .optional(),
  gaps: z.array(CoverageGapSchema),
  apiCalls: z.record(z.string(), z.number().int().min(0)),
});

export interface CollectionCheckpoint {
  version: typeof CHECKPOINT_VERSION;
  accountId: string;
  /** When the first step started: the collection's CollectedAt. */
  collectedAt: string;
  /** Phases finished, in order. */
  done: SteppedPhase[];
  regions?: string[];
  authorizationDetails?: AuthorizationDetailsOutput;
  credentialReport?: { content: string; generatedAt?: string };
  accessKeys?: Record<string, unknown>;
  serverCertificates?: unknown;
  secrets: Record<string, unknown>;
  secretPolicies?: unknown[];
  organization?: unknown;
  /** The plan, the results of the batches run so far, and the next principal to run. */
  serviceLastAccessed?: { plan: LastAccessedPlan; fetched: Record<string, unknown>; next: number };
  gaps: CoverageGap[];
  /** Requests sent by every step so far, by operation. */
  apiCalls: Record<string, number>;
}

/** A checkpoint that cannot be resumed from: the message says what is wrong with it. */
export class CheckpointMalformedError extends Error {
  override readonly name = 'CheckpointMalformedError';
  constructor(
    readonly issues: string[],
    options?: { cause?: unknown },
  ) {
    super(`the checkpoint is malformed: ${issues.slice(0, 5).join('; ')}`, options);
  }
}

export function parseCollectionCheckpoint(value: unknown): CollectionCheckpoint {
  const result = CollectionCheckpointSchema.safeParse(value);
  if (!result.success) {
    throw new CheckpointMalformedError(
      result.error.issues.map((issue) => `${['$', ...issue.path.map(String)].join('.')}: ${issue.message}`),
    );
  }
  return result.data as CollectionCheckpoint;
}

export interface CollectStepOptions extends CollectOptions {
  /** True once the step's budget is spent: it stops at the next phase boundary. */
  shouldStop(): boolean;
  /** Principals per service-last-accessed batch. Default `LAST_ACCESSED_BATCH`. */
  lastAccessedBatch?: number;
}

export type CollectStepResult =
  | { done: true; result: CollectResult }
  | { done: false; checkpoint: CollectionCheckpoint };

/**
 * One step of a collection: from the start (no checkpoint) or from `from`. Every step does some
 * work before it looks at its budget (a phase, a batch, or the final assembly), so a collection
 * always advances, however small the budget.
 */
export async function collectAccountStep(
  deps: CollectDeps,
  options: CollectStepOptions,
  from?: CollectionCheckpoint,
): Promise<CollectStepResult> {
  const { source } = deps;
  const callsBefore = source.apiCalls();
  const disabled = new Set(options.settings.disabledRules);
  let state: CollectionCheckpoint;
  let worked = false;
  if (from) {
    state = { ...from, done: [...from.done], secrets: { ...from.secrets }, gaps: [...from.gaps] };
  } else {
    const collectedAt = deps.now();
    const { accountId } = await source.callerIdentity();
    state = {
      version: CHECKPOINT_VERSION,
      accountId,
      collectedAt: collectedAt.toISOString(),
      done: ['identity'],
      secrets: {},
      gaps: [],
      apiCalls: {},
    };
    worked = true;
  }
  const stepCalls = () => addCalls(state.apiCalls, callsSince(callsBefore, source.apiCalls()));

  for (;;) {
    const phase = STEPPED_PHASES.find((candidate) => !state.done.includes(candidate));
    if (worked && options.shouldStop()) {
      return { done: false, checkpoint: { ...state, apiCalls: stepCalls() } };
    }
    if (!phase) break;
    if (await runPhase(phase, state, source, options, disabled)) state.done.push(phase);
    worked = true;
  }

  const details = state.authorizationDetails;
  const gaps = [...state.gaps];
  const lastAccessed = state.serviceLastAccessed
    ? finishServiceLastAccessed(
        state.serviceLastAccessed.plan,
        state.serviceLastAccessed.fetched,
        state.accountId,
        gaps,
      )
    : NO_LAST_ACCESSED;
  return {
    done: true,
    result: assembleCollection({
      accountId: state.accountId,
      collectedAt: new Date(state.collectedAt),
      ...(details ? { details } : {}),
      ...(state.credentialReport ? { report: state.credentialReport } : {}),
      ...(state.accessKeys ? { accessKeys: state.accessKeys } : {}),
      ...(state.serverCertificates !== undefined ? { certificates: state.serverCertificates } : {}),
      regions: state.regions ?? [],
      secrets: state.secrets,
      ...(state.secretPolicies ? { secretPolicies: state.secretPolicies } : {}),
      ...(state.organization !== undefined ? { organization: state.organization } : {}),
      lastAccessed,
      gaps,
      apiCalls: stepCalls(),
    }),
  };
}

/** Runs one phase (or one batch of it) into `state`; true when the phase is finished. */
async function runPhase(
  phase: SteppedPhase,
  state: CollectionCheckpoint,
  source: AccountSource,
  options: CollectStepOptions,
  disabled: ReadonlySet<string>,
): Promise<boolean> {
  const { accountId, gaps } = state;
  const keep = <T>(read: SourceRead<T>): T | undefined => {
    gaps.push(...read.gaps);
    return read.data;
  };
  switch (phase) {
    case 'identity':
      return true;
    case 'organization':
      assign(state, 'organization', keep(await source.organization(accountId)));
      return true;
    case 'regions':
      state.regions = await secretsRegions(source, accountId, options.regions, gaps, () => {});
      return true;
    case 'authorization-details':
      assign(state, 'authorizationDetails', keep(await source.authorizationDetails(accountId)));
      return true;
    case 'credential-report':
      assign(state, 'credentialReport', keep(await source.credentialReport(accountId)));
      return true;
    case 'access-keys': {
      if (!state.credentialReport) return true;
      const users = usersWithActiveKeys(readCredentialReportCsv(state.credentialReport.content));
      assign(state, 'accessKeys', keep(await source.accessKeys(accountId, users)));
      return true;
    }
    case 'server-certificates':
      assign(state, 'serverCertificates', keep(await source.serverCertificates(accountId)));
      return true;
    case 'secrets':
      for (const region of state.regions ?? []) {
        const data = keep(await source.secrets(accountId, region));
        if (data !== undefined) state.secrets[region] = data;
      }
      return true;
    case 'secret-policies':
      if (disabled.has(SECRET_POLICY_RULE)) return true;
      assign(
        state,
        'secretPolicies',
        keep(await source.secretPolicies(accountId, secretRefs(state.secrets))),
      );
      return true;
    case 'service-last-accessed': {
      const details = state.authorizationDetails;
      if (!details || disabled.has(SERVICE_PERMISSIONS_RULE)) return true;
      state.serviceLastAccessed ??= {
        plan: planServiceLastAccessed(
          principalsHoldingPolicies(details),
          options.serviceLastAccessed ?? {},
          await previousLastAccessed(options.serviceLastAccessed ?? {}, accountId),
          new Date(state.collectedAt),
        ),
        fetched: {},
        next: 0,
      };
      const progress = state.serviceLastAccessed;
      const batch = progress.plan.refresh.slice(
        progress.next,
        progress.next + Math.max(1, options.lastAccessedBatch ?? LAST_ACCESSED_BATCH),
      );
      if (batch.length > 0) {
        const data = keep(await source.serviceLastAccessed(accountId, batch));
        state.serviceLastAccessed = {
          ...progress,
          fetched: { ...progress.fetched, ...data },
          next: progress.next + batch.length,
        };
      }
      return state.serviceLastAccessed.next >= progress.plan.refresh.length;
    }
  }
}

/** Sets an optional member only when there is a value: a checkpoint holds no undefined members. */
function assign<K extends keyof CollectionCheckpoint>(
  state: CollectionCheckpoint,
  key: K,
  value: CollectionCheckpoint[K] | undefined,
): void {
  if (value !== undefined) state[key] = value;
}

function addCalls(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const sum = { ...a };
  for (const [operation, count] of Object.entries(b)) sum[operation] = (sum[operation] ?? 0) + count;
  return sum;
}
