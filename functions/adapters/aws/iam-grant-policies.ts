import {
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  type IAMClient,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  paginateListRolePolicies,
  paginateListUserPolicies,
} from '@aws-sdk/client-iam';
import { parseIamPrincipalArn } from '../../core/arn';
import { describeError } from '../../core/describe-error';
import { GRANT_POLICY_PREFIX } from '../../core/jit/types';
import type { GrantPolicies } from '../../use-cases/jit-ports';
import { checkedPages, iamMarker } from './pages';

/** An IAM call on a grant's principal failed, or was asked for something it must not do. */
export class GrantPolicyError extends Error {
  override readonly name = 'GrantPolicyError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

interface Principal {
  kind: 'role' | 'user';
  name: string;
}

/**
 * The inline policies of one account's roles and users, for just-in-time grants. Whether a
 * principal is a role or a user comes from its ARN. Writes are refused for any policy whose name
 * lacks the grant prefix: the function's role could not write them anyway, and a caller that
 * asks has a bug that must not reach IAM as a change to someone's own policy.
 */
export class IamGrantPolicies implements GrantPolicies {
  constructor(private readonly client: IAMClient) {}

  async put(principalArn: string, policyName: string, document: object): Promise<void> {
    const principal = principalOf(principalArn);
    assertGrantPolicy(policyName);
    const PolicyDocument = JSON.stringify(document);
    await this.call(`put ${policyName} on ${principalArn}`, () =>
      principal.kind === 'role'
        ? this.client.send(
            new PutRolePolicyCommand({ RoleName: principal.name, PolicyName: policyName, PolicyDocument }),
          )
        : this.client.send(
            new PutUserPolicyCommand({ UserName: principal.name, PolicyName: policyName, PolicyDocument }),
          ),
    );
  }

  async get(principalArn: string, policyName: string): Promise<object | undefined> {
    const principal = principalOf(principalArn);
    const text = await this.call(`read ${policyName} of ${principalArn}`, async () => {
      try {
        const output =
          principal.kind === 'role'
            ? await this.client.send(
                new GetRolePolicyCommand({ RoleName: principal.name, PolicyName: policyName }),
              )
            : await this.client.send(
                new GetUserPolicyCommand({ UserName: principal.name, PolicyName: policyName }),
              );
        return output.PolicyDocument ?? '';
      } catch (error) {
        if (isNoSuchEntity(error)) return undefined;
        throw error;
      }
    });
    return text === undefined ? undefined : parseDocument(text, `${policyName} of ${principalArn}`);
  }

  async delete(principalArn: string, policyName: string): Promise<'deleted' | 'absent'> {
    const principal = principalOf(principalArn);
    assertGrantPolicy(policyName);
    return this.call(`delete ${policyName} from ${principalArn}`, async () => {
      try {
        if (principal.kind === 'role') {
          await this.client.send(
            new DeleteRolePolicyCommand({ RoleName: principal.name, PolicyName: policyName }),
          );
        } else {
          await this.client.send(
            new DeleteUserPolicyCommand({ UserName: principal.name, PolicyName: policyName }),
          );
        }
        return 'deleted' as const;
      } catch (error) {
        if (isNoSuchEntity(error)) return 'absent' as const;
        throw error;
      }
    });
  }

  /**
   * Every inline policy of the principal with its document. A listing that fails part way throws:
   * the quota check and the reconciler must never take part of the list for all of it. A policy
   * deleted between the listing and its read is left out, as it is no longer there.
   */
  async listInline(principalArn: string): Promise<{ name: string; document: object }[]> {
    const principal = principalOf(principalArn);
    const names = await this.call(`list the inline policies of ${principalArn}`, async () => {
      const out: string[] = [];
      const pages =
        principal.kind === 'role'
          ? paginateListRolePolicies({ client: this.client }, { RoleName: principal.name })
          : paginateListUserPolicies({ client: this.client }, { UserName: principal.name });
      for await (const page of checkedPages(pages, iamMarker)) out.push(...(page.PolicyNames ?? []));
      return out;
    });
    const policies: { name: string; document: object }[] = [];
    for (const name of names) {
      const document = await this.get(principalArn, name);
      if (document !== undefined) policies.push({ name, document });
    }
    return policies;
  }

  async managedPolicyDocument(policyArn: string): Promise<object> {
    const text = await this.call(`read managed policy ${policyArn}`, async () => {
      const policy = await this.client.send(new GetPolicyCommand({ PolicyArn: policyArn }));
      const versionId = policy.Policy?.DefaultVersionId;
      if (!versionId) throw new GrantPolicyError(`managed policy ${policyArn} has no default version`);
      const version = await this.client.send(
        new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: versionId }),
      );
      const document = version.PolicyVersion?.Document;
      if (!document) throw new GrantPolicyError(`managed policy ${policyArn} ${versionId} has no document`);
      return document;
    });
    return parseDocument(text, `managed policy ${policyArn}`);
  }

  async principalExists(principalArn: string): Promise<boolean> {
    const principal = principalOf(principalArn);
    return this.call(`read ${principalArn}`, async () => {
      try {
        if (principal.kind === 'role') {
          await this.client.send(new GetRoleCommand({ RoleName: principal.name }));
        } else {
          await this.client.send(new GetUserCommand({ UserName: principal.name }));
        }
        return true;
      } catch (error) {
        if (isNoSuchEntity(error)) return false;
        throw error;
      }
    });
  }

  /** Runs one IAM operation; a failure names what was being done and keeps the SDK error. */
  private async call<T>(what: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof GrantPolicyError) throw error;
      throw new GrantPolicyError(`could not ${what}: ${describeError(error)}`, { cause: error });
    }
  }
}

function principalOf(principalArn: string): Principal {
  const parsed = parseIamPrincipalArn(principalArn);
  if (parsed?.type === 'role' || parsed?.type === 'user') return { kind: parsed.type, name: parsed.name };
  throw new GrantPolicyError(`${principalArn} is not an IAM role or user ARN`);
}

function assertGrantPolicy(policyName: string): void {
  if (!policyName.startsWith(GRANT_POLICY_PREFIX) || policyName.length === GRANT_POLICY_PREFIX.length) {
    throw new GrantPolicyError(
      `policy ${policyName} is not a grant policy (its name must start with ${GRANT_POLICY_PREFIX})`,
    );
  }
}

function isNoSuchEntity(error: unknown): boolean {
  return error instanceof Error && (error.name === 'NoSuchEntityException' || error.name === 'NoSuchEntity');
}

/** IAM returns documents URL-encoded (RFC 3986); some endpoints return the JSON text itself. */
function parseDocument(text: string, what: string): object {
  let json = text;
  if (!text.trimStart().startsWith('{')) {
    try {
      json = decodeURIComponent(text);
    } catch (error) {
      throw new GrantPolicyError(`the document of ${what} is neither JSON nor URL-encoded JSON`, {
        cause: error,
      });
    }
  }
  let document: unknown;
  try {
    document = JSON.parse(json);
  } catch (error) {
    throw new GrantPolicyError(`the document of ${what} is not valid JSON: ${describeError(error)}`, {
      cause: error,
    });
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new GrantPolicyError(`the document of ${what} is not a JSON object`);
  }
  return document;
}
