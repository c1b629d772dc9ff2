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

export const REMEDIATION_ACTIONS: readonly RemediationAction[] = [
  {
    id: 'deactivate-access-key',
    title: 'Deactivate an unused access key',
    appliesTo: ['access-key-unused'],
    disruptive: true,
    reversibleBy: 'reactivating the key (UpdateAccessKey Status=Active)',
    permissions: [
      'iam:ListAccessKeys',
      'iam:GetAccessKeyLastUsed',
      'iam:ListUserTags',
      'iam:GetUser',
      'iam:UpdateAccessKey',
    ],
    rollbackPermissions: ['iam:ListAccessKeys', 'iam:UpdateAccessKey'],
  },
  {
    id: 'detach-managed-policy',
    title: 'Detach a managed policy that grants unused or standing privilege',
    appliesTo: ['unused-service-permissions', 'standing-admin'],
    disruptive: true,
    reversibleBy: 'attaching the same policy ARN again',
    permissions: [
      'iam:GetRole',
      'iam:GetUser',
      'iam:GetGroup',
      'iam:ListRoleTags',
      'iam:ListUserTags',
      'iam:ListAttachedRolePolicies',
      'iam:ListAttachedUserPolicies',
      'iam:ListAttachedGroupPolicies',
      'iam:DetachRolePolicy',
      'iam:DetachUserPolicy',
      'iam:DetachGroupPolicy',
    ],
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
    permissions: [
      'iam:GetRole',
      'iam:GetUser',
      'iam:GetGroup',
      'iam:ListRoleTags',
      'iam:ListUserTags',
      'iam:GetRolePolicy',
      'iam:GetUserPolicy',
      'iam:GetGroupPolicy',
      'iam:DeleteRolePolicy',
      'iam:DeleteUserPolicy',
      'iam:DeleteGroupPolicy',
    ],
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
    permissions: ['iam:GetRole', 'iam:ListRoleTags', 'iam:GetRolePolicy', 'iam:PutRolePolicy'],
    rollbackPermissions: ['iam:GetRolePolicy', 'iam:DeleteRolePolicy'],
  },
  {
    id: 'rotate-secret',
    title: 'Rotate a secret that is overdue for rotation',
    appliesTo: ['secret-not-rotated'],
    disruptive: false,
    reversibleBy: 'moving the AWSCURRENT stage back to the previous version',
    permissions: ['secretsmanager:DescribeSecret', 'secretsmanager:RotateSecret'],
    rollbackPermissions: [
      'secretsmanager:DescribeSecret',
      'secretsmanager:ListSecretVersionIds',
      'secretsmanager:UpdateSecretVersionStage',
    ],
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
