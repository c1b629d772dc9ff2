import type { RemediationActionId } from '../rule';

/**
 * The remediation catalog. Each action declares the IAM permissions its execution needs (including
 * the reads that snapshot the before-state and verify the change) and those its rollback needs.
 * The stack builds two roles from these declarations and nothing else: the acting role holds the
 * execution permissions, which only reduce privilege, and the rollback role holds the rollback
 * permissions, which re-grant what an approved change removed.
 */
export interface RemediationAction {
  id: RemediationActionId;
  title: string;
  /** Rule ids whose findings this action can remediate. */
  appliesTo: readonly string[];
  /** Disruptive actions can break a workload that still uses the credential or permission. */
  disruptive: boolean;
  reversibleBy: string;
  permissions: readonly string[];
  rollbackPermissions: readonly string[];
}

/**
 * Name of the customer managed deny-all policy the stack creates to quarantine roles. Requests
 * executed before it existed put an inline policy of the same name instead; rollback still removes
 * that one, so those requests stay reversible.
 */
export const QUARANTINE_POLICY_NAME = 'iam-posture-quarantine';

/**
 * The member stack's quarantine policy: its own name, so a central account that also receives the
 * member stack holds both without a name clash.
 */
export const MEMBER_QUARANTINE_POLICY_NAME = 'iam-posture-member-quarantine';

/** Every name under which a policy of iam-posture quarantines a role. */
export const QUARANTINE_POLICY_NAMES: readonly string[] = [
  QUARANTINE_POLICY_NAME,
  MEMBER_QUARANTINE_POLICY_NAME,
];

/** A customer managed policy of iam-posture's quarantine, whatever its account. */
export function isQuarantinePolicyArn(arn: string): boolean {
  const match = /^arn:[\w-]+:iam::\d{12}:policy\/(?:.*\/)?([^/]+)$/.exec(arn);
  return match !== null && QUARANTINE_POLICY_NAMES.includes(match[1]!);
}

/**
 * RotateSecret invokes the secret's rotation function with the caller's permissions. The stack
 * grants it only on the rotation functions the deploy config names.
 */
export const ROTATION_INVOKE_ACTION = 'lambda:InvokeFunction';

/**
 * The one privilege-changing grant the acting role holds: attaching a policy to a role. The stack
 * pins it with `iam:PolicyARN` to the quarantine policy, so it can attach nothing else.
 */
export const QUARANTINE_ATTACH_ACTION = 'iam:AttachRolePolicy';

export const QUARANTINE_POLICY_DOCUMENT = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'IamPostureQuarantine', Effect: 'Deny', Action: '*', Resource: '*' }],
} as const;

/** Re-reading a role: identity, last use, tags, trust policy, and every policy with its document. */
const ROLE_READS = [
  'iam:GetRole',
  'iam:ListAttachedRolePolicies',
  'iam:ListRolePolicies',
  'iam:GetRolePolicy',
  'iam:GetPolicy',
  'iam:GetPolicyVersion',
] as const;

const GROUP_READS = [
  'iam:GetGroup',
  'iam:ListAttachedGroupPolicies',
  'iam:ListGroupPolicies',
  'iam:GetGroupPolicy',
  'iam:GetPolicy',
  'iam:GetPolicyVersion',
] as const;

/** Re-reading a user: identity, tags, policies (its groups' too), password, MFA and access keys. */
const USER_READS = [
  'iam:GetUser',
  'iam:ListUserTags',
  'iam:ListAttachedUserPolicies',
  'iam:ListUserPolicies',
  'iam:GetUserPolicy',
  'iam:ListGroupsForUser',
  ...GROUP_READS,
  'iam:GetLoginProfile',
  'iam:ListMFADevices',
  'iam:ListAccessKeys',
  'iam:GetAccessKeyLastUsed',
] as const;

/** Re-running `unused-service-permissions` needs fresh service last accessed data. */
const SERVICE_LAST_ACCESSED_READS = [
  'iam:GenerateServiceLastAccessedDetails',
  'iam:GetServiceLastAccessedDetails',
] as const;

const PRINCIPAL_READS = [...ROLE_READS, ...USER_READS, ...GROUP_READS, ...SERVICE_LAST_ACCESSED_READS];

function unique(permissions: readonly string[]): string[] {
  return [...new Set(permissions)];
}

export const REMEDIATION_ACTIONS: readonly RemediationAction[] = [
  {
    id: 'deactivate-access-key',
    title: 'Deactivate an unused access key',
    appliesTo: ['access-key-unused'],
    disruptive: true,
    reversibleBy: 'reactivating the key (UpdateAccessKey Status=Active)',
    permissions: unique([...USER_READS, 'iam:UpdateAccessKey']),
    rollbackPermissions: ['iam:ListAccessKeys', 'iam:UpdateAccessKey'],
  },
  {
    id: 'detach-managed-policy',
    title: 'Detach a managed policy that grants unused or standing privilege',
    appliesTo: ['unused-service-permissions', 'standing-admin'],
    disruptive: true,
    reversibleBy: 'attaching the same policy ARN again',
    permissions: unique([
      ...PRINCIPAL_READS,
      'iam:DetachRolePolicy',
      'iam:DetachUserPolicy',
      'iam:DetachGroupPolicy',
    ]),
    rollbackPermissions: [
      'iam:ListAttachedRolePolicies',
      'iam:ListAttachedUserPolicies',
      'iam:ListAttachedGroupPolicies',
      'iam:AttachRolePolicy',
      'iam:AttachUserPolicy',
      'iam:AttachGroupPolicy',
    ],
  },
  {
    id: 'delete-inline-policy',
    title: 'Delete an inline policy that grants unused or standing privilege',
    appliesTo: ['unused-service-permissions', 'standing-admin'],
    disruptive: true,
    reversibleBy: 'putting the saved policy document back under the same name',
    permissions: unique([
      ...PRINCIPAL_READS,
      'iam:DeleteRolePolicy',
      'iam:DeleteUserPolicy',
      'iam:DeleteGroupPolicy',
    ]),
    rollbackPermissions: [
      'iam:GetRolePolicy',
      'iam:GetUserPolicy',
      'iam:GetGroupPolicy',
      'iam:PutRolePolicy',
      'iam:PutUserPolicy',
      'iam:PutGroupPolicy',
    ],
  },
  {
    id: 'quarantine-role',
    title: 'Quarantine an unused role with the deny-all managed policy',
    appliesTo: ['role-unused'],
    disruptive: true,
    reversibleBy: `detaching the ${QUARANTINE_POLICY_NAME} managed policy`,
    permissions: unique([...ROLE_READS, QUARANTINE_ATTACH_ACTION]),
    // Detach for the managed policy; Get/Delete/PutRolePolicy for a quarantine an older version put
    // inline (a policy of that name that existed before is put back instead of deleted).
    rollbackPermissions: [
      'iam:ListAttachedRolePolicies',
      'iam:DetachRolePolicy',
      'iam:GetRolePolicy',
      'iam:DeleteRolePolicy',
      'iam:PutRolePolicy',
    ],
  },
  {
    id: 'convert-to-jit',
    title: 'Convert standing administrator access to just-in-time eligibility',
    appliesTo: ['standing-admin'],
    disruptive: true,
    reversibleBy: 'putting the removed policies back and deleting the eligibility',
    // The eligibility is an item of the findings table, written with the table access the function
    // has for its requests: in IAM this action removes policies of roles and users, nothing more.
    permissions: unique([
      ...ROLE_READS,
      ...USER_READS,
      'iam:DetachRolePolicy',
      'iam:DetachUserPolicy',
      'iam:DeleteRolePolicy',
      'iam:DeleteUserPolicy',
    ]),
    rollbackPermissions: [
      'iam:ListAttachedRolePolicies',
      'iam:ListAttachedUserPolicies',
      'iam:AttachRolePolicy',
      'iam:AttachUserPolicy',
      'iam:GetRolePolicy',
      'iam:GetUserPolicy',
      'iam:PutRolePolicy',
      'iam:PutUserPolicy',
    ],
  },
  {
    id: 'rotate-secret',
    title: 'Rotate a secret that is overdue for rotation',
    appliesTo: ['secret-not-rotated'],
    disruptive: false,
    reversibleBy: 'moving the AWSCURRENT stage back to the previous version',
    // RotateSecret invokes the secret's rotation function with the caller's permissions.
    permissions: ['secretsmanager:DescribeSecret', 'secretsmanager:RotateSecret', ROTATION_INVOKE_ACTION],
    rollbackPermissions: ['secretsmanager:DescribeSecret', 'secretsmanager:UpdateSecretVersionStage'],
  },
];

export function remediationAction(id: RemediationActionId): RemediationAction {
  const action = REMEDIATION_ACTIONS.find((a) => a.id === id);
  if (!action) throw new Error(`unknown remediation action ${id}`);
  return action;
}

/** Every action remediation may call in either direction: what an operator running the CLI needs. */
export function remediationPermissions(): string[] {
  return [...new Set([...actingPermissions(), ...rollbackPermissions()])].sort();
}

/** The acting role's actions: the execution permissions of every catalog action. */
export function actingPermissions(): string[] {
  return unique(REMEDIATION_ACTIONS.flatMap((action) => action.permissions)).sort();
}

/** The rollback role's actions: the rollback permissions of every catalog action. */
export function rollbackPermissions(): string[] {
  return unique(REMEDIATION_ACTIONS.flatMap((action) => action.rollbackPermissions)).sort();
}

/**
 * Actions that can give a principal more privilege than it has: never granted to the acting role,
 * except `iam:AttachRolePolicy` pinned to the quarantine policy.
 */
export const PRIVILEGE_INCREASING = [
  /^iam:Attach/,
  /^iam:Put\w*Policy$/,
  /^iam:CreatePolicyVersion$/,
  /^iam:SetDefaultPolicyVersion$/,
  /^iam:PassRole$/,
  /^iam:Create/,
  /^iam:Add\w*To/,
  /^iam:UpdateAssumeRolePolicy$/,
  /^iam:(Tag|Untag)/,
  /^iam:\*$/,
  /^\*$/,
  /^secretsmanager:UpdateSecretVersionStage$/,
] as const;

/** True when `action` can increase privilege (see `PRIVILEGE_INCREASING`). */
export function increasesPrivilege(action: string): boolean {
  return PRIVILEGE_INCREASING.some((pattern) => pattern.test(action));
}

/** True when `functionArn` is one of `patterns`: an exact ARN, or a prefix ending in `*`. */
export function rotationFunctionAllowed(functionArn: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) =>
    pattern.endsWith('*') ? functionArn.startsWith(pattern.slice(0, -1)) : functionArn === pattern,
  );
}
