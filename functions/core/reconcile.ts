import { ACCOUNT_ID_PATTERN, arnRegion, isAccountRootArn, parseArn, REGION_PATTERN } from './arn';
import { gapResources } from './coverage-gaps';
import { ROOT_ACCOUNT_USER } from './credential-report';
import { expiryOf } from './engine';
import { type Finding, findingId, type Suppression } from './finding';
import type { FindingChange, FindingStatus, StoredFinding } from './lifecycle';
import type { CoverageGap, ResourceKind } from './model';
import { EXPORT_FILES, JIT_STATE_SOURCE, REVIEW_STATE_SOURCE } from './raw';
import { type RuleMetadata, severityRank } from './rule';

/**
 * Reconcile: the findings a scan produced against the findings stored for the account, giving the
 * lifecycle changes to write. Pure: the caller reads the store, passes the scan's coverage, and
 * writes the changes (each one conditional on the record it was computed from).
 *
 * Lifecycle, per finding id:
 *
 *   (none) --fails--> open          (suppressed instead, when an exemption covers it)
 *   open --passes--> resolved       (only if the scan fully read the rule's input for it)
 *   open --exemption applies--> suppressed --exemption removed or expired--> open
 *   open | suppressed --severity differs--> same status, new severity
 *   resolved --fails again--> open  ("reopened"; first-seen time and history are kept)
 *   remediated --fails again, on data newer than the remediation--> open
 *   remediated --passes--> remediated (it stays the record of the verified change)
 *
 * A finding that still fails the same way is not written: when it was last seen follows from the
 * account's latest scan record. Absence is never health: an open finding whose rule was not
 * evaluated, or whose input had a coverage gap (or was not read at all), is held open, not
 * resolved. Severity decreases are held back the same way, since a privilege-based raise may be
 * missing only because the policies could not be read.
 */

// -------------------------------------------------------------------------------------- coverage

/**
 * The documents a scan reads. A finding depends on some of them; only when all of those were read
 * without a gap does the finding's absence mean the rule passed.
 */
export const DATA_SETS = [
  'authorization-details',
  'credential-report',
  'access-keys',
  'secrets',
  'secret-policies',
  'server-certificates',
  'service-last-accessed',
  'account',
  'organization',
  /** Just-in-time eligibilities and break-glass elevations, from iam-posture's own table. */
  'jit-state',
  /** Entitlement review standings and attestations, from iam-posture's own table. */
  'review-state',
] as const;
export type DataSet = (typeof DATA_SETS)[number];

/**
 * The data sets iam-posture keeps in its own table. A scan reads one only where its feature is
 * deployed; elsewhere (an offline scan, a member account's scan) it is not read, which leaves its
 * rules not applicable and says nothing about the account's own coverage.
 */
export const OWN_STATE_DATA_SETS: readonly string[] = ['jit-state', 'review-state'] satisfies DataSet[];

/**
 * `unread` without the own-state data sets, except those listed in `deployed`. Stored records hold
 * data set names as strings, so any string list is taken.
 */
export function accountDataSets<T extends string>(
  unread: readonly T[],
  deployed: readonly DataSet[] = [],
): T[] {
  return unread.filter(
    (dataSet) => !OWN_STATE_DATA_SETS.includes(dataSet) || (deployed as readonly string[]).includes(dataSet),
  );
}

/**
 * Reads attempted only after another one succeeded: the key ids of the users the credential
 * report names, the policies of the secrets the listing found, the service-last-accessed jobs of
 * the principals the authorization details hold. When the earlier read failed, the later one was
 * not read either, and its earlier gaps are not known to be fixed.
 */
export const DATA_SET_PREREQUISITES: Readonly<Partial<Record<DataSet, DataSet>>> = {
  'access-keys': 'credential-report',
  'secret-policies': 'secrets',
  'service-last-accessed': 'authorization-details',
};

/** `unread` with every data set whose prerequisite is unread. */
export function withPrerequisites(unread: readonly DataSet[]): DataSet[] {
  const all = new Set(unread);
  for (const [dataSet, prerequisite] of Object.entries(DATA_SET_PREREQUISITES)) {
    if (all.has(prerequisite)) all.add(dataSet as DataSet);
  }
  return DATA_SETS.filter((dataSet) => all.has(dataSet));
}

/** The rule whose findings are the coverage gaps themselves. */
export const COVERAGE_GAP_RULE = 'scan-coverage-gap';

/** Coverage-gap sources (API operations and export files) and the data set each one is part of. */
const SOURCE_DATA_SETS: ReadonlyMap<string, DataSet> = new Map<string, DataSet>([
  ['iam:GetAccountAuthorizationDetails', 'authorization-details'],
  ['iam:GenerateCredentialReport', 'credential-report'],
  ['iam:GetCredentialReport', 'credential-report'],
  ['iam:ListAccessKeys', 'access-keys'],
  ['secretsmanager:ListSecrets', 'secrets'],
  // Without the list of enabled regions, only the home region's secrets are listed.
  ['ec2:DescribeRegions', 'secrets'],
  ['secretsmanager:GetResourcePolicy', 'secret-policies'],
  ['iam:ListServerCertificates', 'server-certificates'],
  ['iam:GenerateServiceLastAccessedDetails', 'service-last-accessed'],
  ['iam:GetServiceLastAccessedDetails', 'service-last-accessed'],
  ['sts:GetCallerIdentity', 'account'],
  ['organizations:DescribeOrganization', 'organization'],
  [JIT_STATE_SOURCE, 'jit-state'],
  [REVIEW_STATE_SOURCE, 'review-state'],
  [EXPORT_FILES.authorizationDetails, 'authorization-details'],
  [EXPORT_FILES.credentialReport, 'credential-report'],
  [EXPORT_FILES.accessKeys, 'access-keys'],
  [EXPORT_FILES.secrets, 'secrets'],
  [EXPORT_FILES.secretPolicies, 'secret-policies'],
  [EXPORT_FILES.serverCertificates, 'server-certificates'],
  [EXPORT_FILES.serviceLastAccessed, 'service-last-accessed'],
  [EXPORT_FILES.account, 'account'],
  [EXPORT_FILES.organization, 'organization'],
]);

/** The data set a gap's source belongs to; undefined when the source is unknown (then it blocks everything). */
export function dataSetOfSource(source: string): DataSet | undefined {
  const exact = SOURCE_DATA_SETS.get(source);
  if (exact) return exact;
  for (const [name, dataSet] of SOURCE_DATA_SETS) {
    if (name.endsWith('.json') || name.endsWith('.csv')) {
      if (source.startsWith(name)) return dataSet;
    }
  }
  return undefined;
}

/** What the snapshots of each resource kind are built from. */
const KIND_INPUTS: Readonly<Record<ResourceKind, readonly DataSet[]>> = {
  role: ['authorization-details'],
  group: ['authorization-details'],
  user: ['authorization-details', 'credential-report'],
  'access-key': ['credential-report'],
  secret: ['secrets'],
  'server-certificate': ['server-certificates'],
  'jit-eligibility': ['jit-state'],
  'break-glass-grant': ['jit-state'],
  'review-standing': ['review-state'],
  'coverage-gap': [],
};

/** Rules that read more than their resource kind's snapshot. */
const RULE_INPUTS: Readonly<Record<string, readonly DataSet[]>> = {
  'secret-policy-public': ['secret-policies', 'organization'],
  'unused-service-permissions': ['service-last-accessed'],
  // Whether a statement held to an organization is internal depends on the account's own.
  'trust-wildcard-principal': ['organization'],
  'trust-external-account-no-external-id': ['organization'],
  'policy-organization-unconfirmed': ['organization'],
};

/**
 * The data sets a finding depends on. An access key finding named by its key id (rather than its
 * credential report slot) also depends on the key listing: without it, the same key would come
 * out under its slot, and the id-named finding would look absent.
 */
export function inputsOf(finding: Pick<Finding, 'ruleId' | 'resourceType' | 'subResource'>): DataSet[] {
  const inputs = new Set<DataSet>(KIND_INPUTS[finding.resourceType] ?? DATA_SETS);
  for (const input of RULE_INPUTS[finding.ruleId] ?? []) inputs.add(input);
  if (finding.ruleId === 'policy-organization-unconfirmed' && finding.resourceType === 'secret') {
    inputs.add('secret-policies');
  }
  if (
    finding.resourceType === 'access-key' &&
    finding.subResource &&
    !finding.subResource.startsWith('slot-')
  ) {
    inputs.add('access-keys');
  }
  return [...inputs];
}

/** A coverage gap as reconcile needs it. */
export type CoverageGapRef = Pick<CoverageGap, 'arn' | 'source' | 'category'> &
  Partial<Pick<CoverageGap, 'detail' | 'resources' | 'resourcesOverflow'>>;

export interface ScanCoverage {
  /** The rules the scan evaluated (the enabled ones). */
  rules: readonly Pick<RuleMetadata, 'id'>[];
  /** Everything the scan could not read. */
  gaps: readonly CoverageGapRef[];
  /** Data sets the scan did not read at all (an export without the optional file). */
  unread?: readonly DataSet[];
}

/** True for an ARN that stands for a whole API or document rather than one resource. */
function isAccountWide(arn: string): boolean {
  return arn === '' || isAccountRootArn(arn);
}

/**
 * The root user's ARN is the account's: a credential report gap about the `<root_account>` row
 * says so in its detail, and concerns the root user's findings only.
 */
function isRootUserGap(gap: CoverageGapRef): boolean {
  return gap.detail === ROOT_ACCOUNT_USER && dataSetOfSource(gap.source) === 'credential-report';
}

/** Gap categories about the content of a document that was read, not about a read that failed. */
const CONTENT_CATEGORIES: ReadonlySet<string> = new Set(['Malformed', 'Missing', 'Incomplete', 'Deferred']);

/**
 * A gap on a managed policy or a group hides permissions of every principal holding it, so it
 * weighs on its whole data set, not only on findings about the policy or group itself.
 */
function affectsOtherPrincipals(arn: string): boolean {
  const parsed = parseArn(arn);
  return (
    parsed?.service === 'iam' &&
    ACCOUNT_ID_PATTERN.test(parsed.account) &&
    /^(policy|group)\//.test(parsed.resource)
  );
}

/**
 * True when a gap weighs on its whole data set: it is about the whole account or a policy or
 * group, or (grouped) it touches more resources than it lists.
 */
function weighsOnDataSet(gap: CoverageGapRef): boolean {
  // The root user's ARN is the account's, yet such a gap is about the root user alone.
  if (isRootUserGap(gap)) return false;
  if (gap.resourcesOverflow) return true;
  return gapResources(gap).some((arn) => isAccountWide(arn) || affectsOtherPrincipals(arn));
}

function describeGap(gap: CoverageGapRef): string {
  return `coverage gap in ${gap.source}${gap.detail ? ` (${gap.detail})` : ''}: ${gap.category} on ${gap.arn || 'the account'}`;
}

/** Decides, for a finding absent from a scan, whether the scan could have seen it. */
export interface CoverageCheck {
  /** Why the finding's absence does not prove it passes; undefined when it does. */
  unverified(
    finding: Pick<Finding, 'ruleId' | 'resourceType' | 'resourceArn' | 'subResource' | 'region'>,
    /** Data sets read beyond the finding's own inputs (privilege, for a severity). */
    alsoReads?: readonly DataSet[],
  ): string | undefined;
  /** Why the access key ids of a user are unknown in this scan (a failed read); undefined when they are not. */
  keyIdsUnread(userArn: string): string | undefined;
}

export function compileCoverage(coverage: ScanCoverage): CoverageCheck {
  const evaluated = new Set(coverage.rules.map((rule) => rule.id));
  const unread = new Set(withPrerequisites(coverage.unread ?? []));
  const wide = new Map<DataSet, CoverageGapRef[]>();
  const failedReads = new Map<DataSet, CoverageGapRef[]>();
  const byArn = new Map<string, { gap: CoverageGapRef; dataSet: DataSet }[]>();
  const unknown: CoverageGapRef[] = [];
  for (const gap of coverage.gaps) {
    const dataSet = dataSetOfSource(gap.source);
    if (dataSet === undefined) {
      unknown.push(gap);
    } else if (dataSet === 'account') {
      // Account metadata (id, collection time) decides no rule's outcome.
    } else if (weighsOnDataSet(gap)) {
      appendTo(wide, dataSet, gap);
      if (isAccountWide(gap.arn) && !CONTENT_CATEGORIES.has(gap.category))
        appendTo(failedReads, dataSet, gap);
    } else {
      for (const arn of gapResources(gap)) appendTo(byArn, arn, { gap, dataSet });
    }
  }

  /** Why a stored gap's read was not done again in this scan, so its absence proves nothing. */
  const gapUnverified = (finding: Pick<Finding, 'resourceArn' | 'subResource' | 'region'>) => {
    const subResource = finding.subResource ?? '';
    const hash = subResource.indexOf('#');
    const source = hash < 0 ? subResource : subResource.slice(0, hash);
    const dataSet = dataSetOfSource(source);
    if (dataSet === undefined) return undefined;
    const region = finding.region ?? regionOfGap(subResource.slice(hash + 1), finding.resourceArn);
    const prerequisite = DATA_SET_PREREQUISITES[dataSet];
    for (const input of prerequisite ? [dataSet, prerequisite] : [dataSet]) {
      if (unread.has(input)) return `${input} was not read in this scan`;
      for (const gap of failedReads.get(input) ?? []) {
        if (!otherRegion(gap, input, region)) return describeGap(gap);
      }
    }
    return undefined;
  };

  return {
    unverified(finding, alsoReads = []) {
      if (!evaluated.has(finding.ruleId)) return `rule ${finding.ruleId} was not evaluated in this scan`;
      // A gap finding is the gap list itself: absent means read without that gap, if it was read.
      if (finding.ruleId === COVERAGE_GAP_RULE) return gapUnverified(finding);
      const inputs = [...new Set([...inputsOf(finding), ...alsoReads])];
      for (const input of inputs) {
        if (unread.has(input)) return `${input} was not read in this scan`;
        for (const gap of wide.get(input) ?? []) {
          if (otherRegion(gap, input, finding.region)) continue;
          return describeGap(gap);
        }
      }
      for (const { gap, dataSet } of byArn.get(finding.resourceArn) ?? []) {
        if (inputs.includes(dataSet)) return describeGap(gap);
      }
      const first = unknown[0];
      return first ? describeGap(first) : undefined;
    },
    keyIdsUnread(userArn) {
      const failed = [
        ...(wide.get('access-keys') ?? []),
        ...(byArn.get(userArn) ?? []).flatMap(({ gap, dataSet }) => (dataSet === 'access-keys' ? [gap] : [])),
      ];
      const first = failed[0];
      return first ? describeGap(first) : undefined;
    },
  };
}

/** The region a stored gap is about: a region detail (secrets listing), else its resource's ARN. */
function regionOfGap(detail: string, arn: string): string | undefined {
  if (REGION_PATTERN.test(detail)) return detail;
  const region = arnRegion(arn);
  return region && REGION_PATTERN.test(region) ? region : undefined;
}

/** A secrets listing gap in one region says nothing about secrets of another region. */
function otherRegion(gap: CoverageGapRef, input: DataSet, region: string | undefined): boolean {
  return input === 'secrets' &&
    region !== undefined &&
    gap.detail !== undefined &&
    REGION_PATTERN.test(gap.detail)
    ? gap.detail !== region
    : false;
}

// ------------------------------------------------------------------------------------- reconcile

export interface ReconcileOptions {
  scanId: string;
  /** When the scan writes: `lastChangedAt`, and the start of a resolved record's TTL. */
  now: Date;
  /**
   * The time the scan's data describes: first seen, resolved, reopened and suppressed times. A
   * remediated finding reopens only on data newer than the remediation.
   */
  asOf: Date;
  /** Resolved records expire this many days after they are written. */
  ttlDays: number;
  coverage: ScanCoverage;
  /** Finding ids whose stored record could not be read: this scan does not write them. */
  unreadable?: ReadonlySet<string>;
}

/**
 * A finding this scan could not settle: an open (or suppressed) one absent from the scan whose input
 * was not fully read (kept open, not resolved), or a new access key finding whose key id could not
 * be read (not stored until it is, so the key is never stored under two names).
 */
export interface HeldFinding {
  id: string;
  ruleId: string;
  resourceArn: string;
  reason: string;
}

export interface ReconcileResult {
  /** Ordered by finding id. */
  changes: FindingChange[];
  /** Failing findings whose stored record needs no write. */
  unchanged: number;
  held: HeldFinding[];
  /** Failing findings not written because their stored record could not be read. */
  skipped: { id: string; reason: string }[];
}

const DAY_SECONDS = 86_400;

export function reconcile(
  current: readonly Finding[],
  stored: readonly StoredFinding[],
  options: ReconcileOptions,
): ReconcileResult {
  const coverage = compileCoverage(options.coverage);
  const ctx: Context = {
    options,
    coverage,
    now: options.now.toISOString(),
    seen: options.asOf.toISOString(),
  };
  const storedById = new Map(stored.map((record) => [record.id, record]));
  const unreadable = options.unreadable ?? new Set<string>();
  const changes: FindingChange[] = [];
  const held: HeldFinding[] = [];
  const skipped: { id: string; reason: string }[] = [];
  const failing = new Set<string>();
  const keyIds = storedKeyIds(stored);
  let unchanged = 0;

  for (const found of current) {
    const finding = namedByKeyId(found, keyIds);
    if (failing.has(finding.id)) continue;
    failing.add(finding.id);
    if (unreadable.has(finding.id)) {
      skipped.push({ id: finding.id, reason: 'the stored record could not be read' });
      continue;
    }
    const before = storedById.get(finding.id);
    const keyUnread = before ? undefined : slotNamedKeyUnread(finding, coverage);
    if (keyUnread !== undefined) {
      held.push({
        id: finding.id,
        ruleId: finding.ruleId,
        resourceArn: finding.resourceArn,
        reason: keyUnread,
      });
      continue;
    }
    const change = before ? stillFailing(before, finding, ctx) : firstFailure(finding, ctx);
    if (change) changes.push(change);
    else unchanged++;
  }

  for (const before of stored) {
    if (failing.has(before.id) || unreadable.has(before.id)) continue;
    if (before.status !== 'open' && before.status !== 'suppressed') continue;
    const reason = coverage.unverified(before);
    if (reason === undefined) {
      changes.push(resolve(before, ctx));
      continue;
    }
    held.push({ id: before.id, ruleId: before.ruleId, resourceArn: before.resourceArn, reason });
    if (before.status === 'suppressed' && suppressionEnded(before.suppression, options.asOf)) {
      changes.push({ kind: 'unsuppressed', before, after: unsuppressed(before, ctx) });
    }
  }

  changes.sort((a, b) => (a.after.id < b.after.id ? -1 : a.after.id > b.after.id ? 1 : 0));
  return { changes, unchanged, held, skipped };
}

// ------------------------------------------------------------------------------ access key names

/**
 * An access key finding is named by the key's id when the key listing was read, else by its
 * credential report slot. One key must keep one name whichever read succeeded, so a slot-named
 * finding takes the key id under which the same key is stored: same user, same slot, same
 * creation second (the report's `access_key_N_last_rotated`, which changes whenever the slot gets
 * a new key). A slot-named finding that matches no stored key while the user's key ids could not
 * be read is held: opening it would store the key under a second name.
 */
const SLOT = /^slot-([12])$/;

/** `user ARN / slot / creation time` of a key finding, from the evidence the access key rules record. */
function keyIdentity(finding: Pick<Finding, 'resourceArn' | 'evidence'>): string | undefined {
  const { slot, createdAt } = finding.evidence;
  if ((slot !== 1 && slot !== 2) || typeof createdAt !== 'string') return undefined;
  return `${finding.resourceArn}\n${slot}\n${createdAt}`;
}

/** Key identity -> the key id it is stored under; `undefined` values mark identities with two ids. */
function storedKeyIds(stored: readonly StoredFinding[]): Map<string, string | undefined> {
  const ids = new Map<string, string | undefined>();
  for (const record of stored) {
    if (record.resourceType !== 'access-key' || !record.subResource || SLOT.test(record.subResource))
      continue;
    const identity = keyIdentity(record);
    if (identity === undefined) continue;
    const known = ids.get(identity);
    ids.set(identity, ids.has(identity) && known !== record.subResource ? undefined : record.subResource);
  }
  return ids;
}

function namedByKeyId(finding: Finding, keyIds: ReadonlyMap<string, string | undefined>): Finding {
  if (finding.resourceType !== 'access-key' || !finding.subResource || !SLOT.test(finding.subResource)) {
    return finding;
  }
  const identity = keyIdentity(finding);
  const keyId = identity === undefined ? undefined : keyIds.get(identity);
  if (keyId === undefined) return finding;
  return {
    ...finding,
    id: findingId(finding.accountId, finding.ruleId, finding.resourceArn, keyId),
    subResource: keyId,
    evidence: { ...finding.evidence, keyId },
  };
}

/** Why a new slot-named key finding is not stored: its user's key ids were not read. */
function slotNamedKeyUnread(finding: Finding, coverage: CoverageCheck): string | undefined {
  if (finding.resourceType !== 'access-key' || !finding.subResource || !SLOT.test(finding.subResource)) {
    return undefined;
  }
  // Only the root user can list its own keys: its keys are always named by slot.
  if (isAccountRootArn(finding.resourceArn)) return undefined;
  const reason = coverage.keyIdsUnread(finding.resourceArn);
  return reason === undefined
    ? undefined
    : `the key id of this key is unknown (${reason}); it is stored once it is read`;
}

interface Context {
  options: ReconcileOptions;
  coverage: CoverageCheck;
  /** When the record is written. */
  now: string;
  /** When the data was observed: the time of sightings (first seen, resolved, reopened, suppressed). */
  seen: string;
}

function firstFailure(finding: Finding, ctx: Context): FindingChange {
  const suppressed = finding.suppression !== undefined;
  const after: StoredFinding = {
    ...findingFields(finding),
    status: suppressed ? 'suppressed' : 'open',
    firstSeenAt: ctx.seen,
    firstSeenScanId: ctx.options.scanId,
    lastChangedAt: ctx.now,
    lastChangedScanId: ctx.options.scanId,
    reopenCount: 0,
    version: 1,
  };
  if (suppressed) after.suppressedAt = ctx.seen;
  return { kind: suppressed ? 'suppressed' : 'opened', after };
}

function stillFailing(before: StoredFinding, finding: Finding, ctx: Context): FindingChange | undefined {
  const suppressed = finding.suppression !== undefined;
  switch (before.status) {
    case 'remediated':
      // Data collected before the verified change still shows the old state.
      if (before.remediatedAt && ctx.options.asOf.getTime() <= Date.parse(before.remediatedAt))
        return undefined;
      return comeBack(before, finding, ctx);
    case 'resolved':
      return comeBack(before, finding, ctx);
    case 'open':
      if (suppressed) {
        return {
          kind: 'suppressed',
          before,
          after: update(before, finding, ctx, { status: 'suppressed', suppressedAt: ctx.seen }),
        };
      }
      return severityChange(before, finding, ctx);
    case 'suppressed':
      if (!suppressed)
        return { kind: 'unsuppressed', before, after: update(before, finding, ctx, { status: 'open' }) };
      if (!sameSuppression(before.suppression, finding.suppression)) {
        return {
          kind: 'suppression-changed',
          before,
          after: update(before, finding, ctx, { status: 'suppressed', suppressedAt: ctx.seen }),
        };
      }
      return severityChange(before, finding, ctx);
  }
}

/** A resolved or remediated finding failing again: open (or suppressed) with its history kept. */
function comeBack(before: StoredFinding, finding: Finding, ctx: Context): FindingChange {
  const suppressed = finding.suppression !== undefined;
  const after = update(
    before,
    finding,
    ctx,
    {
      status: suppressed ? 'suppressed' : 'open',
      reopenedAt: ctx.seen,
      reopenCount: before.reopenCount + 1,
      ...(suppressed ? { suppressedAt: ctx.seen } : {}),
    },
    ['resolvedAt', 'resolvedScanId', 'ttl', 'remediatedAt', 'remediationRequestId'],
  );
  return { kind: suppressed ? 'suppressed' : 'reopened', before, after };
}

function severityChange(before: StoredFinding, finding: Finding, ctx: Context): FindingChange | undefined {
  if (finding.severity === before.severity) return undefined;
  const lower = severityRank(finding.severity) > severityRank(before.severity);
  // The raise for a privileged identity comes from its policies, whatever the rule reads.
  if (lower && ctx.coverage.unverified(before, ['authorization-details']) !== undefined) return undefined;
  return { kind: 'severity-changed', before, after: update(before, finding, ctx, { status: before.status }) };
}

function resolve(before: StoredFinding, ctx: Context): FindingChange {
  const after: StoredFinding = {
    ...before,
    status: 'resolved',
    resolvedAt: ctx.seen,
    resolvedScanId: ctx.options.scanId,
    ttl: Math.floor(ctx.options.now.getTime() / 1000) + Math.round(ctx.options.ttlDays * DAY_SECONDS),
    lastChangedAt: ctx.now,
    lastChangedScanId: ctx.options.scanId,
    version: before.version + 1,
  };
  return { kind: 'resolved', before, after };
}

/** An expired suppression on a finding the scan could not check: open again, the exemption is over. */
function unsuppressed(before: StoredFinding, ctx: Context): StoredFinding {
  const { suppression: _ended, ...rest } = before;
  return {
    ...rest,
    status: 'open',
    lastChangedAt: ctx.now,
    lastChangedScanId: ctx.options.scanId,
    version: before.version + 1,
  };
}

/** The record after a change: the fresh finding's fields over the stored lifecycle fields. */
function update(
  before: StoredFinding,
  finding: Finding,
  ctx: Context,
  patch: Partial<StoredFinding> & { status: FindingStatus },
  remove: readonly (keyof StoredFinding)[] = [],
): StoredFinding {
  const after: StoredFinding = {
    ...before,
    ...findingFields(finding),
    ...patch,
    lastChangedAt: ctx.now,
    lastChangedScanId: ctx.options.scanId,
    version: before.version + 1,
  };
  if (finding.suppression === undefined) delete after.suppression;
  if (finding.owner === undefined) delete after.owner;
  // An attestation that expired (or was replaced by nothing) is not carried on by the stored record.
  if (finding.attestation === undefined) delete after.attestation;
  for (const key of remove) delete after[key];
  return after;
}

/** The finding's own fields, without undefined values (they are not stored). */
function findingFields(finding: Finding): Finding {
  const fields = { ...finding };
  for (const key of Object.keys(fields) as (keyof Finding)[]) {
    if (fields[key] === undefined) delete fields[key];
  }
  return fields;
}

function sameSuppression(a: Suppression | undefined, b: Suppression | undefined): boolean {
  return a?.reason === b?.reason && a?.owner === b?.owner && a?.expires === b?.expires;
}

function suppressionEnded(suppression: Suppression | undefined, asOf: Date): boolean {
  if (!suppression) return true;
  const expiry = expiryOf(suppression.expires);
  return Number.isNaN(expiry.getTime()) || expiry.getTime() <= asOf.getTime();
}

function appendTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
