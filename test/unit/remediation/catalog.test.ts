import { readFileSync } from 'node:fs';
import {
  GenerateServiceLastAccessedDetailsCommand,
  GetAccessKeyLastUsedCommand,
  GetGroupCommand,
  GetGroupPolicyCommand,
  GetLoginProfileCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetServiceLastAccessedDetailsCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedGroupPoliciesCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupPoliciesCommand,
  ListGroupsForUserCommand,
  ListMFADevicesCommand,
  ListRolePoliciesCommand,
  ListUserPoliciesCommand,
  ListUserTagsCommand,
} from '@aws-sdk/client-iam';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsLiveStateReader } from '../../../functions/adapters/aws/live-state-reader';
import { AwsRemediationExecutor } from '../../../functions/adapters/aws/remediation-executor';
import type { Finding } from '../../../functions/core/finding';
import type { ResourceKind } from '../../../functions/core/model';
import {
  actingPermissions,
  increasesPrivilege,
  isQuarantinePolicyArn,
  QUARANTINE_ATTACH_ACTION,
  QUARANTINE_POLICY_NAME,
  REMEDIATION_ACTIONS,
  ROTATION_INVOKE_ACTION,
  remediationAction,
  remediationPermissions,
  rollbackPermissions,
  rotationFunctionAllowed,
} from '../../../functions/core/remediation/catalog';
import type { RemediationStep } from '../../../functions/core/remediation/plan';
import type { BeforeState } from '../../../functions/core/remediation/request';
import { REMEDIATION_ACTION_IDS, type RemediationActionId } from '../../../functions/core/rule';
import { RULES } from '../../../functions/core/rules';

const ACCOUNT = '123456789012';
const iam = mockClient(IAMClient);
const secrets = mockClient(SecretsManagerClient);

/**
 * Permissions the SDK cannot show as a command: RotateSecret invokes the secret's rotation
 * function with the caller's permissions (AWS: "You also need lambda:InvokeFunction").
 */
const INDIRECT_PERMISSIONS: Partial<Record<RemediationActionId, string[]>> = {
  'rotate-secret': ['lambda:InvokeFunction'],
};

const encoded = (document: unknown) => encodeURIComponent(JSON.stringify(document));
const S3_READ = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
};
const created = new Date('2023-01-01T00:00:00Z');

function stubAccount(): void {
  iam.reset();
  secrets.reset();
  const attached = {
    AttachedPolicies: [{ PolicyArn: `arn:aws:iam::${ACCOUNT}:policy/s3-read`, PolicyName: 's3-read' }],
  };
  iam.on(GetRoleCommand).resolves({
    Role: {
      Path: '/',
      RoleName: 'ci',
      RoleId: 'AROAEXAMPLE',
      Arn: `arn:aws:iam::${ACCOUNT}:role/ci`,
      CreateDate: created,
      AssumeRolePolicyDocument: encoded({ Version: '2012-10-17', Statement: [] }),
      RoleLastUsed: {},
      Tags: [],
    },
  });
  iam.on(ListAttachedRolePoliciesCommand).resolves(attached);
  iam.on(ListAttachedUserPoliciesCommand).resolves(attached);
  iam.on(ListAttachedGroupPoliciesCommand).resolves(attached);
  iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: ['inline'] });
  iam.on(ListUserPoliciesCommand).resolves({ PolicyNames: ['inline'] });
  iam.on(ListGroupPoliciesCommand).resolves({ PolicyNames: ['inline'] });
  iam.on(GetRolePolicyCommand).resolves({ PolicyDocument: encoded(S3_READ) });
  iam.on(GetUserPolicyCommand).resolves({ PolicyDocument: encoded(S3_READ) });
  iam.on(GetGroupPolicyCommand).resolves({ PolicyDocument: encoded(S3_READ) });
  iam.on(GetPolicyCommand).resolves({ Policy: { PolicyName: 's3-read', DefaultVersionId: 'v1' } });
  iam.on(GetPolicyVersionCommand).resolves({ PolicyVersion: { Document: encoded(S3_READ) } });
  iam.on(GetUserCommand).resolves({
    User: {
      Path: '/',
      UserName: 'bot',
      UserId: 'AIDAEXAMPLE',
      Arn: `arn:aws:iam::${ACCOUNT}:user/bot`,
      CreateDate: created,
    },
  });
  iam.on(ListUserTagsCommand).resolves({ Tags: [] });
  iam.on(ListGroupsForUserCommand).resolves({
    Groups: [
      {
        Path: '/',
        GroupName: 'ops',
        GroupId: 'AGPA',
        Arn: `arn:aws:iam::${ACCOUNT}:group/ops`,
        CreateDate: created,
      },
    ],
  });
  iam.on(GetGroupCommand).resolves({
    Group: {
      Path: '/',
      GroupName: 'ops',
      GroupId: 'AGPA',
      Arn: `arn:aws:iam::${ACCOUNT}:group/ops`,
      CreateDate: created,
    },
    Users: [],
  });
  iam.on(GetLoginProfileCommand).resolves({ LoginProfile: { UserName: 'bot', CreateDate: created } });
  iam.on(ListMFADevicesCommand).resolves({ MFADevices: [] });
  iam.on(ListAccessKeysCommand).resolves({
    AccessKeyMetadata: [
      { UserName: 'bot', AccessKeyId: 'AKIAEXAMPLE', Status: 'Active', CreateDate: created },
    ],
  });
  iam.on(GetAccessKeyLastUsedCommand).resolves({ AccessKeyLastUsed: { ServiceName: 'N/A', Region: 'N/A' } });
  iam.on(GenerateServiceLastAccessedDetailsCommand).resolves({ JobId: 'job-1' });
  iam.on(GetServiceLastAccessedDetailsCommand).resolves({
    JobStatus: 'COMPLETED',
    JobCompletionDate: created,
    ServicesLastAccessed: [{ ServiceName: 'Amazon S3', ServiceNamespace: 's3' }],
  });
  secrets.on(DescribeSecretCommand).resolves({
    ARN: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:db-AbCdEf`,
    Name: 'db',
    RotationEnabled: true,
    VersionIdsToStages: { v1: ['AWSCURRENT'], v0: ['AWSPREVIOUS'] },
  });
}

/** `service:Operation` of every command sent since the last reset, in order, deduplicated. */
function sent(): string[] {
  const names = [
    ...iam.calls().map((call) => `iam:${commandName(call.args[0])}`),
    ...secrets.calls().map((call) => `secretsmanager:${commandName(call.args[0])}`),
  ];
  return [...new Set(names)];
}

function commandName(command: unknown): string {
  return (command as object).constructor.name.replace(/Command$/, '');
}

function resetCalls(): void {
  iam.resetHistory();
  secrets.resetHistory();
}

const clock = { now: () => 0, sleep: async () => {} };
const reader = () =>
  new AwsLiveStateReader(
    new IAMClient({ region: 'us-east-1' }),
    () => new SecretsManagerClient({ region: 'eu-west-1' }),
    { clock },
  );
const executor = () =>
  new AwsRemediationExecutor(
    new IAMClient({ region: 'us-east-1' }),
    () => new SecretsManagerClient({ region: 'eu-west-1' }),
    {
      clock,
      rotation: { timeoutMs: 0 },
      quarantinePolicyArn: QUARANTINE_ARN,
    },
  );

const QUARANTINE_ARN = `arn:aws:iam::${ACCOUNT}:policy/${QUARANTINE_POLICY_NAME}`;

function aFinding(
  ruleId: string,
  resourceType: ResourceKind,
  resourceArn: string,
  extra: Partial<Finding> = {},
): Finding {
  const rule = RULES.find((r) => r.meta.id === ruleId);
  if (!rule) throw new Error(`unknown rule ${ruleId}`);
  return {
    id: 'f1',
    ruleId,
    title: rule.meta.title,
    severity: 'high',
    baseSeverity: 'high',
    resourceType,
    resourceArn,
    accountId: ACCOUNT,
    reason: 'test',
    evidence: {},
    compliance: [],
    remediation: rule.meta.remediation,
    result: 'fail',
    riskScore: 0,
    ...extra,
  };
}

interface Scenario {
  finding: Finding;
  steps: RemediationStep[];
  /** Before-states to restore, besides the captured ones (paths capture cannot reach with these stubs). */
  extraBefore?: BeforeState[];
}

const roleArn = `arn:aws:iam::${ACCOUNT}:role/ci`;
const userArn = `arn:aws:iam::${ACCOUNT}:user/bot`;
const groupArn = `arn:aws:iam::${ACCOUNT}:group/ops`;
const policyArn = `arn:aws:iam::${ACCOUNT}:policy/s3-read`;
const secretArn = `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:db-AbCdEf`;

const SCENARIOS: Record<RemediationActionId, Scenario[]> = {
  'deactivate-access-key': [
    {
      finding: aFinding('access-key-unused', 'access-key', userArn, { subResource: 'AKIAEXAMPLE' }),
      steps: [{ action: 'deactivate-access-key', userName: 'bot', accessKeyId: 'AKIAEXAMPLE' }],
    },
  ],
  'detach-managed-policy': (['role', 'user', 'group'] as const).map((type) => ({
    finding: aFinding(
      type === 'group' ? 'standing-admin' : 'unused-service-permissions',
      type,
      type === 'role' ? roleArn : type === 'user' ? userArn : groupArn,
    ),
    steps: [
      {
        action: 'detach-managed-policy',
        principalType: type,
        principalName: type === 'role' ? 'ci' : type === 'user' ? 'bot' : 'ops',
        policyArn,
      },
    ],
  })),
  'delete-inline-policy': (['role', 'user', 'group'] as const).map((type) => ({
    finding: aFinding(
      type === 'group' ? 'standing-admin' : 'unused-service-permissions',
      type,
      type === 'role' ? roleArn : type === 'user' ? userArn : groupArn,
    ),
    steps: [
      {
        action: 'delete-inline-policy',
        principalType: type,
        principalName: type === 'role' ? 'ci' : type === 'user' ? 'bot' : 'ops',
        policyName: 'inline',
      },
    ],
  })),
  'quarantine-role': [
    {
      finding: aFinding('role-unused', 'role', roleArn),
      steps: [{ action: 'quarantine-role', roleName: 'ci', policyName: QUARANTINE_POLICY_NAME }],
      // A request of the older inline quarantine: its inline policy is deleted (or, when the role had
      // a policy of that name, the document is put back).
      extraBefore: [{ action: 'quarantine-role', roleName: 'ci', policyName: QUARANTINE_POLICY_NAME }],
    },
  ],
  // The IAM part of a conversion: the eligibility is an item of the findings table, not an IAM call.
  'convert-to-jit': (['role', 'user'] as const).map((type) => ({
    finding: aFinding('standing-admin', type, type === 'role' ? roleArn : userArn),
    steps: [
      {
        action: 'detach-managed-policy',
        principalType: type,
        principalName: type === 'role' ? 'ci' : 'bot',
        policyArn,
      },
      {
        action: 'delete-inline-policy',
        principalType: type,
        principalName: type === 'role' ? 'ci' : 'bot',
        policyName: 'inline',
      },
    ],
  })),
  'rotate-secret': [
    {
      finding: aFinding('secret-not-rotated', 'secret', secretArn, { region: 'eu-west-1' }),
      steps: [{ action: 'rotate-secret', secretId: secretArn, region: 'eu-west-1' }],
      // After a rotation, AWSCURRENT is on another version than the recorded one.
      extraBefore: [
        { action: 'rotate-secret', secretId: secretArn, region: 'eu-west-1', currentVersionId: 'v0' },
      ],
    },
  ],
};

/** Runs every phase of a scenario and returns the permissions each phase used. */
async function run(scenario: Scenario): Promise<{ execution: string[]; rollback: string[] }> {
  stubAccount();
  await reader().read(scenario.finding);
  const run = executor();
  const befores: BeforeState[] = [];
  for (const step of scenario.steps) {
    const before = await run.captureBefore(step);
    befores.push(before);
    await run.apply(step);
    await run.verify(step, before);
  }
  const execution = sent();
  resetCalls();
  for (const before of [...befores, ...(scenario.extraBefore ?? [])]) {
    await run.restore(before);
    await run.verifyRestored(before);
  }
  // The older inline quarantine policy that existed before is restored with its document.
  for (const before of [...befores, ...(scenario.extraBefore ?? [])]) {
    if (before.action === 'quarantine-role' && before.policyArn === undefined) {
      await run.restore({ ...before, existingDocument: JSON.stringify(S3_READ) });
      await run.verifyRestored({ ...before, existingDocument: JSON.stringify(S3_READ) });
    }
  }
  return { execution, rollback: sent() };
}

beforeEach(() => stubAccount());

describe('remediation catalog', () => {
  it('has one entry per action id, each for rules that name it or share its remediation', () => {
    expect(REMEDIATION_ACTIONS.map((a) => a.id).sort()).toEqual([...REMEDIATION_ACTION_IDS].sort());
    const ruleIds = new Set(RULES.map((r) => r.meta.id));
    for (const action of REMEDIATION_ACTIONS) {
      for (const ruleId of action.appliesTo)
        expect(ruleIds.has(ruleId), `${action.id} -> ${ruleId}`).toBe(true);
    }
    for (const rule of RULES) {
      const id = rule.meta.remediation.action;
      if (id) expect(remediationAction(id).appliesTo, rule.meta.id).toContain(rule.meta.id);
    }
  });

  it.each(REMEDIATION_ACTIONS.map((a) => [a.id]))(
    '%s declares exactly the permissions its reads, change, verification and rollback use',
    async (id) => {
      const action = remediationAction(id as RemediationActionId);
      const execution = new Set<string>();
      const rollback = new Set<string>();
      for (const scenario of SCENARIOS[action.id]) {
        const used = await run(scenario);
        for (const p of used.execution) execution.add(p);
        for (const p of used.rollback) rollback.add(p);
      }
      const indirect = INDIRECT_PERMISSIONS[action.id] ?? [];
      expect([...execution].sort()).toEqual(action.permissions.filter((p) => !indirect.includes(p)).sort());
      expect([...rollback].sort()).toEqual([...action.rollbackPermissions].sort());
    },
  );

  it('grants the remediation role the union of every action’s permissions, and nothing with a wildcard', () => {
    const union = new Set(REMEDIATION_ACTIONS.flatMap((a) => [...a.permissions, ...a.rollbackPermissions]));
    expect(remediationPermissions()).toEqual([...union].sort());
    expect(actingPermissions()).toEqual(
      [...new Set(REMEDIATION_ACTIONS.flatMap((a) => a.permissions))].sort(),
    );
    expect(rollbackPermissions()).toEqual(
      [...new Set(REMEDIATION_ACTIONS.flatMap((a) => a.rollbackPermissions))].sort(),
    );
    expect(remediationPermissions().filter((p) => p.includes('*'))).toEqual([]);
    expect(remediationPermissions()).not.toContain('secretsmanager:GetSecretValue');
  });

  it('gives the acting direction no privilege-increasing action but the quarantine attach and the rotation invoke', () => {
    expect(actingPermissions().filter(increasesPrivilege)).toEqual([QUARANTINE_ATTACH_ACTION]);
    expect(actingPermissions().filter((p) => p.startsWith('lambda:'))).toEqual([ROTATION_INVOKE_ACTION]);
    // Re-granting lives in the rollback direction only.
    expect(rollbackPermissions().filter(increasesPrivilege)).toEqual([
      'iam:AttachGroupPolicy',
      'iam:AttachRolePolicy',
      'iam:AttachUserPolicy',
      'iam:PutGroupPolicy',
      'iam:PutRolePolicy',
      'iam:PutUserPolicy',
      'secretsmanager:UpdateSecretVersionStage',
    ]);
  });

  it('gives neither role a new permission for converting standing admin to just-in-time', () => {
    const without = REMEDIATION_ACTIONS.filter((a) => a.id !== 'convert-to-jit');
    const convert = remediationAction('convert-to-jit');
    expect(actingPermissions()).toEqual([...new Set(without.flatMap((a) => a.permissions))].sort());
    expect(rollbackPermissions()).toEqual([...new Set(without.flatMap((a) => a.rollbackPermissions))].sort());
    expect(convert.permissions.filter(increasesPrivilege)).toEqual([]);
    expect(convert.appliesTo).toEqual(['standing-admin']);
  });

  it('recognizes the quarantine policies by name, in any account, and nothing else', () => {
    expect(isQuarantinePolicyArn(`arn:aws:iam::${ACCOUNT}:policy/iam-posture-quarantine`)).toBe(true);
    expect(isQuarantinePolicyArn('arn:aws-cn:iam::444455556666:policy/iam-posture-member-quarantine')).toBe(
      true,
    );
    expect(isQuarantinePolicyArn('arn:aws:iam::aws:policy/iam-posture-quarantine')).toBe(false);
    expect(isQuarantinePolicyArn(`arn:aws:iam::${ACCOUNT}:policy/AdministratorAccess`)).toBe(false);
    expect(isQuarantinePolicyArn(`arn:aws:iam::${ACCOUNT}:policy/iam-posture-quarantine-2`)).toBe(false);
  });

  it('matches rotation functions exactly or by a prefix ending in *', () => {
    const fn = 'arn:aws:lambda:eu-west-1:123456789012:function:rotate-db';
    expect(rotationFunctionAllowed(fn, [fn])).toBe(true);
    expect(rotationFunctionAllowed(fn, ['arn:aws:lambda:eu-west-1:123456789012:function:rotate-*'])).toBe(
      true,
    );
    expect(rotationFunctionAllowed(fn, ['arn:aws:lambda:eu-west-1:123456789012:function:rotate'])).toBe(
      false,
    );
    expect(rotationFunctionAllowed(fn, ['arn:aws:lambda:eu-west-1:123456789012:function:other-*'])).toBe(
      false,
    );
    expect(rotationFunctionAllowed(fn, [])).toBe(false);
  });

  it('lists every SDK command the reader and executor modules import among the permissions', () => {
    const modules = ['live-state-reader.ts', 'remediation-executor.ts', 'service-last-accessed.ts'];
    const imported = new Set<string>();
    for (const file of modules) {
      const source = readFileSync(
        new URL(`../../../functions/adapters/aws/${file}`, import.meta.url),
        'utf8',
      );
      for (const match of source.matchAll(/import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/client-([a-z-]+)'/g)) {
        const service = match[2] === 'secrets-manager' ? 'secretsmanager' : match[2]!;
        for (const raw of match[1]!.split(',').map((part) => part.trim())) {
          if (raw.startsWith('type ')) continue;
          if (raw.endsWith('Command')) imported.add(`${service}:${raw.replace(/Command$/, '')}`);
          else if (raw.startsWith('paginate')) imported.add(`${service}:${raw.replace(/^paginate/, '')}`);
        }
      }
    }
    expect(imported.size).toBeGreaterThan(30);
    expect([...imported].filter((p) => !remediationPermissions().includes(p))).toEqual([]);
  });
});
