import type { RemediationActionId } from '../rule';

/**
 * The remediation catalog. Each action declares the IAM permissions its execution needs (including
 * the reads that snapshot the before-state and verify the change) and those its rollback needs.
 * The remediation role in the stack is built from these declarations and nothing else.
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

/** Name of the deny-all inline policy that quarantines a role. */
export const QUARANTINE_POLICY_NAME = 'iam-posture-quarantine';

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
    title: 'Quarantine an unused role with a deny-all inline policy',
    appliesTo: ['role-unused'],
    disruptive: true,
    reversibleBy: `deleting the ${QUARANTINE_POLICY_NAME} inline policy`,
    permissions: unique([...ROLE_READS, 'iam:PutRolePolicy']),
    // PutRolePolicy: a policy of that name that existed before is put back instead of deleted.
    rollbackPermissions: ['iam:GetRolePolicy', 'iam:DeleteRolePolicy', 'iam:PutRolePolicy'],
  },
  {
    id: 'rotate-secret',
    title: 'Rotate a secret that is overdue for rotation',
    appliesTo: ['secret-not-rotated'],
    disruptive: false,
    reversibleBy: 'moving the AWSCURRENT stage back to the previous version',
    // RotateSecret invokes the secret's rotation function with the caller's permissions.
    permissions: ['secretsmanager:DescribeSecret', 'secretsmanager:RotateSecret', 'lambda:InvokeFunction'],
    rollbackPermissions: ['secretsmanager:DescribeSecret', 'secretsmanager:UpdateSecretVersionStage'],
  },
];

export function remediationAction(id: RemediationActionId): RemediationAction {
  const action = REMEDIATION_ACTIONS.find((a) => a.id === id);
  if (!action) throw new Error(`unknown remediation action ${id}`);
  return action;
}

/** Every IAM action the remediation function may call: the union of execution and rollback needs. */
export function remediationPermissions(): string[] {
  const all = new Set<string>();
  for (const action of REMEDIATION_ACTIONS) {
    for (const p of action.permissions) all.add(p);
    for (const p of action.rollbackPermissions) all.add(p);
  }
  return [...all].sort();
}
