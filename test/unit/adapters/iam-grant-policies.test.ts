import {
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListRolePoliciesCommand,
  ListUserPoliciesCommand,
  NoSuchEntityException,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { GrantPolicyError, IamGrantPolicies } from '../../../functions/adapters/aws/iam-grant-policies';

const iam = mockClient(IAMClient);
const client = new IAMClient({ region: 'us-east-1', maxAttempts: 1 });
const policies = new IamGrantPolicies(client);

beforeEach(() => iam.reset());
afterAll(() => client.destroy());

const ROLE = 'arn:aws:iam::123456789012:role/team/deployer';
const USER = 'arn:aws:iam::123456789012:user/alice';
const GRANT = 'iam-posture-jit-0f3a';
const DOCUMENT = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
};

const noSuchEntity = () => new NoSuchEntityException({ message: 'not found', $metadata: {} });
const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: {} });

describe('IamGrantPolicies', () => {
  it('puts a grant policy on a role by its name (not its path), and on a user, as JSON', async () => {
    iam.on(PutRolePolicyCommand).resolves({});
    iam.on(PutUserPolicyCommand).resolves({});
    await policies.put(ROLE, GRANT, DOCUMENT);
    await policies.put(USER, GRANT, DOCUMENT);
    const role = iam.commandCalls(PutRolePolicyCommand)[0]!.args[0].input;
    expect(role).toEqual({
      RoleName: 'deployer',
      PolicyName: GRANT,
      PolicyDocument: JSON.stringify(DOCUMENT),
    });
    expect(iam.commandCalls(PutUserPolicyCommand)[0]!.args[0].input.UserName).toBe('alice');
  });

  it('refuses to write or delete a policy without the grant prefix, before calling IAM', async () => {
    await expect(policies.put(ROLE, 'admin-inline', DOCUMENT)).rejects.toThrow(
      /admin-inline is not a grant policy/,
    );
    await expect(policies.delete(ROLE, 'iam-posture-jit-')).rejects.toBeInstanceOf(GrantPolicyError);
    expect(iam.calls()).toHaveLength(0);
  });

  it('refuses a principal that is neither a role nor a user', async () => {
    await expect(policies.get('arn:aws:iam::123456789012:group/ops', GRANT)).rejects.toThrow(
      'arn:aws:iam::123456789012:group/ops is not an IAM role or user ARN',
    );
  });

  it('reads a URL-encoded document back as an object, and a missing one as undefined', async () => {
    iam
      .on(GetRolePolicyCommand)
      .resolvesOnce({
        RoleName: 'deployer',
        PolicyName: GRANT,
        PolicyDocument: encodeURIComponent(JSON.stringify(DOCUMENT)),
      })
      .rejectsOnce(noSuchEntity());
    expect(await policies.get(ROLE, GRANT)).toEqual(DOCUMENT);
    expect(await policies.get(ROLE, GRANT)).toBeUndefined();
  });

  it('names the policy when a document is not JSON', async () => {
    iam
      .on(GetUserPolicyCommand)
      .resolves({ UserName: 'alice', PolicyName: GRANT, PolicyDocument: '%7Bnope' });
    await expect(policies.get(USER, GRANT)).rejects.toThrow(
      `the document of ${GRANT} of ${USER} is not valid JSON`,
    );
  });

  it('deletes a grant policy, and answers absent when it was already gone', async () => {
    iam.on(DeleteRolePolicyCommand).resolvesOnce({}).rejectsOnce(noSuchEntity());
    iam.on(DeleteUserPolicyCommand).resolves({});
    expect(await policies.delete(ROLE, GRANT)).toBe('deleted');
    expect(await policies.delete(ROLE, GRANT)).toBe('absent');
    expect(await policies.delete(USER, GRANT)).toBe('deleted');
  });

  it('turns throttling that outlasted the retries into a GrantPolicyError naming the call, keeping the cause', async () => {
    const cause = throttled();
    iam.on(DeleteRolePolicyCommand).rejects(cause);
    const error = await policies.delete(ROLE, GRANT).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GrantPolicyError);
    expect((error as GrantPolicyError).message).toBe(
      `could not delete ${GRANT} from ${ROLE}: Throttling: Rate exceeded`,
    );
    expect((error as GrantPolicyError).cause).toBe(cause);
  });

  it('lists every inline policy over all pages with its document, leaving out one deleted in between', async () => {
    iam
      .on(ListRolePoliciesCommand)
      .resolvesOnce({ PolicyNames: ['own', GRANT], IsTruncated: true, Marker: 'm1' })
      .resolvesOnce({ PolicyNames: ['gone'], IsTruncated: false });
    iam.on(GetRolePolicyCommand).callsFake((input: { PolicyName: string }) => {
      if (input.PolicyName === 'gone') throw noSuchEntity();
      return {
        PolicyDocument: encodeURIComponent(JSON.stringify({ Version: '2012-10-17', Name: input.PolicyName })),
      };
    });
    const listed = await policies.listInline(ROLE);
    expect(listed).toEqual([
      { name: 'own', document: { Version: '2012-10-17', Name: 'own' } },
      { name: GRANT, document: { Version: '2012-10-17', Name: GRANT } },
    ]);
    expect(iam.commandCalls(ListRolePoliciesCommand)[1]!.args[0].input.Marker).toBe('m1');
  });

  it('fails a listing that breaks part way instead of returning the policies read so far', async () => {
    iam
      .on(ListUserPoliciesCommand)
      .resolvesOnce({ PolicyNames: ['a'], IsTruncated: true, Marker: 'm1' })
      .rejectsOnce(throttled());
    iam.on(GetUserPolicyCommand).resolves({ PolicyDocument: '{}' });
    await expect(policies.listInline(USER)).rejects.toThrow(
      `could not list the inline policies of ${USER}: Throttling: Rate exceeded`,
    );
  });

  it('fails a truncated page without a marker rather than stopping there', async () => {
    iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: ['a'], IsTruncated: true });
    await expect(policies.listInline(ROLE)).rejects.toThrow(/marked truncated but has no new marker/);
  });

  it("reads a managed policy's default version, decoded", async () => {
    const arn = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
    iam.on(GetPolicyCommand).resolves({ Policy: { Arn: arn, DefaultVersionId: 'v7' } });
    iam
      .on(GetPolicyVersionCommand, { PolicyArn: arn, VersionId: 'v7' })
      .resolves({
        PolicyVersion: { Document: encodeURIComponent(JSON.stringify(DOCUMENT)), VersionId: 'v7' },
      });
    expect(await policies.managedPolicyDocument(arn)).toEqual(DOCUMENT);
  });

  it('names a managed policy that does not exist', async () => {
    const arn = 'arn:aws:iam::123456789012:policy/missing';
    iam.on(GetPolicyCommand).rejects(noSuchEntity());
    await expect(policies.managedPolicyDocument(arn)).rejects.toThrow(
      `could not read managed policy ${arn}: NoSuchEntityException: not found`,
    );
  });

  it('tells whether the principal exists; an access error is not an answer', async () => {
    iam.on(GetRoleCommand).rejectsOnce(noSuchEntity()).resolvesOnce({});
    iam.on(GetUserCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    expect(await policies.principalExists(ROLE)).toBe(false);
    expect(await policies.principalExists(ROLE)).toBe(true);
    await expect(policies.principalExists(USER)).rejects.toThrow(
      `could not read ${USER}: AccessDenied: denied`,
    );
  });
});
