import { parseArn } from '../arn';
import type { GroupSnapshot, InlinePolicy, ManagedPolicy, RoleSnapshot, UserSnapshot } from '../model';
import {
  capitalize,
  type Holder,
  INVALID,
  isRecord,
  type Json,
  MALFORMED,
  MISSING,
  type NormalizeContext,
  str,
} from './context';

interface Page {
  page: Json;
  base: string;
}

/**
 * Reads `get-account-authorization-details` pages: managed policies first, then groups, roles and
 * users, so identities share the policy objects and users their group snapshots. Returns how many
 * pages were usable (none: the details are missing as a whole, and a gap says so).
 */
export function readAuthorizationDetails(ctx: NormalizeContext, list: unknown[]): number {
  const usable = pages(ctx, list);
  for (const { page, base } of usable) ctx.entries(page, base, 'Policies', (e, p) => policy(ctx, e, p));
  for (const { page, base } of usable) ctx.entries(page, base, 'GroupDetailList', (e, p) => group(ctx, e, p));
  for (const { page, base } of usable) ctx.entries(page, base, 'RoleDetailList', (e, p) => role(ctx, e, p));
  for (const { page, base } of usable) ctx.entries(page, base, 'UserDetailList', (e, p) => user(ctx, e, p));
  return usable.length;
}

function pages(ctx: NormalizeContext, list: unknown[]): Page[] {
  const single = ctx.raw.authorizationDetailsShape === 'object' && list.length === 1;
  const pages: Page[] = [];
  list.forEach((page, i) => {
    const base = single ? '$' : `$[${i}]`;
    const where = single ? 'The authorization details' : `Authorization details page ${i}`;
    if (!isRecord(page)) {
      ctx.gap(
        ctx.sources.authorizationDetails,
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
      ctx.gap(
        ctx.sources.authorizationDetails,
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

function policy(ctx: NormalizeContext, record: unknown, path: string): void {
  const source = ctx.sources.authorizationDetails;
  const read = ctx.entryWithArn(source, record, path, 'Managed policy', { arn: 'Arn', name: 'PolicyName' });
  if (!read) return;
  const { entry, arn } = read;
  const name = str(entry.PolicyName) ?? nameFromArn(arn);
  const policy: ManagedPolicy = { arn, name, awsManaged: isAwsManagedArn(arn) };
  ctx.managedPolicies.set(arn, policy);
  const versions = entry.PolicyVersionList;
  if (!Array.isArray(versions)) {
    ctx.gap(
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
    ctx.gap(
      source,
      arn,
      MALFORMED,
      `${path}.PolicyVersionList`,
      `Managed policy ${name} has no default version in PolicyVersionList; its permissions were not analysed.`,
      'no default version',
    );
    return;
  }
  const document = ctx.policyDocument(
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

function group(ctx: NormalizeContext, entry: unknown, path: string): void {
  const holder = identity(ctx, entry, path, 'group', 'GroupName');
  if (!holder) return;
  const record = entry as Json;
  const group: GroupSnapshot = {
    kind: 'group',
    arn: holder.arn,
    accountId: ctx.accountId,
    name: holder.name,
    path: str(record.Path) ?? '/',
    inlinePolicies: inlinePolicies(ctx, record.GroupPolicyList, path, 'GroupPolicyList', holder),
    managedPolicies: attachedPolicies(ctx, record.AttachedManagedPolicies, path, holder),
  };
  const createdAt = ctx.date(
    record.CreateDate,
    ctx.sources.authorizationDetails,
    path,
    'CreateDate',
    holder.arn,
    holder,
    'its creation time is unknown',
  );
  if (createdAt instanceof Date) group.createdAt = createdAt;
  ctx.groups.push(group);
  ctx.groupsByName.set(holder.name, group);
}

function role(ctx: NormalizeContext, entry: unknown, path: string): void {
  const holder = identity(ctx, entry, path, 'role', 'RoleName');
  if (!holder) return;
  const record = entry as Json;
  const source = ctx.sources.authorizationDetails;
  const skipped = 'the role was not analysed';
  const createdAt = ctx.date(record.CreateDate, source, path, 'CreateDate', holder.arn, holder, skipped);
  if (createdAt === INVALID) return;
  if (createdAt === undefined) {
    ctx.gap(
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
    const date = ctx.date(
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
    ctx.gap(
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
    accountId: ctx.accountId,
    name: holder.name,
    path: str(record.Path) ?? '/',
    createdAt,
    inlinePolicies: inlinePolicies(ctx, record.RolePolicyList, path, 'RolePolicyList', holder),
    managedPolicies: attachedPolicies(ctx, record.AttachedManagedPolicies, path, holder),
    ...ctx.tagFields(record.Tags, source, path, 'Tags', holder.arn, holder),
  };
  const roleId = str(record.RoleId);
  if (roleId) role.roleId = roleId;
  if (lastUsedAt) role.lastUsedAt = lastUsedAt;
  if (lastUsedRegion) role.lastUsedRegion = lastUsedRegion;
  const trustPolicy = ctx.policyDocument(
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
  const boundary = permissionsBoundary(ctx, record.PermissionsBoundary, path, holder);
  if (boundary) role.permissionsBoundary = boundary;
  ctx.roles.push(role);
}

function user(ctx: NormalizeContext, entry: unknown, path: string): void {
  const holder = identity(ctx, entry, path, 'user', 'UserName');
  if (!holder) return;
  const record = entry as Json;
  const source = ctx.sources.authorizationDetails;
  const user: UserSnapshot = {
    kind: 'user',
    arn: holder.arn,
    accountId: ctx.accountId,
    name: holder.name,
    path: str(record.Path) ?? '/',
    isRoot: false,
    groups: memberships(ctx, record.GroupList, path, holder),
    inlinePolicies: inlinePolicies(ctx, record.UserPolicyList, path, 'UserPolicyList', holder),
    managedPolicies: attachedPolicies(ctx, record.AttachedManagedPolicies, path, holder),
    ...ctx.tagFields(record.Tags, source, path, 'Tags', holder.arn, holder),
  };
  const createdAt = ctx.date(
    record.CreateDate,
    source,
    path,
    'CreateDate',
    holder.arn,
    holder,
    'the credential report creation time is used instead',
  );
  if (createdAt instanceof Date) user.createdAt = createdAt;
  const boundary = permissionsBoundary(ctx, record.PermissionsBoundary, path, holder);
  if (boundary) user.permissionsBoundary = boundary;
  ctx.users.push(user);
}

/** The name and ARN every identity entry needs; a gap and undefined when either is missing. */
function identity(
  ctx: NormalizeContext,
  entry: unknown,
  path: string,
  kind: Holder['kind'],
  nameKey: string,
): Holder | undefined {
  if (!isRecord(entry)) {
    ctx.gap(
      ctx.sources.authorizationDetails,
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
    ctx.gap(
      ctx.sources.authorizationDetails,
      arn?.startsWith('arn:') ? arn : undefined,
      MALFORMED,
      `${path}.${field}`,
      `${capitalize(kind)} ${name ?? arn ?? path} has no valid ${field}; it was not analysed.`,
    );
    return undefined;
  }
  return { kind, name, arn };
}

function inlinePolicies(
  ctx: NormalizeContext,
  value: unknown,
  path: string,
  field: string,
  holder: Holder,
): InlinePolicy[] {
  const list = ctx.list(value, path, field);
  const policies: InlinePolicy[] = [];
  for (let i = 0; i < list.length; i++) {
    const entry = list[i];
    const name = isRecord(entry) ? str(entry.PolicyName) : undefined;
    if (!isRecord(entry) || !name) {
      ctx.gap(
        ctx.sources.authorizationDetails,
        holder.arn,
        MALFORMED,
        `${path}.${field}[${i}]`,
        `An inline policy of ${holder.kind} ${holder.name} has no PolicyName; its permissions were not analysed.`,
      );
      continue;
    }
    const document = ctx.policyDocument(
      entry.PolicyDocument,
      ctx.sources.authorizationDetails,
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

function attachedPolicies(
  ctx: NormalizeContext,
  value: unknown,
  path: string,
  holder: Holder,
): ManagedPolicy[] {
  const list = ctx.list(value, path, 'AttachedManagedPolicies');
  const policies: ManagedPolicy[] = [];
  for (let i = 0; i < list.length; i++) {
    const entry = list[i];
    const arn = isRecord(entry) ? str(entry.PolicyArn) : undefined;
    if (!isRecord(entry) || !arn?.startsWith('arn:')) {
      ctx.gap(
        ctx.sources.authorizationDetails,
        holder.arn,
        MALFORMED,
        `${path}.AttachedManagedPolicies[${i}]`,
        `An attached managed policy of ${holder.kind} ${holder.name} has no valid PolicyArn; its permissions were not analysed.`,
      );
      continue;
    }
    policies.push(managedPolicy(ctx, arn, str(entry.PolicyName), holder));
  }
  return policies;
}

function permissionsBoundary(
  ctx: NormalizeContext,
  value: unknown,
  path: string,
  holder: Holder,
): ManagedPolicy | undefined {
  if (value === undefined || value === null) return undefined;
  const arn = isRecord(value) ? str(value.PermissionsBoundaryArn) : undefined;
  if (!arn?.startsWith('arn:')) {
    ctx.gap(
      ctx.sources.authorizationDetails,
      holder.arn,
      MALFORMED,
      `${path}.PermissionsBoundary.PermissionsBoundaryArn`,
      `The permissions boundary of ${holder.kind} ${holder.name} has no valid PermissionsBoundaryArn; the ${holder.kind} is analysed without it.`,
    );
    return undefined;
  }
  return managedPolicy(ctx, arn, undefined, holder);
}

/** The shared policy object for an ARN; one without a document (and one gap) when it is not in `Policies`. */
function managedPolicy(
  ctx: NormalizeContext,
  arn: string,
  name: string | undefined,
  holder: Holder,
): ManagedPolicy {
  const known = ctx.managedPolicies.get(arn);
  if (known) return known;
  const policy: ManagedPolicy = { arn, name: name ?? nameFromArn(arn), awsManaged: isAwsManagedArn(arn) };
  ctx.managedPolicies.set(arn, policy);
  ctx.gap(
    ctx.sources.authorizationDetails,
    arn,
    MISSING,
    undefined,
    `Managed policy ${policy.name} is attached to ${holder.kind} ${holder.name} but its document is not in the authorization details; its permissions were not analysed.`,
    'policy document missing',
  );
  return policy;
}

function memberships(ctx: NormalizeContext, value: unknown, path: string, holder: Holder): GroupSnapshot[] {
  const list = ctx.list(value, path, 'GroupList');
  const groups: GroupSnapshot[] = [];
  for (let i = 0; i < list.length; i++) {
    const entry = list[i];
    const group = typeof entry === 'string' ? ctx.groupsByName.get(entry) : undefined;
    if (group) {
      groups.push(group);
      continue;
    }
    ctx.gap(
      ctx.sources.authorizationDetails,
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

function isAwsManagedArn(arn: string): boolean {
  return parseArn(arn)?.account === 'aws';
}

function nameFromArn(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}
