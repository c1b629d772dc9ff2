import {
  type AttachedPermissionsBoundary,
  type AttachedPolicy,
  GetAccessKeyLastUsedCommand,
  GetGroupCommand,
  GetGroupPolicyCommand,
  GetLoginProfileCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  type IAMClient,
  paginateListAccessKeys,
  paginateListAttachedGroupPolicies,
  paginateListAttachedRolePolicies,
  paginateListAttachedUserPolicies,
  paginateListGroupPolicies,
  paginateListGroupsForUser,
  paginateListMFADevices,
  paginateListRolePolicies,
  paginateListUserPolicies,
  paginateListUserTags,
  type Tag,
} from '@aws-sdk/client-iam';
import { DescribeSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { arnAccount, arnRegion, arnResource, parseArn } from '../../core/arn';
import type { Finding } from '../../core/finding';
import type {
  AccessKeySnapshot,
  GroupSnapshot,
  RoleSnapshot,
  SecretSnapshot,
  Tags,
  UserCredentials,
  UserSnapshot,
} from '../../core/model';
import { normalizeIdentities } from '../../core/normalize';
import type { FreshState } from '../../core/remediation/plan';
import type { LiveStateReader } from '../../use-cases/remediation-ports';
import type { Clock, PollingOptions } from './clock';
import { classifyAwsError, describeError } from './errors';
import { ServiceLastAccessedReader } from './service-last-accessed';

/** Rules whose re-run needs the principal's service last accessed data. */
export const RULES_NEEDING_SERVICE_LAST_ACCESSED: ReadonlySet<string> = new Set([
  'unused-service-permissions',
]);

/** The live state of a finding's resource could not be read; planning must not go on without it. */
export class LiveStateReadError extends Error {
  override readonly name = 'LiveStateReadError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface AwsLiveStateReaderOptions {
  clock?: Clock;
  /** Polling of the service-last-accessed job. */
  serviceLastAccessed?: Partial<PollingOptions>;
}

/**
 * Re-reads exactly one resource (a role, user, group, access key or secret) with the IAM and
 * Secrets Manager APIs and maps it into the snapshot types the rules read, so a rule re-runs on
 * fresh data. A resource that no longer exists is `{}`; any other failure throws
 * `LiveStateReadError`: planning on partial data would be a guess.
 */
export class AwsLiveStateReader implements LiveStateReader {
  private readonly lastAccessed: ServiceLastAccessedReader;
  /**
   * Managed policies the identities of the current read attach, by ARN, as `Policies` entries once
   * fetched: a user's groups often share them.
   */
  private policies = new Map<string, { name: string | undefined; entry?: Detail }>();

  constructor(
    private readonly iam: IAMClient,
    private readonly secretsManager: (region: string) => SecretsManagerClient,
    options: AwsLiveStateReaderOptions = {},
  ) {
    this.lastAccessed = new ServiceLastAccessedReader(iam, {
      concurrency: 1,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.serviceLastAccessed ? { polling: options.serviceLastAccessed } : {}),
    });
  }

  async read(finding: Finding): Promise<FreshState> {
    this.policies = new Map();
    try {
      return await this.readResource(finding);
    } catch (error) {
      if (error instanceof LiveStateReadError) throw error;
      throw new LiveStateReadError(
        `The live state of ${finding.resourceArn} could not be read: ${describeError(error)}.`,
        { cause: error },
      );
    }
  }

  private async readResource(finding: Finding): Promise<FreshState> {
    const withLastAccessed = RULES_NEEDING_SERVICE_LAST_ACCESSED.has(finding.ruleId);
    switch (finding.resourceType) {
      case 'role': {
        const role = await this.readRole(resourceName(finding.resourceArn, 'role'), withLastAccessed);
        return role ? { snapshot: role } : {};
      }
      case 'user': {
        const user = await this.readUser(resourceName(finding.resourceArn, 'user'), withLastAccessed);
        return user ? { snapshot: user } : {};
      }
      case 'group': {
        const group = await this.readGroup(resourceName(finding.resourceArn, 'group'));
        return group ? { snapshot: group } : {};
      }
      case 'access-key': {
        const owner = await this.readUser(resourceName(finding.resourceArn, 'user'));
        if (!owner) return {};
        const keys = owner.credentials?.accessKeys ?? [];
        const wanted = finding.subResource;
        const key = keys.find((k) => k.keyId === wanted) ?? keys.find((k) => `slot-${k.slot}` === wanted);
        return key ? { snapshot: key, owner } : { owner };
      }
      case 'secret':
        return this.readSecret(finding.resourceArn, finding.region ?? regionOf(finding.resourceArn));
      default:
        throw new LiveStateReadError(`Remediation cannot re-read ${finding.resourceType} resources.`);
    }
  }

  private async readRole(roleName: string, withLastAccessed: boolean): Promise<RoleSnapshot | undefined> {
    const output = await orGone(this.iam.send(new GetRoleCommand({ RoleName: roleName })));
    if (!output) return undefined;
    const role = output.Role;
    if (!role?.Arn || !role.RoleName || !role.CreateDate) throw malformed('GetRole', roleName);
    const attached: AttachedPolicy[] = [];
    for await (const page of paginateListAttachedRolePolicies({ client: this.iam }, { RoleName: roleName })) {
      attached.push(...(page.AttachedPolicies ?? []));
    }
    const inlineNames: string[] = [];
    for await (const page of paginateListRolePolicies({ client: this.iam }, { RoleName: roleName })) {
      inlineNames.push(...(page.PolicyNames ?? []));
    }
    const inline: Detail[] = [];
    for (const name of inlineNames) {
      const output = await this.iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: name }));
      inline.push({ PolicyName: name, PolicyDocument: output.PolicyDocument });
    }
    const detail: Detail = {
      RoleName: role.RoleName,
      RoleId: role.RoleId,
      Arn: role.Arn,
      Path: role.Path,
      CreateDate: role.CreateDate,
      // A trust policy that cannot be read fails the re-read: remediation never acts on a guess.
      AssumeRolePolicyDocument: role.AssumeRolePolicyDocument,
      Tags: role.Tags,
      RolePolicyList: inline,
      AttachedManagedPolicies: this.attach(attached),
    };
    if (role.RoleLastUsed?.LastUsedDate) detail.RoleLastUsed = role.RoleLastUsed;
    if (role.PermissionsBoundary) detail.PermissionsBoundary = this.attachBoundary(role.PermissionsBoundary);
    const lastAccessed = withLastAccessed ? await this.serviceLastAccessed(role.Arn) : undefined;
    const { roles } = await this.snapshots({ RoleDetailList: [detail] }, role.Arn, lastAccessed);
    return only(roles, role.Arn);
  }

  private async readUser(userName: string, withLastAccessed = false): Promise<UserSnapshot | undefined> {
    const output = await orGone(this.iam.send(new GetUserCommand({ UserName: userName })));
    if (!output) return undefined;
    const user = output.User;
    if (!user?.Arn || !user.UserName) throw malformed('GetUser', userName);
    const tags: Tag[] = [];
    for await (const page of paginateListUserTags({ client: this.iam }, { UserName: userName })) {
      tags.push(...(page.Tags ?? []));
    }
    const attached: AttachedPolicy[] = [];
    for await (const page of paginateListAttachedUserPolicies({ client: this.iam }, { UserName: userName })) {
      attached.push(...(page.AttachedPolicies ?? []));
    }
    const inlineNames: string[] = [];
    for await (const page of paginateListUserPolicies({ client: this.iam }, { UserName: userName })) {
      inlineNames.push(...(page.PolicyNames ?? []));
    }
    const inline: Detail[] = [];
    for (const name of inlineNames) {
      const output = await this.iam.send(new GetUserPolicyCommand({ UserName: userName, PolicyName: name }));
      inline.push({ PolicyName: name, PolicyDocument: output.PolicyDocument });
    }
    const groupNames: string[] = [];
    for await (const page of paginateListGroupsForUser({ client: this.iam }, { UserName: userName })) {
      for (const group of page.Groups ?? []) if (group.GroupName) groupNames.push(group.GroupName);
    }
    const groups: Detail[] = [];
    for (const name of groupNames) {
      const group = await this.readGroupDetail(name);
      if (!group)
        throw new LiveStateReadError(`Group ${name} of user ${userName} disappeared while it was read.`);
      groups.push(group);
    }
    const detail: Detail = {
      UserName: user.UserName,
      Arn: user.Arn,
      Path: user.Path,
      CreateDate: user.CreateDate,
      Tags: tags,
      GroupList: groupNames,
      UserPolicyList: inline,
      AttachedManagedPolicies: this.attach(attached),
    };
    if (user.PermissionsBoundary) detail.PermissionsBoundary = this.attachBoundary(user.PermissionsBoundary);
    const lastAccessed = withLastAccessed ? await this.serviceLastAccessed(user.Arn) : undefined;
    const { users } = await this.snapshots(
      { GroupDetailList: groups, UserDetailList: [detail] },
      user.Arn,
      lastAccessed,
    );
    const snapshot = only(users, user.Arn);
    snapshot.credentials = await this.credentials(
      user.UserName,
      user.Arn,
      snapshot.accountId,
      user.CreateDate,
      user.PasswordLastUsed,
    );
    return snapshot;
  }

  /**
   * The user's credentials as the credential report would show them. The report is the only
   * source of the last password change, so a live re-read of one user leaves it unset.
   */
  private async credentials(
    userName: string,
    userArn: string,
    accountId: string,
    userCreatedAt: Date | undefined,
    passwordLastUsed: Date | undefined,
  ): Promise<UserCredentials> {
    let passwordEnabled = true;
    try {
      await this.iam.send(new GetLoginProfileCommand({ UserName: userName }));
    } catch (error) {
      if (classifyAwsError(error) !== 'NotFound') throw error;
      passwordEnabled = false;
    }
    let mfaActive = false;
    for await (const page of paginateListMFADevices({ client: this.iam }, { UserName: userName })) {
      if ((page.MFADevices ?? []).length > 0) mfaActive = true;
    }
    const metadata = [];
    for await (const page of paginateListAccessKeys({ client: this.iam }, { UserName: userName })) {
      metadata.push(...(page.AccessKeyMetadata ?? []));
    }
    // The credential report's slots follow creation order.
    metadata.sort((a, b) => (a.CreateDate?.getTime() ?? 0) - (b.CreateDate?.getTime() ?? 0));
    const accessKeys: AccessKeySnapshot[] = [];
    for (const [index, key] of metadata.entries()) {
      if (!key.AccessKeyId) throw malformed('ListAccessKeys', userName);
      const used = (await this.iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: key.AccessKeyId })))
        .AccessKeyLastUsed;
      const snapshot: AccessKeySnapshot = {
        kind: 'access-key',
        arn: userArn,
        accountId,
        userName,
        isRoot: false,
        slot: index === 0 ? 1 : 2,
        keyId: key.AccessKeyId,
        active: key.Status === 'Active',
      };
      if (key.CreateDate) snapshot.createdAt = key.CreateDate;
      if (used?.LastUsedDate) {
        snapshot.lastUsedAt = used.LastUsedDate;
        const service = present(used.ServiceName);
        const region = present(used.Region);
        if (service) snapshot.lastUsedService = service;
        if (region) snapshot.lastUsedRegion = region;
      }
      if (userCreatedAt) snapshot.userCreatedAt = userCreatedAt;
      accessKeys.push(snapshot);
    }
    const credentials: UserCredentials = { passwordEnabled, mfaActive, accessKeys };
    if (passwordEnabled && passwordLastUsed) credentials.passwordLastUsedAt = passwordLastUsed;
    return credentials;
  }

  private async readGroup(groupName: string): Promise<GroupSnapshot | undefined> {
    const detail = await this.readGroupDetail(groupName);
    if (!detail) return undefined;
    const arn = detail.Arn as string;
    const { groups } = await this.snapshots({ GroupDetailList: [detail] }, arn);
    return only(groups, arn);
  }

  /** A group as the authorization details list it; undefined when it no longer exists. */
  private async readGroupDetail(groupName: string): Promise<Detail | undefined> {
    const output = await orGone(this.iam.send(new GetGroupCommand({ GroupName: groupName, MaxItems: 1 })));
    if (!output) return undefined;
    const group = output.Group;
    if (!group?.Arn || !group.GroupName) throw malformed('GetGroup', groupName);
    const attached: AttachedPolicy[] = [];
    for await (const page of paginateListAttachedGroupPolicies(
      { client: this.iam },
      { GroupName: groupName },
    )) {
      attached.push(...(page.AttachedPolicies ?? []));
    }
    const inlineNames: string[] = [];
    for await (const page of paginateListGroupPolicies({ client: this.iam }, { GroupName: groupName })) {
      inlineNames.push(...(page.PolicyNames ?? []));
    }
    const inline: Detail[] = [];
    for (const name of inlineNames) {
      const output = await this.iam.send(
        new GetGroupPolicyCommand({ GroupName: groupName, PolicyName: name }),
      );
      inline.push({ PolicyName: name, PolicyDocument: output.PolicyDocument });
    }
    return {
      GroupName: group.GroupName,
      Arn: group.Arn,
      Path: group.Path,
      CreateDate: group.CreateDate,
      GroupPolicyList: inline,
      AttachedManagedPolicies: this.attach(attached),
    };
  }

  /**
   * Maps the identities read with the normalizer, as a scan would, with every managed policy they
   * attach. Whatever the normalizer finds malformed or missing fails the re-read.
   */
  private async snapshots(
    page: Detail,
    arn: string,
    serviceLastAccessed?: unknown,
  ): Promise<ReturnType<typeof normalizeIdentities>> {
    const policies: Detail[] = [];
    for (const [arn, policy] of this.policies) {
      policy.entry ??= await this.fetchManagedPolicy(arn, policy.name);
      policies.push(policy.entry);
    }
    const details: Detail = { ...page, Policies: policies };
    const accountId = arnAccount(arn);
    const mapped = normalizeIdentities({
      details,
      ...(accountId ? { accountId } : {}),
      ...(serviceLastAccessed !== undefined ? { serviceLastAccessed: { [arn]: serviceLastAccessed } } : {}),
    });
    const gap = mapped.coverageGaps[0];
    if (gap) throw new LiveStateReadError(`The live state of ${arn} is incomplete: ${gap.reason}`);
    return mapped;
  }

  /** The attached policies as the authorization details list them; each one is fetched once. */
  private attach(attached: readonly AttachedPolicy[]): Detail[] {
    const out: Detail[] = [];
    for (const policy of attached) {
      if (!policy.PolicyArn) continue;
      this.managedPolicy(policy.PolicyArn, policy.PolicyName);
      out.push({ PolicyArn: policy.PolicyArn, PolicyName: policy.PolicyName });
    }
    return out;
  }

  private attachBoundary(boundary: AttachedPermissionsBoundary): Detail | undefined {
    if (!boundary.PermissionsBoundaryArn) return undefined;
    this.managedPolicy(boundary.PermissionsBoundaryArn, undefined);
    return { PermissionsBoundaryArn: boundary.PermissionsBoundaryArn };
  }

  /** Notes a managed policy to fetch with its default version's document, once per read. */
  private managedPolicy(arn: string, name: string | undefined): void {
    if (!this.policies.has(arn)) this.policies.set(arn, { name });
  }

  /** A `Policies` entry of the authorization details, with the default version only. */
  private async fetchManagedPolicy(arn: string, name: string | undefined): Promise<Detail> {
    const policy = (await this.iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy;
    const versionId = policy?.DefaultVersionId;
    if (!versionId) throw malformed('GetPolicy', arn);
    const version = (
      await this.iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: versionId }))
    ).PolicyVersion;
    return {
      Arn: arn,
      PolicyName: name ?? policy.PolicyName,
      DefaultVersionId: versionId,
      PolicyVersionList: [{ VersionId: versionId, IsDefaultVersion: true, Document: version?.Document }],
    };
  }

  /** `get-service-last-accessed-details` output of one principal; a read that fails is an error. */
  private async serviceLastAccessed(arn: string): Promise<unknown> {
    const read = await this.lastAccessed.read(arnAccount(arn) ?? '', [arn]);
    const output = read.data?.[arn];
    if (read.gaps.length > 0 || !output) {
      throw new LiveStateReadError(
        read.gaps[0]?.reason ?? `The service last accessed data of ${arn} could not be read.`,
      );
    }
    return output;
  }

  private async readSecret(arn: string, region: string): Promise<FreshState> {
    const secret = await orGone(
      this.secretsManager(region).send(new DescribeSecretCommand({ SecretId: arn })),
    );
    if (!secret) return {};
    if (!secret.ARN || !secret.Name) throw malformed('DescribeSecret', arn);
    if (secret.DeletedDate) return {};
    const snapshot: SecretSnapshot = {
      kind: 'secret',
      arn: secret.ARN,
      accountId: parseArn(secret.ARN)?.account ?? '',
      name: secret.Name,
      region,
      rotationEnabled: secret.RotationEnabled === true,
      // Only the rotation gate reads the secret again; its resource policy is not re-read.
      policyState: 'unknown',
      tags: tagMap(secret.Tags),
    };
    if (secret.CreatedDate) snapshot.createdAt = secret.CreatedDate;
    if (secret.LastAccessedDate) snapshot.lastAccessedAt = secret.LastAccessedDate;
    if (secret.LastRotatedDate) snapshot.lastRotatedAt = secret.LastRotatedDate;
    if (secret.LastChangedDate) snapshot.lastChangedAt = secret.LastChangedDate;
    if (secret.NextRotationDate) snapshot.nextRotationAt = secret.NextRotationDate;
    if (secret.RotationLambdaARN) snapshot.rotationLambdaArn = secret.RotationLambdaARN;
    const days = secret.RotationRules?.AutomaticallyAfterDays;
    if (days !== undefined && days > 0) snapshot.rotationIntervalDays = days;
    return { snapshot };
  }
}

/** The name of an IAM role, user or group: the last segment of its ARN's resource path. */
export function resourceName(arn: string, type: 'role' | 'user' | 'group'): string {
  const resource = arnResource(arn) ?? '';
  if (!resource.startsWith(`${type}/`)) {
    throw new LiveStateReadError(`${arn} is not the ARN of an IAM ${type}.`);
  }
  return resource.slice(resource.lastIndexOf('/') + 1);
}

/** The answer of the call that reads the resource itself, or undefined when it no longer exists. */
async function orGone<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (classifyAwsError(error) === 'NotFound') return undefined;
    throw error;
  }
}

/** An authorization-details record (a role, user, group or policy entry) as the normalizer reads it. */
type Detail = Record<string, unknown>;

/** The one snapshot mapped for `arn`. */
function only<T extends { arn: string }>(snapshots: readonly T[], arn: string): T {
  const snapshot = snapshots.find((s) => s.arn === arn);
  if (!snapshot) throw new LiveStateReadError(`The live state of ${arn} could not be mapped.`);
  return snapshot;
}

function regionOf(arn: string): string {
  const region = arnRegion(arn);
  if (!region) throw new LiveStateReadError(`${arn} names no region.`);
  return region;
}

function tagMap(tags: readonly { Key?: string | undefined; Value?: string | undefined }[] | undefined): Tags {
  const out: Tags = {};
  for (const tag of tags ?? []) if (tag.Key !== undefined) out[tag.Key] = tag.Value ?? '';
  return out;
}

/** IAM answers `N/A` for the service and region of a key that was never used. */
function present(value: string | undefined): string | undefined {
  return value && value !== 'N/A' ? value : undefined;
}

function malformed(operation: string, subject: string): LiveStateReadError {
  return new LiveStateReadError(`${operation} returned an incomplete answer for ${subject}.`);
}
