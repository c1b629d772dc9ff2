import {
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  DeleteGroupPolicyCommand,
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  DetachGroupPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  GetGroupPolicyCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
  type IAMClient,
  PutGroupPolicyCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  paginateListAccessKeys,
  paginateListAttachedGroupPolicies,
  paginateListAttachedRolePolicies,
  paginateListAttachedUserPolicies,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import {
  DescribeSecretCommand,
  type DescribeSecretCommandOutput,
  RotateSecretCommand,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { rotationFunctionAllowed } from '../../core/remediation/catalog';
import type { PrincipalType, RemediationStep } from '../../core/remediation/plan';
import type { BeforeState } from '../../core/remediation/request';
import type { RemediationExecutor } from '../../use-cases/remediation-ports';
import { type Clock, type PollingOptions, pollUntil, systemClock } from './clock';
import { classifyAwsError, describeError } from './errors';

/** A step could not be prepared, applied or restored. */
export class RemediationStepError extends Error {
  override readonly name = 'RemediationStepError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** An eligibility is an item of the findings table: the eligibility store records it, never IAM. */
function notIamStep(action: 'make-eligible'): RemediationStepError {
  return new RemediationStepError(
    `Step ${action} is recorded in the findings table, not in IAM; this remediation has no eligibility store.`,
  );
}

export interface AwsRemediationExecutorOptions {
  clock?: Clock;
  /**
   * The ARN of the stack's deny-all quarantine policy in this account: the only policy the acting
   * role may attach. Unset, quarantine fails before anything changes.
   */
  quarantinePolicyArn?: string | (() => Promise<string>);
  /**
   * The rotation functions this role may invoke (`remediation.rotationFunctions`). Set, rotate-secret
   * fails before anything changes unless the secret's rotation function is one of them (an empty
   * list refuses every rotation); unset (an operator's own credentials), it is not checked.
   */
  rotationFunctions?: readonly string[];
  /** How long to wait for a started rotation to move AWSCURRENT. */
  rotation?: Partial<PollingOptions>;
}

export const ROTATION_POLLING: PollingOptions = { timeoutMs: 60_000, initialDelayMs: 500, maxDelayMs: 5_000 };

type StageLabel = 'AWSCURRENT' | 'AWSPREVIOUS' | 'AWSPENDING';
/** Restored in this order: moving AWSCURRENT moves AWSPREVIOUS as a side effect, fixed next. */
const STAGE_LABELS: readonly StageLabel[] = ['AWSCURRENT', 'AWSPREVIOUS', 'AWSPENDING'];
const STAGE_FIELDS = {
  AWSCURRENT: 'currentVersionId',
  AWSPREVIOUS: 'previousVersionId',
  AWSPENDING: 'pendingVersionId',
} as const;

type RotateBefore = Extract<BeforeState, { action: 'rotate-secret' }>;

/**
 * Executes remediation steps with the IAM and Secrets Manager APIs. Every call it makes is one
 * of the permissions its action declares in the remediation catalog (a unit test holds it to that).
 */
export class AwsRemediationExecutor implements RemediationExecutor {
  private readonly clock: Clock;
  private readonly rotation: PollingOptions;
  private readonly quarantinePolicyArn: string | (() => Promise<string>) | undefined;
  private readonly rotationFunctions: readonly string[] | undefined;

  constructor(
    private readonly iam: IAMClient,
    private readonly secretsManager: (region: string) => SecretsManagerClient,
    options: AwsRemediationExecutorOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.rotation = { ...ROTATION_POLLING, ...options.rotation };
    this.quarantinePolicyArn = options.quarantinePolicyArn;
    this.rotationFunctions = options.rotationFunctions;
  }

  /** Refuses a rotation whose function this role may not invoke, before anything changes. */
  private checkRotationFunction(secretId: string, functionArn: string | undefined): void {
    const allowed = this.rotationFunctions;
    if (allowed === undefined) return;
    if (allowed.length === 0) {
      throw new RemediationStepError(
        `rotate-secret is not enabled: the deploy config names no rotation function (remediation.rotationFunctions), so secret ${secretId} was not rotated.`,
      );
    }
    // A secret rotated by its owning service (managed rotation) has no function to invoke.
    if (functionArn !== undefined && !rotationFunctionAllowed(functionArn, allowed)) {
      throw new RemediationStepError(
        `The rotation function ${functionArn} of secret ${secretId} is not among remediation.rotationFunctions; the secret was not rotated.`,
      );
    }
  }

  /** The quarantine policy to attach; a request approved for the older inline quarantine is refused. */
  private async quarantinePolicy(
    step: Extract<RemediationStep, { action: 'quarantine-role' }>,
  ): Promise<string> {
    if (step.policyDocument !== undefined) {
      throw new RemediationStepError(
        `The step puts an inline quarantine policy on role ${step.roleName}; quarantine now attaches the ${step.policyName} managed policy. Request a new approval.`,
      );
    }
    if (!this.quarantinePolicyArn) {
      throw new RemediationStepError(
        `No quarantine policy is configured for this account (QUARANTINE_POLICY_ARN); role ${step.roleName} was not quarantined.`,
      );
    }
    return typeof this.quarantinePolicyArn === 'string'
      ? this.quarantinePolicyArn
      : this.quarantinePolicyArn();
  }

  async captureBefore(step: RemediationStep): Promise<BeforeState> {
    if (step.action === 'make-eligible') throw notIamStep(step.action);
    switch (step.action) {
      case 'deactivate-access-key': {
        const status = await this.keyStatus(step.userName, step.accessKeyId);
        if (!status) {
          throw new RemediationStepError(
            `Access key ${step.accessKeyId} of user ${step.userName} no longer exists.`,
          );
        }
        return { action: step.action, userName: step.userName, accessKeyId: step.accessKeyId, status };
      }
      case 'detach-managed-policy':
        return {
          action: step.action,
          principalType: step.principalType,
          principalName: step.principalName,
          policyArn: step.policyArn,
          attached: await this.isAttached(step.principalType, step.principalName, step.policyArn),
        };
      case 'delete-inline-policy': {
        const document = await this.inlineDocument(step.principalType, step.principalName, step.policyName);
        if (document === undefined) {
          throw new RemediationStepError(
            `Inline policy ${step.policyName} of ${step.principalType} ${step.principalName} no longer exists.`,
          );
        }
        return {
          action: step.action,
          principalType: step.principalType,
          principalName: step.principalName,
          policyName: step.policyName,
          policyDocument: document,
        };
      }
      case 'quarantine-role': {
        const policyArn = await this.quarantinePolicy(step);
        return {
          action: step.action,
          roleName: step.roleName,
          policyName: step.policyName,
          policyArn,
          attached: await this.isAttached('role', step.roleName, policyArn),
        };
      }
      case 'rotate-secret': {
        const secret = await this.describe(step.secretId, step.region);
        this.checkRotationFunction(step.secretId, secret.RotationLambdaARN);
        const stages = stagesOf(secret);
        const before: RotateBefore = { action: step.action, secretId: step.secretId, region: step.region };
        for (const label of STAGE_LABELS) {
          const version = stages.get(label);
          if (version) before[STAGE_FIELDS[label]] = version;
        }
        return before;
      }
    }
  }

  async apply(step: RemediationStep): Promise<void> {
    if (step.action === 'make-eligible') throw notIamStep(step.action);
    switch (step.action) {
      case 'deactivate-access-key':
        await this.iam.send(
          new UpdateAccessKeyCommand({
            UserName: step.userName,
            AccessKeyId: step.accessKeyId,
            Status: 'Inactive',
          }),
        );
        return;
      case 'detach-managed-policy':
        await this.detach(step.principalType, step.principalName, step.policyArn);
        return;
      case 'delete-inline-policy':
        await this.deleteInline(step.principalType, step.principalName, step.policyName);
        return;
      case 'quarantine-role':
        await this.iam.send(
          new AttachRolePolicyCommand({
            RoleName: step.roleName,
            PolicyArn: await this.quarantinePolicy(step),
          }),
        );
        return;
      case 'rotate-secret':
        // Rotates with the secret's configured rotation; the new version becomes AWSCURRENT when it finishes.
        await this.secretsManager(step.region).send(new RotateSecretCommand({ SecretId: step.secretId }));
        return;
    }
  }

  async verify(step: RemediationStep, before: BeforeState): Promise<string | undefined> {
    if (step.action === 'make-eligible') throw notIamStep(step.action);
    switch (step.action) {
      case 'deactivate-access-key': {
        const status = await this.keyStatus(step.userName, step.accessKeyId);
        return status === 'Inactive'
          ? undefined
          : `Access key ${step.accessKeyId} is ${status ?? 'gone'}, not Inactive.`;
      }
      case 'detach-managed-policy':
        return (await this.isAttached(step.principalType, step.principalName, step.policyArn))
          ? `Policy ${step.policyArn} is still attached to ${step.principalType} ${step.principalName}.`
          : undefined;
      case 'delete-inline-policy':
        return (await this.inlineDocument(step.principalType, step.principalName, step.policyName)) ===
          undefined
          ? undefined
          : `Inline policy ${step.policyName} still exists on ${step.principalType} ${step.principalName}.`;
      case 'quarantine-role':
        return (await this.isAttached('role', step.roleName, await this.quarantinePolicy(step)))
          ? undefined
          : `Role ${step.roleName} does not carry the ${step.policyName} deny-all policy.`;
      case 'rotate-secret': {
        if (before.action !== 'rotate-secret') return 'The recorded before-state is not a rotation.';
        const rotated = await pollUntil(this.clock, this.rotation, async () => {
          const stages = await this.stages(step.secretId, step.region);
          const current = stages.get('AWSCURRENT');
          const pending = stages.get('AWSPENDING');
          const done =
            current !== undefined && current !== before.currentVersionId && (!pending || pending === current);
          return done ? current : undefined;
        });
        return rotated
          ? undefined
          : `Secret ${step.secretId} was not rotated within ${Math.round(this.rotation.timeoutMs / 1000)} s: AWSCURRENT did not move to a new version.`;
      }
    }
  }

  async restore(before: BeforeState): Promise<void> {
    if (before.action === 'make-eligible') throw notIamStep(before.action);
    switch (before.action) {
      case 'deactivate-access-key':
        await this.iam.send(
          new UpdateAccessKeyCommand({
            UserName: before.userName,
            AccessKeyId: before.accessKeyId,
            Status: before.status,
          }),
        );
        return;
      case 'detach-managed-policy': {
        // Attaching is idempotent in IAM; a policy that was not attached before stays as it is now.
        if (before.attached) {
          await this.attach(principalType(before.principalType), before.principalName, before.policyArn);
        }
        return;
      }
      case 'delete-inline-policy':
        await this.putInline(
          principalType(before.principalType),
          before.principalName,
          before.policyName,
          before.policyDocument,
        );
        return;
      case 'quarantine-role':
        if (before.policyArn !== undefined) {
          // A quarantine the role carried before the request is left in place.
          if (!before.attached) {
            try {
              await this.detach('role', before.roleName, before.policyArn);
            } catch (error) {
              // Already detached: restoring is idempotent, so a second rollback is not an error.
              if (classifyAwsError(error) !== 'NotFound') throw error;
            }
          }
        } else if (before.existingDocument !== undefined) {
          await this.putInline('role', before.roleName, before.policyName, before.existingDocument);
        } else {
          await this.deleteInline('role', before.roleName, before.policyName);
        }
        return;
      case 'rotate-secret':
        await this.restoreStages(before);
        return;
    }
  }

  async verifyRestored(before: BeforeState): Promise<string | undefined> {
    if (before.action === 'make-eligible') throw notIamStep(before.action);
    switch (before.action) {
      case 'deactivate-access-key': {
        const status = await this.keyStatus(before.userName, before.accessKeyId);
        return status === before.status
          ? undefined
          : `Access key ${before.accessKeyId} is ${status ?? 'gone'}, not ${before.status}.`;
      }
      case 'detach-managed-policy': {
        const attached = await this.isAttached(
          principalType(before.principalType),
          before.principalName,
          before.policyArn,
        );
        return attached || !before.attached
          ? undefined
          : `Policy ${before.policyArn} is not attached to ${before.principalType} ${before.principalName}.`;
      }
      case 'delete-inline-policy': {
        const document = await this.inlineDocument(
          principalType(before.principalType),
          before.principalName,
          before.policyName,
        );
        return document !== undefined && sameDocument(document, before.policyDocument)
          ? undefined
          : `Inline policy ${before.policyName} of ${before.principalType} ${before.principalName} does not hold the saved document.`;
      }
      case 'quarantine-role': {
        if (before.policyArn !== undefined) {
          const attached = await this.isAttached('role', before.roleName, before.policyArn);
          return attached === Boolean(before.attached)
            ? undefined
            : `Role ${before.roleName} ${attached ? 'still carries' : 'no longer carries'} ${before.policyArn}.`;
        }
        const document = await this.inlineDocument('role', before.roleName, before.policyName);
        if (before.existingDocument === undefined) {
          return document === undefined
            ? undefined
            : `Role ${before.roleName} still carries ${before.policyName}.`;
        }
        return document !== undefined && sameDocument(document, before.existingDocument)
          ? undefined
          : `Inline policy ${before.policyName} of role ${before.roleName} does not hold the saved document.`;
      }
      case 'rotate-secret': {
        const stages = await this.stages(before.secretId, before.region);
        const wrong = STAGE_LABELS.filter((label) => stages.get(label) !== before[STAGE_FIELDS[label]]);
        return wrong.length === 0
          ? undefined
          : `Secret ${before.secretId} labels ${wrong.join(', ')} are not on their recorded versions.`;
      }
    }
  }

  /** Puts each staging label back on its recorded version (or removes it when it had none). */
  private async restoreStages(before: RotateBefore): Promise<void> {
    const client = this.secretsManager(before.region);
    for (const label of STAGE_LABELS) {
      const stages = await this.stages(before.secretId, before.region);
      const now = stages.get(label);
      const wanted = before[STAGE_FIELDS[label]];
      if (now === wanted) continue;
      if (label === 'AWSCURRENT' && !wanted) {
        throw new RemediationStepError(`Secret ${before.secretId} had no AWSCURRENT version to restore.`);
      }
      await client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: before.secretId,
          VersionStage: label,
          ...(now ? { RemoveFromVersionId: now } : {}),
          ...(wanted ? { MoveToVersionId: wanted } : {}),
        }),
      );
    }
  }

  /** Staging label -> version id, for the labels remediation restores. */
  private async stages(secretId: string, region: string): Promise<Map<StageLabel, string>> {
    return stagesOf(await this.describe(secretId, region));
  }

  private describe(secretId: string, region: string): Promise<DescribeSecretCommandOutput> {
    return this.secretsManager(region).send(new DescribeSecretCommand({ SecretId: secretId }));
  }

  private async keyStatus(userName: string, accessKeyId: string): Promise<'Active' | 'Inactive' | undefined> {
    for await (const page of paginateListAccessKeys({ client: this.iam }, { UserName: userName })) {
      const key = (page.AccessKeyMetadata ?? []).find((k) => k.AccessKeyId === accessKeyId);
      if (key) {
        if (key.Status !== 'Active' && key.Status !== 'Inactive') {
          throw new RemediationStepError(
            `Access key ${accessKeyId} has an unknown status ${String(key.Status)}.`,
          );
        }
        return key.Status;
      }
    }
    return undefined;
  }

  private async isAttached(type: PrincipalType, name: string, policyArn: string): Promise<boolean> {
    const pages =
      type === 'role'
        ? paginateListAttachedRolePolicies({ client: this.iam }, { RoleName: name })
        : type === 'user'
          ? paginateListAttachedUserPolicies({ client: this.iam }, { UserName: name })
          : paginateListAttachedGroupPolicies({ client: this.iam }, { GroupName: name });
    for await (const page of pages) {
      if ((page.AttachedPolicies ?? []).some((p) => p.PolicyArn === policyArn)) return true;
    }
    return false;
  }

  private async attach(type: PrincipalType, name: string, policyArn: string): Promise<void> {
    if (type === 'role')
      await this.iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: policyArn }));
    else if (type === 'user')
      await this.iam.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: policyArn }));
    else await this.iam.send(new AttachGroupPolicyCommand({ GroupName: name, PolicyArn: policyArn }));
  }

  private async detach(type: PrincipalType, name: string, policyArn: string): Promise<void> {
    if (type === 'role')
      await this.iam.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: policyArn }));
    else if (type === 'user')
      await this.iam.send(new DetachUserPolicyCommand({ UserName: name, PolicyArn: policyArn }));
    else await this.iam.send(new DetachGroupPolicyCommand({ GroupName: name, PolicyArn: policyArn }));
  }

  /** The inline policy's document as decoded JSON text, or undefined when there is none. */
  private async inlineDocument(
    type: PrincipalType,
    name: string,
    policyName: string,
  ): Promise<string | undefined> {
    try {
      const output =
        type === 'role'
          ? await this.iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: policyName }))
          : type === 'user'
            ? await this.iam.send(new GetUserPolicyCommand({ UserName: name, PolicyName: policyName }))
            : await this.iam.send(new GetGroupPolicyCommand({ GroupName: name, PolicyName: policyName }));
      if (output.PolicyDocument === undefined) {
        throw new RemediationStepError(`Inline policy ${policyName} of ${type} ${name} has no document.`);
      }
      return decodeDocument(output.PolicyDocument);
    } catch (error) {
      if (classifyAwsError(error) === 'NotFound') return undefined;
      throw error;
    }
  }

  private async putInline(
    type: PrincipalType,
    name: string,
    policyName: string,
    document: string,
  ): Promise<void> {
    const input = { PolicyName: policyName, PolicyDocument: document };
    if (type === 'role') await this.iam.send(new PutRolePolicyCommand({ RoleName: name, ...input }));
    else if (type === 'user') await this.iam.send(new PutUserPolicyCommand({ UserName: name, ...input }));
    else await this.iam.send(new PutGroupPolicyCommand({ GroupName: name, ...input }));
  }

  /** Deletes an inline policy; one that is already gone is not an error. */
  private async deleteInline(type: PrincipalType, name: string, policyName: string): Promise<void> {
    try {
      if (type === 'role')
        await this.iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: policyName }));
      else if (type === 'user')
        await this.iam.send(new DeleteUserPolicyCommand({ UserName: name, PolicyName: policyName }));
      else await this.iam.send(new DeleteGroupPolicyCommand({ GroupName: name, PolicyName: policyName }));
    } catch (error) {
      if (classifyAwsError(error) !== 'NotFound') throw error;
    }
  }
}

function stagesOf(secret: DescribeSecretCommandOutput): Map<StageLabel, string> {
  const out = new Map<StageLabel, string>();
  for (const [version, labels] of Object.entries(secret.VersionIdsToStages ?? {})) {
    for (const label of labels) {
      if ((STAGE_LABELS as readonly string[]).includes(label)) out.set(label as StageLabel, version);
    }
  }
  return out;
}

function principalType(value: string): PrincipalType {
  if (value === 'role' || value === 'user' || value === 'group') return value;
  throw new RemediationStepError(`Unknown principal type ${value} in a recorded before-state.`);
}

/** IAM returns documents URL-encoded (RFC 3986); some endpoints return the JSON text itself. */
export function decodeDocument(text: string): string {
  if (text.trimStart().startsWith('{')) return text;
  try {
    return decodeURIComponent(text);
  } catch (error) {
    throw new RemediationStepError(
      `A policy document is neither JSON nor URL-encoded JSON: ${describeError(error)}.`,
      {
        cause: error,
      },
    );
  }
}

/** Same JSON value, whatever the whitespace and key order. */
function sameDocument(a: string, b: string): boolean {
  try {
    return canonical(JSON.parse(a)) === canonical(JSON.parse(b));
  } catch {
    return a === b;
  }
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([x], [y]) =>
      x < y ? -1 : x > y ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
