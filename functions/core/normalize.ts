import {
  ACCOUNT_ID_PATTERN,
  accountRootArn,
  arnAccount,
  arnPartition,
  arnRegion,
  arnResource,
  isAccountRootArn,
  parseArn,
  parseSecretArn,
} from './arn';
import { CoverageGapGroups } from './coverage-gaps';
import {
  type CredentialReport,
  CredentialReportFormatError,
  type CredentialReportRow,
  parseAwsTimestamp,
  parseCredentialReport,
  ROOT_ACCOUNT_USER,
  TimestampFormatError,
} from './credential-report';
import type {
  AccessKeySnapshot,
  CoverageGap,
  GroupSnapshot,
  InlinePolicy,
  Inventory,
  ManagedPolicy,
  RoleSnapshot,
  SecretSnapshot,
  ServerCertificateSnapshot,
  ServiceAccess,
  ServiceLastAccessed,
  Tags,
  UserCredentials,
  UserSnapshot,
} from './model';
import { readOrganizationDocument } from './organization';
import { PolicyParseError, parsePolicyDocument } from './policy/parse';
import type { PolicyDocument } from './policy/types';
import type { RawAccountData, RawSources } from './raw';

export { parseAwsTimestamp, TimestampFormatError } from './credential-report';

/**
 * Turns the raw AWS documents into the `Inventory` the rules read. Pure, one pass per document,
 * linear in the input. Whatever is malformed becomes a `CoverageGap` (category `Malformed`, with the
 * JSON path or CSV line in `detail`) and everything else is still normalized: a role with an
 * unparsable trust policy is still a role, without `trustPolicy`.
 */
export function normalize(raw: RawAccountData): Inventory {
  return new Normalizer(raw).run();
}

type Json = Record<string, unknown>;
type Holder = { kind: 'role' | 'user' | 'group'; name: string; arn: string };
/** What a gap is about: a sentence subject, or an identity rendered as `Role ci-deploy` when needed. */
type Subject = string | Holder;

/** A value that was present but malformed; a gap already says why. */
const INVALID = Symbol('invalid');
type Parsed<T> = T | undefined | typeof INVALID;

interface KnownAccessKey {
  id: string;
  createdAt?: Date;
  active?: boolean;
}

interface SecretPolicy {
  state: 'absent' | 'present' | 'unknown';
  document?: PolicyDocument;
}

interface Page {
  page: Json;
  base: string;
}

const NONE: readonly unknown[] = Object.freeze([]);
const MALFORMED = 'Malformed';
const MISSING = 'Missing';

class Normalizer {
  private readonly sources: RawSources;
  /** Grouped as they are recorded: a million malformed records make one gap, not a million. */
  private readonly gaps = new CoverageGapGroups();
  private accountId = '';
  private partition = 'aws';
  private accountArn = '';
  private readonly managedPolicies = new Map<string, ManagedPolicy>();
  private readonly groupsByName = new Map<string, GroupSnapshot>();
  private readonly roles: RoleSnapshot[] = [];
  private readonly users: UserSnapshot[] = [];
  private readonly groups: GroupSnapshot[] = [];
  private readonly accessKeys: AccessKeySnapshot[] = [];
  private readonly secrets: SecretSnapshot[] = [];
  private readonly serverCertificates: ServerCertificateSnapshot[] = [];

  constructor(private readonly raw: RawAccountData) {
    this.sources = raw.sources;
  }

  run(): Inventory {
    const pageList = Array.isArray(this.raw.authorizationDetails)
      ? this.raw.authorizationDetails
      : [this.raw.authorizationDetails];
    let report: CredentialReport | undefined;
    let reportError: CredentialReportFormatError | undefined;
    if (typeof this.raw.credentialReport === 'string') {
      try {
        report = parseCredentialReport(this.raw.credentialReport);
      } catch (error) {
        if (!(error instanceof CredentialReportFormatError)) throw error;
        reportError = error;
      }
    }
    const account = isRecord(this.raw.account) ? this.raw.account : undefined;
    this.identifyAccount(account, pageList, report);
    if (this.raw.account !== undefined && !account) {
      this.gap(
        this.sources.account,
        undefined,
        MALFORMED,
        '$',
        'The account metadata is not an object; the account id was taken from the ARNs.',
      );
    }

    const inventory: Inventory = {
      accountId: this.accountId,
      roles: this.roles,
      users: this.users,
      groups: this.groups,
      accessKeys: this.accessKeys,
      secrets: this.secrets,
      serverCertificates: this.serverCertificates,
      managedPolicies: this.managedPolicies,
      coverageGaps: [],
    };
    const collectedAt = this.date(
      account?.CollectedAt,
      this.sources.account,
      '$',
      'CollectedAt',
      undefined,
      'The account metadata',
      'the collection time is unknown',
    );
    if (collectedAt instanceof Date) inventory.collectedAt = collectedAt;
    const generatedAt = this.date(
      this.raw.credentialReportGeneratedAt,
      this.sources.credentialReport,
      '',
      'GeneratedTime',
      undefined,
      'The credential report',
      'its generation time is unknown',
    );
    if (generatedAt instanceof Date) inventory.credentialReportGeneratedAt = generatedAt;
    if (this.raw.organization !== undefined) {
      const organization = readOrganizationDocument(this.raw.organization);
      if (organization.membership) inventory.organization = organization.membership;
      else
        this.gap(
          this.sources.organization,
          undefined,
          MALFORMED,
          organization.problem.path,
          organization.problem.reason,
        );
    }

    const pages = this.pages(pageList);
    for (const { page, base } of pages) this.entries(page, base, 'Policies', (e, p) => this.policy(e, p));
    for (const { page, base } of pages)
      this.entries(page, base, 'GroupDetailList', (e, p) => this.group(e, p));
    for (const { page, base } of pages) this.entries(page, base, 'RoleDetailList', (e, p) => this.role(e, p));
    for (const { page, base } of pages) this.entries(page, base, 'UserDetailList', (e, p) => this.user(e, p));
    if (reportError) {
      this.gap(
        this.sources.credentialReport,
        undefined,
        MALFORMED,
        'line 1',
        `The credential report header is not valid (${reportError.message}); no password or access key was analysed.`,
      );
    }
    if (report) this.credentials(report, pages.length > 0);
    this.serviceLastAccessed();
    this.readSecrets();
    this.readServerCertificates();

    inventory.coverageGaps = this.gapList();
    return inventory;
  }

  // ---------------------------------------------------------------- account

  private identifyAccount(
    account: Json | undefined,
    pages: unknown[],
    report: CredentialReport | undefined,
  ): void {
    const declared = account?.AccountId;
    const firstArn = this.firstAccountArn(pages, report);
    if (firstArn) this.partition = arnPartition(firstArn);
    if (typeof declared === 'string' && ACCOUNT_ID_PATTERN.test(declared)) {
      this.accountId = declared;
    } else if (firstArn) {
      this.accountId = arnAccount(firstArn)!;
    }
    this.accountArn = accountRootArn(this.partition, this.accountId);
    if (declared !== undefined && !(typeof declared === 'string' && ACCOUNT_ID_PATTERN.test(declared))) {
      this.gap(
        this.sources.account,
        undefined,
        MALFORMED,
        '$.AccountId',
        `The account metadata has a malformed AccountId (${JSON.stringify(declared)}, expected 12 digits); the account id was taken from the ARNs.`,
      );
    }
  }

  /** The first ARN of the data that names an account (customer managed, not `aws`). */
  private firstAccountArn(pages: unknown[], report: CredentialReport | undefined): string | undefined {
    const lists = ['RoleDetailList', 'UserDetailList', 'GroupDetailList', 'Policies'] as const;
    for (const page of pages) {
      if (!isRecord(page)) continue;
      for (const key of lists) {
        const list = page[key];
        if (!Array.isArray(list)) continue;
        for (const entry of list) {
          const arn = isRecord(entry) ? entry.Arn : undefined;
          if (typeof arn === 'string' && arnAccount(arn)) return arn;
        }
      }
    }
    for (const row of report?.rows ?? []) if (arnAccount(row.arn)) return row.arn;
    for (const value of Object.values(this.raw.secrets ?? {})) {
      const list = Array.isArray(value) ? value : isRecord(value) ? value.SecretList : undefined;
      if (!Array.isArray(list)) continue;
      for (const entry of list) {
        const arn = isRecord(entry) ? entry.ARN : undefined;
        if (typeof arn === 'string' && arnAccount(arn)) return arn;
      }
    }
    return undefined;
  }

  // ---------------------------------------------------------------- authorization details

  private pages(list: unknown[]): Page[] {
    const single = this.raw.authorizationDetailsShape === 'object' && list.length === 1;
    const pages: Page[] = [];
    list.forEach((page, i) => {
      const base = single ? '$' : `$[${i}]`;
      const where = single ? 'The authorization details' : `Authorization details page ${i}`;
      if (!isRecord(page)) {
        this.gap(
          this.sources.authorizationDetails,
          undefined,
          MALFORMED,
          base,
          `${where} is not an object; its identities were not analysed.`,
        );
        return;
      }
      if (
        page.UserDetailList === undefined &&
        page.GroupDetailList === undefined &&
        page.RoleDetailList === undefined &&
        page.Policies === undefined
      ) {
        this.gap(
          this.sources.authorizationDetails,
          undefined,
          MALFORMED,
          base,
          `${where} has none of UserDetailList, GroupDetailList, RoleDetailList or Policies; it is not get-account-authorization-details output and was not analysed.`,
          'not authorization details',
        );
        return;
      }
      pages.push({ page, base });
    });
    return pages;
  }

  private policy(entry: unknown, path: string): void {
    const source = this.sources.authorizationDetails;
    if (!isRecord(entry)) {
      this.gap(
        source,
        undefined,
        MALFORMED,
        path,
        `Managed policy entry ${path} is not an object; it was not analysed.`,
      );
      return;
    }
    const arn = str(entry.Arn);
    if (!arn?.startsWith('arn:')) {
      this.gap(
        source,
        undefined,
        MALFORMED,
        `${path}.Arn`,
        `Managed policy ${str(entry.PolicyName) ?? path} has no valid Arn; it was not analysed.`,
      );
      return;
    }
    const name = str(entry.PolicyName) ?? nameFromArn(arn);
    const policy: ManagedPolicy = { arn, name, awsManaged: isAwsManagedArn(arn) };
    this.managedPolicies.set(arn, policy);
    const versions = entry.PolicyVersionList;
    if (!Array.isArray(versions)) {
      this.gap(
        source,
        arn,
        MALFORMED,
        `${path}.PolicyVersionList`,
        `Managed policy ${name} has no PolicyVersionList; its permissions were not analysed.`,
      );
      return;
    }
    let index = versions.findIndex((v) => isRecord(v) && v.IsDefaultVersion === true);
    if (index < 0 && typeof entry.DefaultVersionId === 'string') {
      index = versions.findIndex((v) => isRecord(v) && v.VersionId === entry.DefaultVersionId);
    }
    if (index < 0) {
      this.gap(
        source,
        arn,
        MALFORMED,
        `${path}.PolicyVersionList`,
        `Managed policy ${name} has no default version in PolicyVersionList; its permissions were not analysed.`,
        'no default version',
      );
      return;
    }
    const document = this.policyDocument(
      (versions[index] as Json).Document,
      source,
      path,
      `PolicyVersionList[${index}].Document`,
      arn,
      `The default version of managed policy ${name}`,
      'its permissions were not analysed',
    );
    if (document) policy.document = document;
  }

  private group(entry: unknown, path: string): void {
    const holder = this.identity(entry, path, 'group', 'GroupName');
    if (!holder) return;
    const record = entry as Json;
    const group: GroupSnapshot = {
      kind: 'group',
      arn: holder.arn,
      accountId: this.accountId,
      name: holder.name,
      path: str(record.Path) ?? '/',
      inlinePolicies: this.inlinePolicies(record.GroupPolicyList, path, 'GroupPolicyList', holder),
      managedPolicies: this.attachedPolicies(record.AttachedManagedPolicies, path, holder),
    };
    const createdAt = this.date(
      record.CreateDate,
      this.sources.authorizationDetails,
      path,
      'CreateDate',
      holder.arn,
      holder,
      'its creation time is unknown',
    );
    if (createdAt instanceof Date) group.createdAt = createdAt;
    this.groups.push(group);
    this.groupsByName.set(holder.name, group);
  }

  private role(entry: unknown, path: string): void {
    const holder = this.identity(entry, path, 'role', 'RoleName');
    if (!holder) return;
    const record = entry as Json;
    const source = this.sources.authorizationDetails;
    const skipped = 'the role was not analysed';
    const createdAt = this.date(record.CreateDate, source, path, 'CreateDate', holder.arn, holder, skipped);
    if (createdAt === INVALID) return;
    if (createdAt === undefined) {
      this.gap(
        source,
        holder.arn,
        MALFORMED,
        `${path}.CreateDate`,
        `Role ${holder.name} has no CreateDate; ${skipped}.`,
        'no CreateDate',
      );
      return;
    }
    let lastUsedAt: Date | undefined;
    let lastUsedRegion: string | undefined;
    const lastUsed = record.RoleLastUsed;
    if (isRecord(lastUsed)) {
      const date = this.date(
        lastUsed.LastUsedDate,
        source,
        path,
        'RoleLastUsed.LastUsedDate',
        holder.arn,
        holder,
        skipped,
      );
      if (date === INVALID) return;
      lastUsedAt = date;
      lastUsedRegion = str(lastUsed.Region);
    } else if (lastUsed !== undefined && lastUsed !== null) {
      this.gap(
        source,
        holder.arn,
        MALFORMED,
        `${path}.RoleLastUsed`,
        `Role ${holder.name} has a malformed RoleLastUsed; ${skipped}.`,
      );
      return;
    }
    const role: RoleSnapshot = {
      kind: 'role',
      arn: holder.arn,
      accountId: this.accountId,
      name: holder.name,
      path: str(record.Path) ?? '/',
      createdAt,
      inlinePolicies: this.inlinePolicies(record.RolePolicyList, path, 'RolePolicyList', holder),
      managedPolicies: this.attachedPolicies(record.AttachedManagedPolicies, path, holder),
      tags: this.tags(record.Tags, source, path, 'Tags', holder.arn, holder),
    };
    const roleId = str(record.RoleId);
    if (roleId) role.roleId = roleId;
    if (lastUsedAt) role.lastUsedAt = lastUsedAt;
    if (lastUsedRegion) role.lastUsedRegion = lastUsedRegion;
    const trustPolicy = this.policyDocument(
      record.AssumeRolePolicyDocument,
      source,
      path,
      'AssumeRolePolicyDocument',
      holder.arn,
      holder,
      'the trust rules did not evaluate it',
      'The trust policy',
    );
    if (trustPolicy) role.trustPolicy = trustPolicy;
    const boundary = this.boundary(record.PermissionsBoundary, path, holder);
    if (boundary) role.permissionsBoundary = boundary;
    this.roles.push(role);
  }

  private user(entry: unknown, path: string): void {
    const holder = this.identity(entry, path, 'user', 'UserName');
    if (!holder) return;
    const record = entry as Json;
    const source = this.sources.authorizationDetails;
    const user: UserSnapshot = {
      kind: 'user',
      arn: holder.arn,
      accountId: this.accountId,
      name: holder.name,
      path: str(record.Path) ?? '/',
      isRoot: false,
      groups: this.memberships(record.GroupList, path, holder),
      inlinePolicies: this.inlinePolicies(record.UserPolicyList, path, 'UserPolicyList', holder),
      managedPolicies: this.attachedPolicies(record.AttachedManagedPolicies, path, holder),
      tags: this.tags(record.Tags, source, path, 'Tags', holder.arn, holder),
    };
    const createdAt = this.date(
      record.CreateDate,
      source,
      path,
      'CreateDate',
      holder.arn,
      holder,
      'the credential report creation time is used instead',
    );
    if (createdAt instanceof Date) user.createdAt = createdAt;
    const boundary = this.boundary(record.PermissionsBoundary, path, holder);
    if (boundary) user.permissionsBoundary = boundary;
    this.users.push(user);
  }

  /** The name and ARN every identity entry needs; a gap and undefined when either is missing. */
  private identity(entry: unknown, path: string, kind: Holder['kind'], nameKey: string): Holder | undefined {
    if (!isRecord(entry)) {
      this.gap(
        this.sources.authorizationDetails,
        undefined,
        MALFORMED,
        path,
        `${capitalize(kind)} entry ${path} is not an object; it was not analysed.`,
      );
      return undefined;
    }
    const name = str(entry[nameKey]);
    const arn = str(entry.Arn);
    if (!name || !arn?.startsWith('arn:')) {
      const field = name ? 'Arn' : nameKey;
      this.gap(
        this.sources.authorizationDetails,
        arn?.startsWith('arn:') ? arn : undefined,
        MALFORMED,
        `${path}.${field}`,
        `${capitalize(kind)} ${name ?? arn ?? path} has no valid ${field}; it was not analysed.`,
      );
      return undefined;
    }
    return { kind, name, arn };
  }

  private inlinePolicies(value: unknown, path: string, field: string, holder: Holder): InlinePolicy[] {
    const list = this.list(value, path, field);
    const policies: InlinePolicy[] = [];
    for (let i = 0; i < list.length; i++) {
      const entry = list[i];
      const name = isRecord(entry) ? str(entry.PolicyName) : undefined;
      if (!isRecord(entry) || !name) {
        this.gap(
          this.sources.authorizationDetails,
          holder.arn,
          MALFORMED,
          `${path}.${field}[${i}]`,
          `An inline policy of ${holder.kind} ${holder.name} has no PolicyName; its permissions were not analysed.`,
        );
        continue;
      }
      const document = this.policyDocument(
        entry.PolicyDocument,
        this.sources.authorizationDetails,
        path,
        `${field}[${i}].PolicyDocument`,
        holder.arn,
        holder,
        'its permissions were not analysed',
        `Inline policy ${name}`,
      );
      if (document) policies.push({ name, document });
    }
    return policies;
  }

  private attachedPolicies(value: unknown, path: string, holder: Holder): ManagedPolicy[] {
    const list = this.list(value, path, 'AttachedManagedPolicies');
    const policies: ManagedPolicy[] = [];
    for (let i = 0; i < list.length; i++) {
      const entry = list[i];
      const arn = isRecord(entry) ? str(entry.PolicyArn) : undefined;
      if (!isRecord(entry) || !arn?.startsWith('arn:')) {
        this.gap(
          this.sources.authorizationDetails,
          holder.arn,
          MALFORMED,
          `${path}.AttachedManagedPolicies[${i}]`,
          `An attached managed policy of ${holder.kind} ${holder.name} has no valid PolicyArn; its permissions were not analysed.`,
        );
        continue;
      }
      policies.push(this.managedPolicy(arn, str(entry.PolicyName), holder));
    }
    return policies;
  }

  private boundary(value: unknown, path: string, holder: Holder): ManagedPolicy | undefined {
    if (value === undefined || value === null) return undefined;
    const arn = isRecord(value) ? str(value.PermissionsBoundaryArn) : undefined;
    if (!arn?.startsWith('arn:')) {
      this.gap(
        this.sources.authorizationDetails,
        holder.arn,
        MALFORMED,
        `${path}.PermissionsBoundary.PermissionsBoundaryArn`,
        `The permissions boundary of ${holder.kind} ${holder.name} has no valid PermissionsBoundaryArn; the ${holder.kind} is analysed without it.`,
      );
      return undefined;
    }
    return this.managedPolicy(arn, undefined, holder);
  }

  /** The shared policy object for an ARN; one without a document (and one gap) when it is not in `Policies`. */
  private managedPolicy(arn: string, name: string | undefined, holder: Holder): ManagedPolicy {
    const known = this.managedPolicies.get(arn);
    if (known) return known;
    const policy: ManagedPolicy = { arn, name: name ?? nameFromArn(arn), awsManaged: isAwsManagedArn(arn) };
    this.managedPolicies.set(arn, policy);
    this.gap(
      this.sources.authorizationDetails,
      arn,
      MISSING,
      undefined,
      `Managed policy ${policy.name} is attached to ${holder.kind} ${holder.name} but its document is not in the authorization details; its permissions were not analysed.`,
      'policy document missing',
    );
    return policy;
  }

  private memberships(value: unknown, path: string, holder: Holder): GroupSnapshot[] {
    const list = this.list(value, path, 'GroupList');
    const groups: GroupSnapshot[] = [];
    for (let i = 0; i < list.length; i++) {
      const entry = list[i];
      const group = typeof entry === 'string' ? this.groupsByName.get(entry) : undefined;
      if (group) {
        groups.push(group);
        continue;
      }
      this.gap(
        this.sources.authorizationDetails,
        holder.arn,
        typeof entry === 'string' ? MISSING : MALFORMED,
        `${path}.GroupList[${i}]`,
        typeof entry === 'string'
          ? `User ${holder.name} is a member of group ${entry}, which is not in the authorization details; the group's permissions were not analysed.`
          : `User ${holder.name} has a GroupList entry that is not a group name; it was not analysed.`,
      );
    }
    return groups;
  }

  // ---------------------------------------------------------------- credential report

  /** `haveDetails` false: the authorization details are missing as a whole (a gap already says so). */
  private credentials(report: CredentialReport, haveDetails: boolean): void {
    const source = this.sources.credentialReport;
    const usersByArn = new Map<string, UserSnapshot>();
    const usersByName = new Map<string, UserSnapshot>();
    for (const user of this.users) {
      usersByArn.set(user.arn, user);
      usersByName.set(user.name, user);
    }
    const rejectedUsers = new Set<string>();
    for (const row of report.rejected) {
      if (row.user) rejectedUsers.add(row.user);
      // The root user's ARN is the account's: the detail names the row, so the gap holds root findings only.
      this.gap(
        source,
        row.arn,
        MALFORMED,
        row.user === ROOT_ACCOUNT_USER ? ROOT_ACCOUNT_USER : `line ${row.line}`,
        `Credential report line ${row.line}${row.user ? ` (user ${row.user})` : ''} is malformed: ${row.reason}; its password and access keys were not analysed.`,
      );
    }
    const seen = new Set<UserSnapshot>();
    let root: UserSnapshot | undefined;
    for (const row of report.rows) {
      let user: UserSnapshot | undefined;
      if (row.isRoot) {
        if (root) continue;
        root = this.rootUser(row);
        user = root;
        this.users.push(root);
      } else {
        user = usersByArn.get(row.arn) ?? usersByName.get(row.user);
        if (!user) {
          user = this.userFromReport(row);
          this.users.push(user);
          if (haveDetails) {
            this.gap(
              this.sources.authorizationDetails,
              user.arn,
              MISSING,
              undefined,
              `User ${row.user} is in the credential report but not in the authorization details; its policies and groups were not analysed.`,
              'user not in authorization details',
            );
          }
        }
      }
      if (seen.has(user)) continue;
      seen.add(user);
      if (!user.createdAt && row.userCreatedAt) user.createdAt = row.userCreatedAt;
      user.credentials = this.userCredentials(row, user);
    }
    for (const user of usersByArn.values()) {
      if (seen.has(user) || rejectedUsers.has(user.name)) continue;
      this.gap(
        source,
        user.arn,
        MISSING,
        undefined,
        `User ${user.name} is not in the credential report, which may predate the user; its password and access keys were not analysed.`,
        'user not in credential report',
      );
    }
    if (!root && !rejectedUsers.has(ROOT_ACCOUNT_USER)) {
      this.gap(
        source,
        undefined,
        MISSING,
        ROOT_ACCOUNT_USER,
        `The credential report has no ${ROOT_ACCOUNT_USER} row; the root user's password and access keys were not analysed.`,
      );
    }
  }

  private rootUser(row: CredentialReportRow): UserSnapshot {
    const arn = isAccountRootArn(row.arn) ? row.arn : this.accountArn;
    const root: UserSnapshot = {
      kind: 'user',
      arn,
      accountId: this.accountId,
      name: ROOT_ACCOUNT_USER,
      path: '/',
      isRoot: true,
      groups: [],
      inlinePolicies: [],
      managedPolicies: [],
      tags: {},
    };
    return root;
  }

  private userFromReport(row: CredentialReportRow): UserSnapshot {
    const resource = arnResource(row.arn) ?? '';
    const slash = resource.lastIndexOf('/');
    return {
      kind: 'user',
      arn: row.arn,
      accountId: this.accountId,
      name: row.user,
      path: slash > 4 ? resource.slice(4, slash + 1) : '/',
      isRoot: false,
      groups: [],
      inlinePolicies: [],
      managedPolicies: [],
      tags: {},
    };
  }

  /** One access key per slot that ever held a key (active, or rotated at some point). */
  private userCredentials(row: CredentialReportRow, user: UserSnapshot): UserCredentials {
    const keys: AccessKeySnapshot[] = [];
    for (const slot of row.accessKeys) {
      if (!slot.active && !slot.lastRotatedAt) continue;
      const key: AccessKeySnapshot = {
        kind: 'access-key',
        arn: user.arn,
        accountId: this.accountId,
        userName: user.name,
        isRoot: user.isRoot,
        slot: slot.slot,
        active: slot.active,
      };
      if (slot.lastRotatedAt) key.createdAt = slot.lastRotatedAt;
      if (slot.lastUsedAt) key.lastUsedAt = slot.lastUsedAt;
      if (slot.lastUsedService) key.lastUsedService = slot.lastUsedService;
      if (slot.lastUsedRegion) key.lastUsedRegion = slot.lastUsedRegion;
      const userCreatedAt = row.userCreatedAt ?? user.createdAt;
      if (userCreatedAt) key.userCreatedAt = userCreatedAt;
      keys.push(key);
    }
    if (keys.length > 0) this.matchKeyIds(keys, row.user, keys[0]!.arn);
    for (const key of keys) this.accessKeys.push(key);
    const credentials: UserCredentials = {
      passwordEnabled: row.passwordEnabled,
      mfaActive: row.mfaActive,
      accessKeys: keys,
    };
    if (row.passwordLastUsedAt) credentials.passwordLastUsedAt = row.passwordLastUsedAt;
    if (row.passwordLastChangedAt) credentials.passwordLastChangedAt = row.passwordLastChangedAt;
    return credentials;
  }

  /** Report slots carry no key id: match `list-access-keys` entries by creation time (the report has seconds). */
  private matchKeyIds(keys: AccessKeySnapshot[], userName: string, userArn: string): void {
    const known = this.knownAccessKeys(userName, userArn);
    if (known.length === 0) return;
    const taken = new Set<KnownAccessKey>();
    for (const key of keys) {
      if (!key.createdAt) continue;
      const created = key.createdAt.getTime();
      let best: KnownAccessKey | undefined;
      for (const candidate of known) {
        if (taken.has(candidate) || !candidate.createdAt) continue;
        if (Math.abs(candidate.createdAt.getTime() - created) > 1000) continue;
        if (!best || (candidate.active === key.active && best.active !== key.active)) best = candidate;
      }
      if (best) {
        taken.add(best);
        key.keyId = best.id;
      }
    }
  }

  /** Gaps here concern one user's key ids, so they carry the user's ARN, not the account's. */
  private knownAccessKeys(userName: string, userArn: string): KnownAccessKey[] {
    const all = this.raw.accessKeys;
    if (!all || !Object.hasOwn(all, userName)) return [];
    const source = this.sources.accessKeys;
    const value = all[userName];
    const base = jsonPath('$', userName);
    const list = Array.isArray(value) ? value : isRecord(value) ? value.AccessKeyMetadata : undefined;
    const listPath = Array.isArray(value) ? base : `${base}.AccessKeyMetadata`;
    if (!Array.isArray(list)) {
      this.gap(
        source,
        userArn,
        MALFORMED,
        listPath,
        `The access key list of user ${userName} has no AccessKeyMetadata; its key ids are unknown.`,
      );
      return [];
    }
    const keys: KnownAccessKey[] = [];
    list.forEach((entry, i) => {
      const path = `${listPath}[${i}]`;
      const id = isRecord(entry) ? str(entry.AccessKeyId) : undefined;
      if (!isRecord(entry) || !id) {
        this.gap(
          source,
          userArn,
          MALFORMED,
          path,
          `An access key of user ${userName} has no AccessKeyId; its id is unknown.`,
        );
        return;
      }
      const createdAt = this.date(
        entry.CreateDate,
        source,
        path,
        'CreateDate',
        userArn,
        `Access key ${id} of user ${userName}`,
        'its id is not matched to a credential report slot',
      );
      const key: KnownAccessKey = { id };
      if (createdAt instanceof Date) key.createdAt = createdAt;
      if (entry.Status === 'Active' || entry.Status === 'Inactive') key.active = entry.Status === 'Active';
      keys.push(key);
    });
    return keys;
  }

  // ---------------------------------------------------------------- service last accessed

  private serviceLastAccessed(): void {
    const all = this.raw.serviceLastAccessed;
    if (!all) return;
    const principals = new Map<string, RoleSnapshot | UserSnapshot>();
    for (const role of this.roles) principals.set(role.arn, role);
    for (const user of this.users) principals.set(user.arn, user);
    const source = this.sources.serviceLastAccessed;
    for (const [arn, value] of Object.entries(all)) {
      const principal = principals.get(arn);
      if (!principal) continue;
      const path = jsonPath('$', arn);
      const subject = `Service last accessed data of ${principal.kind} ${principal.name}`;
      const unchecked = 'unused service permissions were not checked';
      if (!isRecord(value)) {
        this.gap(source, arn, MALFORMED, path, `${subject} is not an object; ${unchecked}.`);
        continue;
      }
      if (value.JobStatus !== undefined && value.JobStatus !== 'COMPLETED') {
        this.gap(
          source,
          arn,
          'Incomplete',
          `${path}.JobStatus`,
          `${subject} is not complete (job status ${String(value.JobStatus)}); ${unchecked}.`,
        );
        continue;
      }
      const list = value.ServicesLastAccessed;
      if (!Array.isArray(list)) {
        this.gap(
          source,
          arn,
          MALFORMED,
          `${path}.ServicesLastAccessed`,
          `${subject} has no ServicesLastAccessed; ${unchecked}.`,
        );
        continue;
      }
      const services: ServiceAccess[] = [];
      let valid = true;
      for (let i = 0; i < list.length && valid; i++) {
        const entry = list[i];
        const entryPath = `${path}.ServicesLastAccessed[${i}]`;
        const namespace = isRecord(entry) ? str(entry.ServiceNamespace) : undefined;
        if (!isRecord(entry) || !namespace) {
          this.gap(
            source,
            arn,
            MALFORMED,
            entryPath,
            `${subject} has an entry without ServiceNamespace; ${unchecked}.`,
          );
          valid = false;
          break;
        }
        const lastAuthenticatedAt = this.date(
          entry.LastAuthenticated,
          source,
          entryPath,
          'LastAuthenticated',
          arn,
          subject,
          unchecked,
        );
        if (lastAuthenticatedAt === INVALID) {
          valid = false;
          break;
        }
        const service: ServiceAccess = { namespace };
        const name = str(entry.ServiceName);
        if (name) service.name = name;
        if (lastAuthenticatedAt) service.lastAuthenticatedAt = lastAuthenticatedAt;
        services.push(service);
      }
      if (!valid) continue;
      const data: ServiceLastAccessed = { services };
      const generatedAt = this.date(
        value.JobCompletionDate,
        source,
        path,
        'JobCompletionDate',
        arn,
        subject,
        'its generation time is unknown',
      );
      if (generatedAt instanceof Date) data.generatedAt = generatedAt;
      principal.serviceLastAccessed = data;
    }
  }

  // ---------------------------------------------------------------- secrets

  private readSecrets(): void {
    const all = this.raw.secrets;
    if (!all) return;
    const policies = this.secretPolicies();
    for (const [region, value] of Object.entries(all)) {
      const base = region === '' ? '$' : jsonPath('$', region);
      let list: unknown;
      let listPath = base;
      if (Array.isArray(value)) {
        list = value;
      } else if (isRecord(value)) {
        list = value.SecretList;
        listPath = `${base}.SecretList`;
      }
      if (!Array.isArray(list)) {
        this.gap(
          this.sources.secrets,
          undefined,
          MALFORMED,
          listPath,
          `The list-secrets output${region ? ` for ${region}` : ''} has no SecretList; its secrets were not analysed.`,
        );
        continue;
      }
      for (let i = 0; i < list.length; i++) this.secret(list[i], `${listPath}[${i}]`, region, policies);
    }
    if (!policies && this.secrets.length > 0) {
      this.gap(
        this.sources.secretPolicies,
        undefined,
        MISSING,
        undefined,
        `The resource policies of ${this.secrets.length} secrets were not read; public access to them was not checked.`,
        'policies not read',
      );
    }
  }

  private secret(
    entry: unknown,
    path: string,
    regionKey: string,
    policies: { byArn: Map<string, SecretPolicy>; byName: Map<string, SecretPolicy> } | undefined,
  ): void {
    const source = this.sources.secrets;
    if (!isRecord(entry)) {
      this.gap(
        source,
        undefined,
        MALFORMED,
        path,
        `Secret entry ${path} is not an object; it was not analysed.`,
      );
      return;
    }
    const arn = str(entry.ARN);
    if (!arn?.startsWith('arn:')) {
      this.gap(
        source,
        undefined,
        MALFORMED,
        `${path}.ARN`,
        `Secret ${str(entry.Name) ?? path} has no valid ARN; it was not analysed.`,
      );
      return;
    }
    const name = str(entry.Name) ?? secretNameFromArn(arn);
    const subject = `Secret ${name}`;
    const skipped = 'the secret was not analysed';
    const createdAt = this.date(entry.CreatedDate, source, path, 'CreatedDate', arn, subject, skipped);
    const lastAccessedAt = this.date(
      entry.LastAccessedDate,
      source,
      path,
      'LastAccessedDate',
      arn,
      subject,
      skipped,
    );
    const lastRotatedAt = this.date(
      entry.LastRotatedDate,
      source,
      path,
      'LastRotatedDate',
      arn,
      subject,
      skipped,
    );
    const lastChangedAt = this.date(
      entry.LastChangedDate,
      source,
      path,
      'LastChangedDate',
      arn,
      subject,
      skipped,
    );
    const nextRotationAt = this.date(
      entry.NextRotationDate,
      source,
      path,
      'NextRotationDate',
      arn,
      subject,
      skipped,
    );
    if (
      createdAt === INVALID ||
      lastAccessedAt === INVALID ||
      lastRotatedAt === INVALID ||
      lastChangedAt === INVALID ||
      nextRotationAt === INVALID
    ) {
      return;
    }
    const rotation = entry.RotationEnabled;
    if (rotation !== undefined && rotation !== null && typeof rotation !== 'boolean') {
      this.gap(
        source,
        arn,
        MALFORMED,
        `${path}.RotationEnabled`,
        `${subject} has a RotationEnabled that is not true or false; ${skipped}.`,
      );
      return;
    }
    let policyState: SecretSnapshot['policyState'] = 'unknown';
    let resourcePolicy: PolicyDocument | undefined;
    if (policies) {
      const policy = policies.byArn.get(arn) ?? policies.byName.get(name);
      if (policy) {
        policyState = policy.state;
        resourcePolicy = policy.document;
      } else {
        this.gap(
          this.sources.secretPolicies,
          arn,
          MISSING,
          undefined,
          `${subject} has no entry in the resource policies; public access to it was not checked.`,
          'secret without policy entry',
        );
      }
    }
    const secret: SecretSnapshot = {
      kind: 'secret',
      arn,
      accountId: this.accountId,
      name,
      region: regionKey || arnRegion(arn) || '',
      rotationEnabled: rotation === true,
      policyState,
      tags: this.tags(entry.Tags, source, path, 'Tags', arn, subject),
    };
    if (createdAt) secret.createdAt = createdAt;
    if (lastAccessedAt) secret.lastAccessedAt = lastAccessedAt;
    if (lastRotatedAt) secret.lastRotatedAt = lastRotatedAt;
    if (lastChangedAt) secret.lastChangedAt = lastChangedAt;
    if (nextRotationAt) secret.nextRotationAt = nextRotationAt;
    const lambda = str(entry.RotationLambdaARN);
    if (lambda) secret.rotationLambdaArn = lambda;
    if (resourcePolicy) secret.resourcePolicy = resourcePolicy;
    const rules = entry.RotationRules;
    if (isRecord(rules) && rules.AutomaticallyAfterDays !== undefined) {
      const days = Number(rules.AutomaticallyAfterDays);
      if (Number.isFinite(days) && days > 0 && typeof rules.AutomaticallyAfterDays !== 'boolean') {
        secret.rotationIntervalDays = days;
      } else {
        this.gap(
          source,
          arn,
          MALFORMED,
          `${path}.RotationRules.AutomaticallyAfterDays`,
          `${subject} has a rotation interval that is not a number of days; the interval is unknown.`,
        );
      }
    }
    this.secrets.push(secret);
  }

  private secretPolicies():
    | { byArn: Map<string, SecretPolicy>; byName: Map<string, SecretPolicy> }
    | undefined {
    const list = this.raw.secretPolicies;
    if (list === undefined) return undefined;
    const source = this.sources.secretPolicies;
    const byArn = new Map<string, SecretPolicy>();
    const byName = new Map<string, SecretPolicy>();
    if (!Array.isArray(list)) {
      this.gap(
        source,
        undefined,
        MALFORMED,
        '$',
        'The secret resource policies are not a list; public access was not checked.',
      );
      return { byArn, byName };
    }
    list.forEach((entry, i) => {
      const path = `$[${i}]`;
      const arn = isRecord(entry) ? str(entry.ARN) : undefined;
      const name = isRecord(entry) ? str(entry.Name) : undefined;
      if (!isRecord(entry) || (!arn && !name)) {
        this.gap(
          source,
          undefined,
          MALFORMED,
          path,
          `Resource policy entry ${path} names no secret (no ARN or Name); it was not analysed.`,
        );
        return;
      }
      let policy: SecretPolicy = { state: 'absent' };
      if (entry.ResourcePolicy !== undefined && entry.ResourcePolicy !== null) {
        const document = this.policyDocument(
          entry.ResourcePolicy,
          source,
          path,
          'ResourcePolicy',
          arn?.startsWith('arn:') ? arn : undefined,
          `The resource policy of secret ${name ?? arn}`,
          'public access to the secret was not checked',
        );
        policy = document ? { state: 'present', document } : { state: 'unknown' };
      }
      if (arn) byArn.set(arn, policy);
      if (name) byName.set(name, policy);
    });
    return { byArn, byName };
  }

  // ---------------------------------------------------------------- server certificates

  private readServerCertificates(): void {
    const value = this.raw.serverCertificates;
    if (value === undefined) return;
    const source = this.sources.serverCertificates;
    const list = Array.isArray(value)
      ? value
      : isRecord(value)
        ? value.ServerCertificateMetadataList
        : undefined;
    const listPath = Array.isArray(value) ? '$' : '$.ServerCertificateMetadataList';
    if (!Array.isArray(list)) {
      this.gap(
        source,
        undefined,
        MALFORMED,
        listPath,
        'The server certificate list has no ServerCertificateMetadataList; certificates were not analysed.',
      );
      return;
    }
    list.forEach((entry, i) => {
      const path = `${listPath}[${i}]`;
      const arn = isRecord(entry) ? str(entry.Arn) : undefined;
      const name = isRecord(entry) ? str(entry.ServerCertificateName) : undefined;
      if (!isRecord(entry) || !arn?.startsWith('arn:') || !name) {
        this.gap(
          source,
          arn?.startsWith('arn:') ? arn : undefined,
          MALFORMED,
          path,
          `Server certificate ${name ?? arn ?? path} has no valid Arn or ServerCertificateName; it was not analysed.`,
        );
        return;
      }
      const subject = `Server certificate ${name}`;
      const certificate: ServerCertificateSnapshot = {
        kind: 'server-certificate',
        arn,
        accountId: this.accountId,
        name,
        path: str(entry.Path) ?? '/',
      };
      const uploadedAt = this.date(
        entry.UploadDate,
        source,
        path,
        'UploadDate',
        arn,
        subject,
        'its upload time is unknown',
      );
      if (uploadedAt instanceof Date) certificate.uploadedAt = uploadedAt;
      const expiresAt = this.date(
        entry.Expiration,
        source,
        path,
        'Expiration',
        arn,
        subject,
        'its expiry was not checked',
      );
      if (expiresAt instanceof Date) certificate.expiresAt = expiresAt;
      if (expiresAt === undefined) {
        this.gap(
          source,
          arn,
          MALFORMED,
          `${path}.Expiration`,
          `${subject} has no Expiration; its expiry was not checked.`,
          'no Expiration',
        );
      }
      this.serverCertificates.push(certificate);
    });
  }

  // ---------------------------------------------------------------- helpers

  /** Calls `visit` with each entry of a page's list and the entry's JSON path. */
  private entries(
    page: Json,
    base: string,
    field: string,
    visit: (entry: unknown, path: string) => void,
  ): void {
    const list = this.list(page[field], base, field);
    for (let i = 0; i < list.length; i++) visit(list[i], `${base}.${field}[${i}]`);
  }

  /** A list field of the authorization details: absent is empty; anything but an array is a gap. */
  private list(value: unknown, path: string, field: string): readonly unknown[] {
    if (value === undefined || value === null) return NONE;
    if (Array.isArray(value)) return value;
    this.gap(
      this.sources.authorizationDetails,
      undefined,
      MALFORMED,
      `${path}.${field}`,
      `${path}.${field} is not a list; its entries were not analysed.`,
    );
    return NONE;
  }

  /**
   * `path` and `field` are joined, and `subject` rendered, only when a gap is recorded: nearly every
   * record is fine, and a hundred thousand of them should not allocate messages nobody reads.
   */
  private date(
    value: unknown,
    source: string,
    path: string,
    field: string,
    arn: string | undefined,
    subject: Subject,
    consequence: string,
  ): Parsed<Date> {
    try {
      return parseAwsTimestamp(value);
    } catch (error) {
      if (!(error instanceof TimestampFormatError)) throw error;
      const name = field.slice(field.lastIndexOf('.') + 1);
      this.gap(
        source,
        arn,
        MALFORMED,
        join(path, field),
        `${describe(subject)} has a malformed ${name} (${error.message}); ${consequence}.`,
      );
      return INVALID;
    }
  }

  /** `document` names which document of the subject it is, e.g. `The trust policy` (of role x). */
  private policyDocument(
    value: unknown,
    source: string,
    path: string,
    field: string,
    arn: string | undefined,
    subject: Subject,
    consequence: string,
    document?: string,
  ): PolicyDocument | undefined {
    try {
      return parsePolicyDocument(value);
    } catch (error) {
      if (!(error instanceof PolicyParseError)) throw error;
      const what = document === undefined ? describe(subject) : `${document} of ${describe(subject, false)}`;
      this.gap(
        source,
        arn,
        MALFORMED,
        join(path, field) + error.path.slice(1),
        `${what} is malformed (${error.problem}); ${consequence}.`,
      );
      return undefined;
    }
  }

  private tags(
    value: unknown,
    source: string,
    path: string,
    field: string,
    arn: string,
    subject: Subject,
  ): Tags {
    const tags: Tags = {};
    if (value === undefined || value === null) return tags;
    if (!Array.isArray(value)) {
      this.gap(
        source,
        arn,
        MALFORMED,
        join(path, field),
        `${describe(subject)} has Tags that are not a list; its tags were not read.`,
      );
      return tags;
    }
    for (let i = 0; i < value.length; i++) {
      const tag = value[i];
      const key = isRecord(tag) ? str(tag.Key) : undefined;
      const tagValue = isRecord(tag) ? (tag.Value ?? '') : undefined;
      if (key === undefined || typeof tagValue !== 'string') {
        this.gap(
          source,
          arn,
          MALFORMED,
          `${join(path, field)}[${i}]`,
          `${describe(subject)} has a tag without a string Key and Value; it was not read.`,
        );
        continue;
      }
      tags[key] = tagValue;
    }
    return tags;
  }

  private gap(
    source: string,
    arn: string | undefined,
    category: string,
    detail: string | undefined,
    reason: string,
    problem?: string,
  ) {
    const gap: CoverageGap = {
      kind: 'coverage-gap',
      arn: arn ?? this.accountArn,
      accountId: this.accountId,
      source,
      reason,
      category,
    };
    if (detail !== undefined) gap.detail = detail;
    this.gaps.add(gap, problem);
  }

  /** The collection's gaps, then the normalizer's, grouped by problem. */
  private gapList(): CoverageGap[] {
    const groups = new CoverageGapGroups();
    for (const gap of this.raw.coverageGaps) groups.add(this.completeGap(gap));
    groups.addGroups(this.gaps);
    return groups.list(this.accountArn);
  }

  private completeGap(gap: CoverageGap): CoverageGap {
    if (gap.accountId && gap.arn) return gap;
    return { ...gap, accountId: gap.accountId || this.accountId, arn: gap.arn || this.accountArn };
  }
}

function describe(subject: Subject, capital = true): string {
  if (typeof subject === 'string') return subject;
  return `${capital ? capitalize(subject.kind) : subject.kind} ${subject.name}`;
}

function join(path: string, field: string): string {
  return path === '' ? field : `${path}.${field}`;
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function isAwsManagedArn(arn: string): boolean {
  return parseArn(arn)?.account === 'aws';
}

function nameFromArn(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

/** `...:secret:prod/db-AbCdEf` -> `prod/db`; the resource part for an ARN that is not a secret's. */
function secretNameFromArn(arn: string): string {
  return parseSecretArn(arn)?.name ?? arnResource(arn) ?? arn;
}

/** `$.key` for identifier-like keys, `$['key']` for others (ARNs, regions, user names). */
function jsonPath(base: string, key: string): string {
  if (/^[A-Za-z_$][\w$]*$/.test(key)) return `${base}.${key}`;
  return `${base}['${key.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}']`;
}
