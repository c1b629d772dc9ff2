import type { PolicyDocument } from './policy/types';

/**
 * The normalized account model the rules read. Built from the raw AWS documents (an export
 * directory or a live collection) by `normalize`. Dates are `Date` objects; absent means "AWS has
 * no value" (never used, never rotated), not "unknown": unknown data is a `CoverageGap`.
 */

export type Tags = Record<string, string>;

export interface ManagedPolicy {
  arn: string;
  name: string;
  /** The default version's document; undefined when it could not be read (a coverage gap records why). */
  document?: PolicyDocument;
  /** True for `arn:aws:iam::aws:policy/...`. */
  awsManaged: boolean;
}

export interface InlinePolicy {
  name: string;
  document: PolicyDocument;
}

/** What a principal (role, user, group) holds: inline policies and attached managed policies. */
export interface PolicyHolder {
  inlinePolicies: InlinePolicy[];
  /** Attached managed policies, resolved to the shared `ManagedPolicy` objects of the inventory. */
  managedPolicies: ManagedPolicy[];
}

/** One entry of `GetServiceLastAccessedDetails` for a principal. */
export interface ServiceAccess {
  namespace: string;
  name?: string;
  lastAuthenticatedAt?: Date;
}

export interface ServiceLastAccessed {
  /** When the job's data was generated (its `JobCompletionDate`). */
  generatedAt?: Date;
  services: ServiceAccess[];
}

export interface RoleSnapshot extends PolicyHolder {
  kind: 'role';
  arn: string;
  accountId: string;
  name: string;
  path: string;
  roleId?: string;
  createdAt: Date;
  lastUsedAt?: Date;
  lastUsedRegion?: string;
  /** Undefined when the trust policy could not be parsed (a coverage gap records why). */
  trustPolicy?: PolicyDocument;
  permissionsBoundary?: ManagedPolicy;
  tags: Tags;
  /** True when the tags could not be (fully) read: an owner they may name is unknown, not absent. */
  tagsUnread?: boolean;
  serviceLastAccessed?: ServiceLastAccessed;
}

export interface GroupSnapshot extends PolicyHolder {
  kind: 'group';
  arn: string;
  accountId: string;
  name: string;
  path: string;
  createdAt?: Date;
}

export interface UserSnapshot extends PolicyHolder {
  kind: 'user';
  arn: string;
  accountId: string;
  name: string;
  path: string;
  /** True for the `<root_account>` row of the credential report. */
  isRoot: boolean;
  createdAt?: Date;
  groups: GroupSnapshot[];
  permissionsBoundary?: ManagedPolicy;
  tags: Tags;
  /** True when the tags could not be (fully) read: an owner they may name is unknown, not absent. */
  tagsUnread?: boolean;
  /** From the credential report; undefined when the user is missing from the report. */
  credentials?: UserCredentials;
  serviceLastAccessed?: ServiceLastAccessed;
}

export interface UserCredentials {
  passwordEnabled: boolean;
  passwordLastUsedAt?: Date;
  passwordLastChangedAt?: Date;
  mfaActive: boolean;
  /** The key slots of the report (1 and 2), whether active or not. */
  accessKeys: AccessKeySnapshot[];
}

export interface AccessKeySnapshot {
  kind: 'access-key';
  /** The owning user's ARN (`arn:aws:iam::<account>:root` for the root user). */
  arn: string;
  accountId: string;
  userName: string;
  isRoot: boolean;
  /** Slot in the credential report: 1 or 2. */
  slot: 1 | 2;
  /** The key id when known (live collection or export with `access-keys.json`); else undefined. */
  keyId?: string;
  active: boolean;
  /** `access_key_N_last_rotated`: the key's creation time. */
  createdAt?: Date;
  lastUsedAt?: Date;
  lastUsedService?: string;
  lastUsedRegion?: string;
  /** Owning user's creation time, for the grace period. */
  userCreatedAt?: Date;
}

export interface SecretSnapshot {
  kind: 'secret';
  arn: string;
  accountId: string;
  name: string;
  region: string;
  createdAt?: Date;
  /** Secrets Manager records the access date only, at day granularity. */
  lastAccessedAt?: Date;
  lastRotatedAt?: Date;
  lastChangedAt?: Date;
  nextRotationAt?: Date;
  rotationEnabled: boolean;
  rotationLambdaArn?: string;
  rotationIntervalDays?: number;
  /** `absent`: the secret has no resource policy; `unknown`: it was not read. */
  policyState: 'absent' | 'present' | 'unknown';
  resourcePolicy?: PolicyDocument;
  tags: Tags;
  /** True when the tags could not be (fully) read: an owner they may name is unknown, not absent. */
  tagsUnread?: boolean;
}

export interface ServerCertificateSnapshot {
  kind: 'server-certificate';
  arn: string;
  accountId: string;
  name: string;
  path: string;
  uploadedAt?: Date;
  expiresAt?: Date;
}

/** Something the scan could not read. Absence of findings is never taken as health. */
export interface CoverageGap {
  kind: 'coverage-gap';
  /** The resource the gap is about, or the account ARN when it is about a whole API. */
  arn: string;
  accountId: string;
  /** Where: an export file (with a path inside it) or an API operation. */
  source: string;
  /** What happened, one sentence. */
  reason: string;
  /** AccessDenied, Throttling, Malformed, Missing, Timeout, ... */
  category: string;
  /** Distinguishes several gaps on the same resource (file path, operation, region). */
  detail?: string;
  /**
   * Set on a gap seen more than once (see `groupCoverageGaps`): how many times. `detail` is then
   * the places' pattern (`$.RoleDetailList[*].RoleName`), and `arn` the one resource they all
   * touch, else the account's ARN.
   */
  count?: number;
  /** The first places (JSON paths, CSV lines) of a gap seen more than once. */
  places?: string[];
  /** The resources (ARNs) a gap seen more than once touches; the account's ARN for the whole account. */
  resources?: string[];
  /** True when the gap touches more resources than `resources` holds: it weighs on its whole data set. */
  resourcesOverflow?: boolean;
}

/** Who did something, as the remediation and elevation records name them (`Actor`). */
export interface ActorRef {
  kind: 'slack' | 'cli' | 'system';
  id: string;
  teamId?: string;
  name?: string;
}

/**
 * A principal made eligible for a just-in-time profile at run time (a converted standing-admin
 * finding), as the findings table holds it. Its ARN is the principal's; the profile tells one
 * eligibility of a principal from another.
 */
export interface JitEligibilitySnapshot {
  kind: 'jit-eligibility';
  /** The eligible principal. */
  arn: string;
  accountId: string;
  profile: string;
  createdAt: Date;
  /** The last elevation granted under it; absent when it was never used. */
  lastUsedAt?: Date;
  grantedBy: ActorRef;
  sourceRequestId?: string;
}

/** One break-glass elevation: self-approved, so reviewed afterwards. Its ARN is the principal's. */
export interface BreakGlassGrantSnapshot {
  kind: 'break-glass-grant';
  /** The elevated principal. */
  arn: string;
  accountId: string;
  grantId: string;
  profile: string;
  requestedBy: ActorRef;
  requestedAt: Date;
  startsAt: Date;
  endsAt: Date;
  /** The elevation's state (`ElevationState`): granted, revoked, failed, ... */
  state: string;
}

/**
 * Where one identity stands in the entitlement reviews of one rhythm (`quarterly`,
 * `admin-monthly`, `manual`, ...): its latest review that was answered or whose deadline passed.
 * Its ARN is the identity's; the rhythm tells one rhythm's reviews of it from another's.
 */
export interface ReviewStandingSnapshot {
  kind: 'review-standing';
  /** The reviewed identity (role, user or secret). */
  arn: string;
  accountId: string;
  rhythm: string;
  campaignId: string;
  /** Who was asked last (after any handoffs). */
  owner: string;
  startedAt: Date;
  deadline: Date;
  /** When it was answered keep or reduce; absent: not reviewed by the deadline. */
  answeredAt?: Date;
  answer?: string;
  /** Handed on as "not mine" with nobody named: the item waits for the escalation channel. */
  disowned?: boolean;
  escalatedAt?: Date;
}

/**
 * A "keep" answer still in force for an identity: shown with the identity's findings, suppressing
 * nothing.
 */
export interface AttestationSnapshot {
  arn: string;
  campaignId: string;
  by: ActorRef;
  at: Date;
  until: Date;
  justification?: string;
}

/**
 * The entitlement review state a scan read from the findings table. `read: false` says the read
 * failed, so `review-overdue` has a coverage gap instead of a pass.
 */
export type ReviewState =
  | { read: true; standings: ReviewStandingSnapshot[]; attestations: AttestationSnapshot[] }
  | { read: false; reason: string };

/**
 * The just-in-time state a scan read from the findings table: what the IAM snapshots cannot tell
 * (who was made eligible, which break-glass elevations happened). `read: false` says the read
 * failed, so the rules that need it have a coverage gap instead of a pass.
 */
export type JitState =
  | { read: true; eligibilities: JitEligibilitySnapshot[]; breakGlass: BreakGlassGrantSnapshot[] }
  | { read: false; reason: string };

export type Snapshot =
  | RoleSnapshot
  | UserSnapshot
  | GroupSnapshot
  | AccessKeySnapshot
  | SecretSnapshot
  | ServerCertificateSnapshot
  | JitEligibilitySnapshot
  | BreakGlassGrantSnapshot
  | ReviewStandingSnapshot
  | CoverageGap;

export type ResourceKind = Snapshot['kind'];

/**
 * The account's own organization as read (`organizations:DescribeOrganization`, or
 * `organization.json`): a member of one organization, or of none.
 */
export type OrganizationMembership =
  | { status: 'member'; id: string; managementAccountId?: string }
  | { status: 'none' };

export interface Inventory {
  accountId: string;
  /** When the data was collected (export `account.json` CollectedAt or the live scan time). */
  collectedAt?: Date;
  /** When the credential report was generated. */
  credentialReportGeneratedAt?: Date;
  /** The account's own organization; absent when it was not read (a coverage gap may say why). */
  organization?: OrganizationMembership;
  roles: RoleSnapshot[];
  users: UserSnapshot[];
  groups: GroupSnapshot[];
  accessKeys: AccessKeySnapshot[];
  secrets: SecretSnapshot[];
  serverCertificates: ServerCertificateSnapshot[];
  managedPolicies: Map<string, ManagedPolicy>;
  coverageGaps: CoverageGap[];
  /**
   * Just-in-time eligibilities and break-glass grants, when the scan read them (a deployment with
   * elevation profiles). Absent: not read at all (an offline scan), so the rules on them are not
   * applicable and their stored findings are held.
   */
  jit?: JitState;
  /**
   * Entitlement review standings and attestations, when the scan read them (a deployment with
   * reviews enabled). Absent: not read, so `review-overdue` is not applicable and its stored
   * findings are held.
   */
  reviews?: ReviewState;
}

export function emptyInventory(accountId: string): Inventory {
  return {
    accountId,
    roles: [],
    users: [],
    groups: [],
    accessKeys: [],
    secrets: [],
    serverCertificates: [],
    managedPolicies: new Map(),
    coverageGaps: [],
  };
}

/** Every snapshot of the inventory, in a stable order, for the engine. */
export function* allSnapshots(inventory: Inventory): Generator<Snapshot> {
  yield* inventory.roles;
  yield* inventory.users;
  yield* inventory.groups;
  yield* inventory.accessKeys;
  yield* inventory.secrets;
  yield* inventory.serverCertificates;
  if (inventory.jit?.read) {
    yield* inventory.jit.eligibilities;
    yield* inventory.jit.breakGlass;
  }
  if (inventory.reviews?.read) yield* inventory.reviews.standings;
  yield* inventory.coverageGaps;
}
