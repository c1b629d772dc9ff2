/**
 * Known privilege-escalation paths in AWS IAM, as data. A path is open for a principal when every
 * `allOf` permission is allowed and, for each `anyOf` group, at least one of its permissions is.
 *
 * `on` says which resource the permission must reach:
 * - `any`: at least one resource;
 * - `self`: the principal itself: its own role/user ARN, its groups (for group actions) or the
 *   customer managed policies attached to it (for policy actions). A grant limited to other
 *   principals does not count;
 * - `others`: at least one resource other than the principal itself. Creating an access key for
 *   yourself, or passing your own role to a function, gains nothing, so a grant limited to the
 *   principal (e.g. `arn:aws:iam::*:user/${aws:username}`) does not count.
 *
 * Sources: Rhino Security Labs' original 21 methods and part 2, Bishop Fox's iam-vulnerable
 * (which adds the service paths), and Datadog's pathfinding.cloud catalog.
 */

export type TargetScope = 'any' | 'self' | 'others';

export interface PermissionRequirement {
  action: string;
  on: TargetScope;
}

export type EscalationCategory =
  /** Changes the principal's own permissions. */
  | 'self-escalation'
  /** Takes over another principal (credentials, trust policy, policies of an assumable role). */
  | 'principal-access'
  /** Passes an existing role to a new compute resource it controls. */
  | 'new-passrole'
  /** Runs code in an existing workload, inheriting the role it already has. */
  | 'existing-workload';

export interface EscalationPath {
  /** Stable id, kebab-case; findings and summaries carry it. */
  id: string;
  title: string;
  description: string;
  category: EscalationCategory;
  allOf: readonly PermissionRequirement[];
  anyOf?: readonly (readonly PermissionRequirement[])[];
  /** Principal kinds the path applies to; all when absent. */
  principalKinds?: readonly ('role' | 'user' | 'group')[];
  source: string;
}

const RHINO = 'https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/';
const RHINO_PART_2 = 'https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation-part-2/';
const IAM_VULNERABLE = 'https://github.com/BishopFox/iam-vulnerable#supported-privilege-escalation-paths';
const PATHFINDING = (id: string) => `https://pathfinding.cloud/paths/${id}`;

const any = (action: string): PermissionRequirement => ({ action, on: 'any' });
const self = (action: string): PermissionRequirement => ({ action, on: 'self' });
const others = (action: string): PermissionRequirement => ({ action, on: 'others' });
const passRole = others('iam:PassRole');

export const ESCALATION_PATHS: readonly EscalationPath[] = [
  {
    id: 'iam-create-policy-version',
    title: 'Create a new default version of a managed policy',
    description:
      'iam:CreatePolicyVersion with --set-as-default rewrites a customer managed policy; on a policy attached to the principal it grants itself anything.',
    category: 'self-escalation',
    allOf: [any('iam:CreatePolicyVersion')],
    source: PATHFINDING('iam-001'),
  },
  {
    id: 'iam-set-default-policy-version',
    title: 'Switch a managed policy to a more permissive existing version',
    description: 'iam:SetDefaultPolicyVersion activates an older, broader version of a policy.',
    category: 'self-escalation',
    allOf: [any('iam:SetDefaultPolicyVersion')],
    source: RHINO,
  },
  {
    id: 'iam-attach-user-policy',
    title: 'Attach a managed policy to itself (user)',
    description: 'iam:AttachUserPolicy on its own user attaches AdministratorAccess or any other policy.',
    category: 'self-escalation',
    allOf: [self('iam:AttachUserPolicy')],
    principalKinds: ['user', 'group'],
    source: PATHFINDING('iam-007'),
  },
  {
    id: 'iam-attach-group-policy',
    title: 'Attach a managed policy to its own group',
    description: 'iam:AttachGroupPolicy on a group the user belongs to grants the user anything.',
    category: 'self-escalation',
    allOf: [self('iam:AttachGroupPolicy')],
    principalKinds: ['user', 'group'],
    source: RHINO,
  },
  {
    id: 'iam-attach-role-policy',
    title: 'Attach a managed policy to itself (role)',
    description: 'iam:AttachRolePolicy on its own role attaches AdministratorAccess or any other policy.',
    category: 'self-escalation',
    allOf: [self('iam:AttachRolePolicy')],
    principalKinds: ['role'],
    source: RHINO,
  },
  {
    id: 'iam-put-user-policy',
    title: 'Write an inline policy on itself (user)',
    description: 'iam:PutUserPolicy on its own user adds an inline policy granting anything.',
    category: 'self-escalation',
    allOf: [self('iam:PutUserPolicy')],
    principalKinds: ['user', 'group'],
    source: RHINO,
  },
  {
    id: 'iam-put-group-policy',
    title: 'Write an inline policy on its own group',
    description: 'iam:PutGroupPolicy on a group the user belongs to adds an inline policy granting anything.',
    category: 'self-escalation',
    allOf: [self('iam:PutGroupPolicy')],
    principalKinds: ['user', 'group'],
    source: PATHFINDING('iam-011'),
  },
  {
    id: 'iam-put-role-policy',
    title: 'Write an inline policy on itself (role)',
    description: 'iam:PutRolePolicy on its own role adds an inline policy granting anything.',
    category: 'self-escalation',
    allOf: [self('iam:PutRolePolicy')],
    principalKinds: ['role'],
    source: RHINO,
  },
  {
    id: 'iam-add-user-to-group',
    title: 'Add itself to a more privileged group',
    description: 'iam:AddUserToGroup lets a user join any group it names, with that group’s permissions.',
    category: 'self-escalation',
    allOf: [any('iam:AddUserToGroup')],
    principalKinds: ['user', 'group'],
    source: RHINO,
  },
  {
    id: 'iam-create-access-key',
    title: 'Create an access key for another user',
    description: 'iam:CreateAccessKey on other users yields long-lived credentials with their permissions.',
    category: 'principal-access',
    allOf: [others('iam:CreateAccessKey')],
    source: PATHFINDING('iam-002'),
  },
  {
    id: 'iam-create-login-profile',
    title: 'Create a console password for another user',
    description: 'iam:CreateLoginProfile on a user without a password gives console access as that user.',
    category: 'principal-access',
    allOf: [others('iam:CreateLoginProfile')],
    source: RHINO,
  },
  {
    id: 'iam-update-login-profile',
    title: 'Change another user’s console password',
    description: 'iam:UpdateLoginProfile resets another user’s password and signs in as them.',
    category: 'principal-access',
    allOf: [others('iam:UpdateLoginProfile')],
    source: RHINO,
  },
  {
    id: 'iam-update-assume-role-policy',
    title: 'Rewrite a role’s trust policy and assume it',
    description:
      'iam:UpdateAssumeRolePolicy makes another role trust the principal, sts:AssumeRole takes it.',
    category: 'principal-access',
    allOf: [others('iam:UpdateAssumeRolePolicy'), any('sts:AssumeRole')],
    source: RHINO,
  },
  {
    id: 'iam-attach-role-policy-assume-role',
    title: 'Attach a policy to an assumable role and assume it',
    description: 'iam:AttachRolePolicy on another role the principal can assume escalates through that role.',
    category: 'principal-access',
    allOf: [others('iam:AttachRolePolicy'), any('sts:AssumeRole')],
    source: PATHFINDING('iam-014'),
  },
  {
    id: 'iam-put-role-policy-assume-role',
    title: 'Write an inline policy on an assumable role and assume it',
    description: 'iam:PutRolePolicy on another role the principal can assume escalates through that role.',
    category: 'principal-access',
    allOf: [others('iam:PutRolePolicy'), any('sts:AssumeRole')],
    source: RHINO,
  },
  {
    id: 'iam-passrole-lambda',
    title: 'Pass a role to a new Lambda function and run it',
    description:
      'iam:PassRole with lambda:CreateFunction, then lambda:InvokeFunction or an event source mapping, runs code as the passed role.',
    category: 'new-passrole',
    allOf: [passRole, any('lambda:CreateFunction')],
    anyOf: [[any('lambda:InvokeFunction'), any('lambda:CreateEventSourceMapping')]],
    source: RHINO,
  },
  {
    id: 'iam-passrole-ec2',
    title: 'Pass a role to a new EC2 instance',
    description:
      'iam:PassRole with ec2:RunInstances starts an instance whose profile credentials it can read.',
    category: 'new-passrole',
    allOf: [passRole, any('ec2:RunInstances')],
    source: RHINO,
  },
  {
    id: 'iam-passrole-cloudformation',
    title: 'Pass a role to a CloudFormation stack',
    description:
      'iam:PassRole with cloudformation:CreateStack (or UpdateStack) provisions anything the role can.',
    category: 'new-passrole',
    allOf: [passRole],
    anyOf: [[any('cloudformation:CreateStack'), any('cloudformation:UpdateStack')]],
    source: RHINO,
  },
  {
    id: 'iam-passrole-glue-dev-endpoint',
    title: 'Pass a role to a new Glue development endpoint',
    description: 'iam:PassRole with glue:CreateDevEndpoint gives an SSH-reachable host running as the role.',
    category: 'new-passrole',
    allOf: [passRole, any('glue:CreateDevEndpoint')],
    source: RHINO,
  },
  {
    id: 'iam-passrole-datapipeline',
    title: 'Pass a role to a new Data Pipeline',
    description: 'iam:PassRole with Data Pipeline create/define/activate runs commands as the passed role.',
    category: 'new-passrole',
    allOf: [
      passRole,
      any('datapipeline:CreatePipeline'),
      any('datapipeline:PutPipelineDefinition'),
      any('datapipeline:ActivatePipeline'),
    ],
    source: RHINO,
  },
  {
    id: 'iam-passrole-codebuild',
    title: 'Pass a role to a new CodeBuild project and run a build',
    description: 'iam:PassRole with codebuild:CreateProject and StartBuild runs a buildspec as the role.',
    category: 'new-passrole',
    allOf: [passRole, any('codebuild:CreateProject')],
    anyOf: [[any('codebuild:StartBuild'), any('codebuild:StartBuildBatch')]],
    source: IAM_VULNERABLE,
  },
  {
    id: 'iam-passrole-sagemaker-notebook',
    title: 'Pass a role to a new SageMaker notebook and open it',
    description:
      'iam:PassRole with sagemaker:CreateNotebookInstance and a presigned URL gives a shell as the role.',
    category: 'new-passrole',
    allOf: [
      passRole,
      any('sagemaker:CreateNotebookInstance'),
      any('sagemaker:CreatePresignedNotebookInstanceUrl'),
    ],
    source: RHINO_PART_2,
  },
  {
    id: 'iam-passrole-sagemaker-job',
    title: 'Pass a role to a SageMaker training or processing job',
    description:
      'iam:PassRole with sagemaker:CreateTrainingJob or CreateProcessingJob runs a container as the role.',
    category: 'new-passrole',
    allOf: [passRole],
    anyOf: [[any('sagemaker:CreateTrainingJob'), any('sagemaker:CreateProcessingJob')]],
    source: IAM_VULNERABLE,
  },
  {
    id: 'iam-passrole-ecs',
    title: 'Pass a role to a new ECS task',
    description:
      'iam:PassRole with ecs:RegisterTaskDefinition and RunTask (or StartTask, CreateService) runs a task as the role.',
    category: 'new-passrole',
    allOf: [passRole, any('ecs:RegisterTaskDefinition')],
    anyOf: [[any('ecs:RunTask'), any('ecs:StartTask'), any('ecs:CreateService')]],
    source: PATHFINDING('ecs-002'),
  },
  {
    id: 'lambda-update-function-code',
    title: 'Replace the code of an existing Lambda function',
    description: 'lambda:UpdateFunctionCode runs arbitrary code with the function’s existing role.',
    category: 'existing-workload',
    allOf: [any('lambda:UpdateFunctionCode')],
    source: RHINO,
  },
  {
    id: 'glue-update-dev-endpoint',
    title: 'Add an SSH key to an existing Glue development endpoint',
    description: 'glue:UpdateDevEndpoint gives a shell on an endpoint running with its existing role.',
    category: 'existing-workload',
    allOf: [any('glue:UpdateDevEndpoint')],
    source: RHINO,
  },
  {
    id: 'cloudformation-update-stack',
    title: 'Update an existing stack that has a service role',
    description:
      'cloudformation:UpdateStack on a stack with a service role provisions anything that role can.',
    category: 'existing-workload',
    allOf: [any('cloudformation:UpdateStack')],
    source: IAM_VULNERABLE,
  },
  {
    id: 'sagemaker-presigned-notebook-url',
    title: 'Open an existing SageMaker notebook',
    description:
      'sagemaker:CreatePresignedNotebookInstanceUrl opens a notebook running with its existing role.',
    category: 'existing-workload',
    allOf: [any('sagemaker:CreatePresignedNotebookInstanceUrl')],
    source: RHINO_PART_2,
  },
  {
    id: 'ssm-send-command',
    title: 'Run commands on existing EC2 instances through SSM',
    description: 'ssm:SendCommand runs commands on instances and reads their instance-profile credentials.',
    category: 'existing-workload',
    allOf: [any('ssm:SendCommand')],
    source: IAM_VULNERABLE,
  },
  {
    id: 'ssm-start-session',
    title: 'Open a shell on existing EC2 instances through SSM',
    description: 'ssm:StartSession opens a shell on instances and reads their instance-profile credentials.',
    category: 'existing-workload',
    allOf: [any('ssm:StartSession')],
    source: IAM_VULNERABLE,
  },
  {
    id: 'ec2-instance-connect',
    title: 'Push an SSH key to existing EC2 instances',
    description: 'ec2-instance-connect:SendSSHPublicKey gives SSH access to instances and their credentials.',
    category: 'existing-workload',
    allOf: [any('ec2-instance-connect:SendSSHPublicKey')],
    source: IAM_VULNERABLE,
  },
];

/** Every action any path refers to. */
export function escalationActions(): string[] {
  const all = new Set<string>();
  for (const path of ESCALATION_PATHS) {
    for (const r of path.allOf) all.add(r.action);
    for (const group of path.anyOf ?? []) for (const r of group) all.add(r.action);
  }
  return [...all].sort();
}
