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
import { arnRegion, arnResource, parseArn } from '../../core/arn';
import type { Finding } from '../../core/finding';
import type {
  AccessKeySnapshot,
  GroupSnapshot,
  InlinePolicy,
  ManagedPolicy,
  RoleSnapshot,
  SecretSnapshot,
  ServiceLastAccessed,
  Tags,
  UserCredentials,
  UserSnapshot,
} from '../../core/model';
import { parsePolicyDocument } from '../../core/policy/parse';
import type { PolicyDocument } from '../../core/policy/types';
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
  /** Managed policies fetched during the current read: a user's groups often share them. */
  private policies = new Map<string, Promise<ManagedPolicy>>();

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
        const role = await this.readRole(resourceName(finding.resourceArn, 'role'));
        if (!role) return {};
        if (withLastAccessed)
          role.serviceLastAccessed = await this.serviceLastAccessed(role.accountId, role.arn);
        return { snapshot: role };
      }
      case 'user': {
        const user = await this.readUser(resourceName(finding.resourceArn, 'user'));
        if (!user) return {};
        if (withLastAccessed)
          user.serviceLastAccessed = await this.serviceLastAccessed(user.accountId, user.arn);
        return { snapshot: user };
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

  private async readRole(roleName: string): Promise<RoleSnapshot | undefined> {
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
    const inlinePolicies: InlinePolicy[] = [];
    for (const name of inlineNames) {
      const output = await this.iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: name }));
      inlinePolicies.push({
        name,
        document: parseDocument(output.PolicyDocument, `inline policy ${name} of role ${roleName}`),
      });
    }
    const snapshot: RoleSnapshot = {
      kind: 'role',
      arn: role.Arn,
      accountId: accountOf(role.Arn),
      name: role.RoleName,
      path: role.Path ?? '/',
      createdAt: role.CreateDate,
      tags: tagMap(role.Tags),
      inlinePolicies,
      managedPolicies: await this.managedPolicies(attached),
    };
    if (role.RoleId) snapshot.roleId = role.RoleId;
    if (role.RoleLastUsed?.LastUsedDate) {
      snapshot.lastUsedAt = role.RoleLastUsed.LastUsedDate;
      if (role.RoleLastUsed.Region) snapshot.lastUsedRegion = role.RoleLastUsed.Region;
    }
    // A trust policy that cannot be read fails the re-read: remediation never acts on a guess.
    if (role.AssumeRolePolicyDocument !== undefined) {
      snapshot.trustPolicy = parseDocument(
        role.AssumeRolePolicyDocument,
        `the trust policy of role ${role.RoleName}`,
      );
    }
    const boundary = await this.boundary(role.PermissionsBoundary);
    if (boundary) snapshot.permissionsBoundary = boundary;
    return snapshot;
  }

  private async readUser(userName: string): Promise<UserSnapshot | undefined> {
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
    const inlinePolicies: InlinePolicy[] = [];
    for (const name of inlineNames) {
      const output = await this.iam.send(new GetUserPolicyCommand({ UserName: userName, PolicyName: name }));
      inlinePolicies.push({
        name,
        document: parseDocument(output.PolicyDocument, `inline policy ${name} of user ${userName}`),
      });
    }
    const groupNames: string[] = [];
    for await (const page of paginateListGroupsForUser({ client: this.iam }, { UserName: userName })) {
      for (const group of page.Groups ?? []) if (group.GroupName) groupNames.push(group.GroupName);
    }
    const groups: GroupSnapshot[] = [];
    for (const name of groupNames) {
      const group = await this.readGroup(name);
      if (!group)
        throw new LiveStateReadError(`Group ${name} of user ${userName} disappeared while it was read.`);
      groups.push(group);
    }

    const accountId = accountOf(user.Arn);
    const snapshot: UserSnapshot = {
      kind: 'user',
      arn: user.Arn,
      accountId,
      name: user.UserName,
      path: user.Path ?? '/',
      isRoot: false,
      groups,
      tags: tagMap(tags),
      inlinePolicies,
      managedPolicies: await this.managedPolicies(attached),
      credentials: await this.credentials(
        user.UserName,
        user.Arn,
        accountId,
        user.CreateDate,
        user.PasswordLastUsed,
      ),
    };
    if (user.CreateDate) snapshot.createdAt = user.CreateDate;
    const boundary = await this.boundary(user.PermissionsBoundary);
    if (boundary) snapshot.permissionsBoundary = boundary;
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
    const inlinePolicies: InlinePolicy[] = [];
    for (const name of inlineNames) {
      const output = await this.iam.send(
        new GetGroupPolicyCommand({ GroupName: groupName, PolicyName: name }),
      );
      inlinePolicies.push({
        name,
        document: parseDocument(output.PolicyDocument, `inline policy ${name} of group ${groupName}`),
      });
    }
    const snapshot: GroupSnapshot = {
      kind: 'group',
      arn: group.Arn,
      accountId: accountOf(group.Arn),
      name: group.GroupName,
      path: group.Path ?? '/',
      inlinePolicies,
      managedPolicies: await this.managedPolicies(attached),
    };
    if (group.CreateDate) snapshot.createdAt = group.CreateDate;
    return snapshot;
  }

  private async managedPolicies(attached: readonly AttachedPolicy[]): Promise<ManagedPolicy[]> {
    const out: ManagedPolicy[] = [];
    for (const policy of attached) {
      if (!policy.PolicyArn) continue;
      out.push(await this.managedPolicy(policy.PolicyArn, policy.PolicyName));
    }
    return out;
  }

  /** A managed policy with its default version's document, fetched once per read. */
  private managedPolicy(arn: string, name: string | undefined): Promise<ManagedPolicy> {
    let policy = this.policies.get(arn);
    if (!policy) {
      policy = this.fetchManagedPolicy(arn, name);
      this.policies.set(arn, policy);
    }
    return policy;
  }

  private async fetchManagedPolicy(arn: string, name: string | undefined): Promise<ManagedPolicy> {
    const policy = (await this.iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy;
    const versionId = policy?.DefaultVersionId;
    if (!versionId) throw malformed('GetPolicy', arn);
    const version = (
      await this.iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: versionId }))
    ).PolicyVersion;
    return {
      arn,
      name: name ?? policy.PolicyName ?? arn.slice(arn.lastIndexOf('/') + 1),
      awsManaged: parseArn(arn)?.account === 'aws',
      document: parseDocument(version?.Document, `policy ${arn} version ${versionId}`),
    };
  }

  private async boundary(
    boundary: AttachedPermissionsBoundary | undefined,
  ): Promise<ManagedPolicy | undefined> {
    if (!boundary?.PermissionsBoundaryArn) return undefined;
    return this.managedPolicy(boundary.PermissionsBoundaryArn, undefined);
  }

  private async serviceLastAccessed(accountId: string, arn: string): Promise<ServiceLastAccessed> {
    const read = await this.lastAccessed.read(accountId, [arn]);
    const output = read.data?.[arn] as
      | {
          JobCompletionDate?: string;
          ServicesLastAccessed?: {
            ServiceNamespace?: string;
            ServiceName?: string;
            LastAuthenticated?: string;
          }[];
        }
      | undefined;
    if (read.gaps.length > 0 || !output) {
      throw new LiveStateReadError(
        read.gaps[0]?.reason ?? `The service last accessed data of ${arn} could not be read.`,
      );
    }
    const services = (output.ServicesLastAccessed ?? []).flatMap((service) => {
      if (!service.ServiceNamespace) return [];
      return [
        {
          namespace: service.ServiceNamespace,
          ...(service.ServiceName ? { name: service.ServiceName } : {}),
          ...(service.LastAuthenticated ? { lastAuthenticatedAt: new Date(service.LastAuthenticated) } : {}),
        },
      ];
    });
    return output.JobCompletionDate
      ? { generatedAt: new Date(output.JobCompletionDate), services }
      : { services };
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
      accountId: accountOf(secret.ARN),
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

function accountOf(arn: string): string {
  return parseArn(arn)?.account ?? '';
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

function parseDocument(document: string | undefined, what: string): PolicyDocument {
  if (document === undefined) throw new LiveStateReadError(`The document of ${what} is missing.`);
  try {
    return parsePolicyDocument(document);
  } catch (error) {
    throw new LiveStateReadError(`The document of ${what} is malformed: ${describeError(error)}.`, {
      cause: error,
    });
  }
}

function malformed(operation: string, subject: string): LiveStateReadError {
  return new LiveStateReadError(`${operation} returned an incomplete answer for ${subject}.`);
}
