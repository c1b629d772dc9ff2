import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { type DeployConfig, scanSettingsOf } from '../../functions/core/deploy-config';
import {
  actingPermissions,
  QUARANTINE_ATTACH_ACTION,
  QUARANTINE_POLICY_DOCUMENT,
  QUARANTINE_POLICY_NAME,
  ROTATION_INVOKE_ACTION,
  rollbackPermissions,
} from '../../functions/core/remediation/catalog';
import {
  type RemediationFunctionEnvironmentInput,
  remediationFunctionEnvironment,
} from '../../functions/core/remediation-function-config';
import { DeadLetterQueue } from './dead-letter-queue';
import type { FindingsTable } from './findings-table';
import { PostureFunction } from './posture-function';

/**
 * What remediation does to the findings table: reads and transitions requests (GetItem,
 * UpdateItem; DeleteItem releases the finding's lock with the move that ends a request), finds a
 * finding by id (Query on the by-id index, then GetItem) and rewrites it remediated or reopened
 * (PutItem).
 */
export const REMEDIATION_TABLE_ACTIONS = [
  'dynamodb:DeleteItem',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:UpdateItem',
] as const;

/** The event the acting function acts on: an approval to execute. */
export const REMEDIATION_EVENT_TYPES = ['RemediationApproved'] as const;

/** The event the rollback function acts on: an authorized Undo. */
export const ROLLBACK_EVENT_TYPES = ['RollbackRequested'] as const;

/** IAM actions of the catalog that have no resource type: IAM accepts only `*` for them. */
const UNSCOPED_ACTIONS: ReadonlySet<string> = new Set(['iam:GetServiceLastAccessedDetails']);

/** Actions that change IAM: denied on the stack's own roles and on protected principals. */
export const IAM_WRITE = /^iam:(Add|Attach|Create|Delete|Detach|Put|Remove|Set|Tag|Untag|Update)/;

/** The tag that marks a principal (or secret) remediation must never change. */
export const PROTECTED_TAG_KEY = 'iam-posture:protected';

/** Secrets Manager actions that change a secret: denied on secrets tagged protected. */
const SECRET_WRITE = /^secretsmanager:(RotateSecret|UpdateSecretVersionStage)$/;

export type RemediationDirection = 'acting' | 'rollback';

export interface CatalogStatementsOptions {
  /** Acting only: the one policy `iam:AttachRolePolicy` may attach (`iam:PolicyARN` is pinned to it). */
  quarantinePolicyArn?: string;
  /**
   * Acting only: the rotation functions RotateSecret may invoke as the caller. Empty grants no
   * `lambda:InvokeFunction` at all, and the executor refuses rotate-secret.
   */
  rotationFunctions?: readonly string[];
}

/**
 * One direction of the catalog as statements, each scoped to what its service allows: IAM actions
 * to this account's roles, users, groups and policies (and AWS managed policies, which are read
 * and re-attached), Secrets Manager to this account's secrets. The acting direction holds only
 * what reduces privilege: its `iam:AttachRolePolicy` is pinned to the quarantine policy and its
 * `lambda:InvokeFunction` to the configured rotation functions.
 */
export function remediationStatements(
  stack: Stack,
  direction: RemediationDirection,
  options: CatalogStatementsOptions = {},
): iam.PolicyStatement[] {
  const iamArn = (path: string) => `arn:${stack.partition}:iam::${stack.account}:${path}`;
  const scopes: Record<string, string[]> = {
    iam: [
      iamArn('role/*'),
      iamArn('user/*'),
      iamArn('group/*'),
      iamArn('policy/*'),
      `arn:${stack.partition}:iam::aws:policy/*`,
    ],
    secretsmanager: [`arn:${stack.partition}:secretsmanager:*:${stack.account}:secret:*`],
  };
  const special = new Set([QUARANTINE_ATTACH_ACTION, ROTATION_INVOKE_ACTION]);
  const actions = direction === 'acting' ? actingPermissions() : rollbackPermissions();
  const byScope = new Map<string, string[]>();
  for (const action of actions) {
    if (direction === 'acting' && special.has(action)) continue;
    const service = action.split(':')[0]!;
    const key = UNSCOPED_ACTIONS.has(action) ? '*' : service;
    if (key !== '*' && !scopes[key]) throw new Error(`no resource scope for ${action}`);
    byScope.set(key, [...(byScope.get(key) ?? []), action]);
  }
  const statements = [...byScope.entries()].map(
    ([key, grouped]) =>
      new iam.PolicyStatement({ actions: grouped.sort(), resources: key === '*' ? ['*'] : scopes[key]! }),
  );
  if (direction === 'acting') {
    if (options.quarantinePolicyArn === undefined) {
      throw new Error('the acting remediation statements need the quarantine policy ARN');
    }
    statements.push(
      new iam.PolicyStatement({
        sid: 'AttachOnlyTheQuarantinePolicy',
        actions: [QUARANTINE_ATTACH_ACTION],
        resources: [iamArn('role/*')],
        conditions: { ArnEquals: { 'iam:PolicyARN': options.quarantinePolicyArn } },
      }),
    );
    const functions = options.rotationFunctions ?? [];
    if (functions.length > 0) {
      statements.push(
        new iam.PolicyStatement({
          sid: 'InvokeConfiguredRotationFunctions',
          actions: [ROTATION_INVOKE_ACTION],
          resources: [...functions],
        }),
      );
    }
  }
  return statements;
}

/**
 * Deny statements every remediation role carries, whatever its allow statements say: no IAM write
 * on the stack's own roles (`ownRoleArns`, exact ARNs or patterns), none on a role or user tagged
 * `iam-posture:protected=true` (IAM evaluates the tag on the principal acted on, so the guard
 * holds even when code gates are bypassed), and no change to a secret carrying that tag.
 */
export function protectionDenies(
  actions: readonly string[],
  ownRoleArns: readonly string[],
): iam.PolicyStatement[] {
  const stack = (arn: string) => arn;
  const iamWrites = actions.filter((action) => IAM_WRITE.test(action)).sort();
  const secretWrites = actions.filter((action) => SECRET_WRITE.test(action)).sort();
  const statements: iam.PolicyStatement[] = [];
  if (iamWrites.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'NeverChangeOwnRoles',
        effect: iam.Effect.DENY,
        actions: iamWrites,
        resources: ownRoleArns.map(stack),
      }),
    );
    // Two statements: one condition block with both keys would need both to match.
    for (const [sid, key] of [
      ['NeverChangeProtectedPrincipals', `aws:ResourceTag/${PROTECTED_TAG_KEY}`],
      ['NeverChangeProtectedPrincipalsIam', `iam:ResourceTag/${PROTECTED_TAG_KEY}`],
    ] as const) {
      statements.push(
        new iam.PolicyStatement({
          sid,
          effect: iam.Effect.DENY,
          actions: iamWrites,
          resources: ['*'],
          conditions: { StringEqualsIgnoreCase: { [key]: 'true' } },
        }),
      );
    }
  }
  if (secretWrites.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'NeverChangeProtectedSecrets',
        effect: iam.Effect.DENY,
        actions: secretWrites,
        resources: ['*'],
        conditions: { StringEqualsIgnoreCase: { [`aws:ResourceTag/${PROTECTED_TAG_KEY}`]: 'true' } },
      }),
    );
  }
  return statements;
}

/** The stack's own roles (CDK names them `<stack name>-...`): remediation never acts on them. */
export function ownRolesPattern(stack: Stack): string {
  return `arn:${stack.partition}:iam::${stack.account}:role/${stack.stackName}-*`;
}

/** The deny-all policy quarantine attaches (the stack's own; IAM pins the acting role to it). */
export function quarantinePolicy(scope: Construct, id: string, managedPolicyName: string): iam.ManagedPolicy {
  const policy = new iam.ManagedPolicy(scope, id, {
    managedPolicyName,
    description: 'iam-posture quarantine: denies every action; attached to unused roles on approval',
    document: iam.PolicyDocument.fromJson(QUARANTINE_POLICY_DOCUMENT),
  });
  return policy;
}

export interface RemediationProps {
  table: FindingsTable;
  bus: events.IEventBus;
  config: DeployConfig;
  /** Slack updates: the bot token secret and the channel; absent, messages are not updated. */
  slack?: { botToken: secretsmanager.ISecret; channelId: string };
  /** Organization mode: findings of member accounts are remediated through their member roles. */
  organization?: RemediationOrganization;
}

export interface RemediationOrganization {
  /** The acting role's fixed name: member acting roles trust exactly this ARN. */
  roleName: string;
  /** The rollback role's fixed name: member rollback roles trust exactly this ARN. */
  rollbackRoleName: string;
  memberRemediationRoleName: string;
  memberRollbackRoleName: string;
  organizationId: string;
  externalId?: string;
}

/** The functions' variables for member accounts (organization mode only). */
export const REMEDIATION_MEMBER_ENV = {
  memberRemediationRoleName: 'MEMBER_REMEDIATION_ROLE_NAME',
  memberRollbackRoleName: 'MEMBER_ROLLBACK_ROLE_NAME',
  memberExternalId: 'MEMBER_EXTERNAL_ID',
} as const;

/**
 * Remediation, split by direction. The acting function, triggered by `RemediationApproved` on the
 * findings bus, re-reads the live resource, re-plans, records the before-state, acts, verifies and
 * records; its role can only reduce privilege. The rollback function, triggered by
 * `RollbackRequested` only, restores the recorded before-state of a request an authorized Undo
 * moved to `rollback-requested`; its role holds the re-granting actions. Both roles are denied
 * every IAM write on the stack's own roles and on principals tagged `iam-posture:protected=true`,
 * and each also holds the table, the bus, its log group, its dead-letter queue and the Slack bot
 * token.
 *
 * Delivery: EventBridge retries a failed delivery and then sends the event to the dead-letter
 * queue; the functions are not retried by Lambda (both are idempotent on the request id, and a
 * recorded failure must reach the queue and its alarm, not be skipped by a second attempt).
 */
export class Remediation extends Construct {
  /** The acting role: execution permissions only. */
  readonly role: iam.Role;
  /** The acting role's catalog statements. */
  readonly actionsPolicy: iam.Policy;
  readonly function: NodejsFunction;
  readonly deadLetterQueue: DeadLetterQueue;
  readonly rule: events.Rule;
  readonly logGroupName: string;
  /** The deny-all policy quarantine attaches. */
  readonly quarantinePolicy: iam.ManagedPolicy;
  readonly rollbackRole: iam.Role;
  readonly rollbackPolicy: iam.Policy;
  readonly rollbackFunction: NodejsFunction;
  readonly rollbackDeadLetterQueue: DeadLetterQueue;
  readonly rollbackRule: events.Rule;
  readonly rollbackLogGroupName: string;

  constructor(scope: Construct, id: string, props: RemediationProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { config, organization } = props;
    const ownRoles = ownRolesPattern(stack);
    const rotationFunctions = config.remediation.rotationFunctions;

    this.quarantinePolicy = quarantinePolicy(this, 'Quarantine', QUARANTINE_POLICY_NAME);

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description:
        'iam-posture remediation: executes approved remediation requests, which only reduce privilege',
      ...(organization ? { roleName: organization.roleName } : {}),
    });
    this.actionsPolicy = new iam.Policy(this, 'CatalogActions', {
      statements: [
        ...remediationStatements(stack, 'acting', {
          quarantinePolicyArn: this.quarantinePolicy.managedPolicyArn,
          rotationFunctions,
        }),
        ...protectionDenies(actingPermissions(), [ownRoles]),
      ],
    });
    this.actionsPolicy.attachToRole(this.role);
    acknowledgeCatalogWildcards(this.actionsPolicy, 'acting', rotationFunctions);

    this.rollbackRole = new iam.Role(this, 'RollbackRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'iam-posture rollback: restores the before-state of approved rollbacks',
      ...(organization ? { roleName: organization.rollbackRoleName } : {}),
    });
    this.rollbackPolicy = new iam.Policy(this, 'RollbackActions', {
      statements: [
        ...remediationStatements(stack, 'rollback'),
        ...protectionDenies(rollbackPermissions(), [ownRoles]),
      ],
    });
    this.rollbackPolicy.attachToRole(this.rollbackRole);
    acknowledgeCatalogWildcards(this.rollbackPolicy, 'rollback', []);

    const environment = (extra: Partial<RemediationFunctionEnvironmentInput>) =>
      remediationFunctionEnvironment({
        findingsTableName: props.table.table.tableName,
        eventBusName: props.bus.eventBusName,
        protectedArns: config.protectedArns,
        breakGlassArns: config.breakGlassArns,
        ownArns: [ownRoles],
        settings: scanSettingsOf(config),
        ...(props.slack
          ? { slack: { botTokenSecretArn: props.slack.botToken.secretArn, channelId: props.slack.channelId } }
          : {}),
        ...extra,
      });
    const externalId = organization?.externalId !== undefined ? { externalId: organization.externalId } : {};

    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetters', {
      purpose: 'approved remediations that could not be delivered or failed',
    });
    const fn = new PostureFunction(this, 'Remediate', {
      handlerName: 'remediate',
      description: 'iam-posture: executes approved remediation requests (privilege-reducing actions only)',
      role: this.role,
      timeout: Duration.minutes(5),
      memorySize: 512,
      logRetentionDays: config.logRetentionDays,
      tracing: config.tracing,
      deadLetterQueue: this.deadLetterQueue.queue,
      retryAttempts: 0,
      maxEventAge: Duration.hours(1),
      environment: environment({
        quarantinePolicyArn: this.quarantinePolicy.managedPolicyArn,
        rotationFunctions,
        ...(organization
          ? { member: { remediationRoleName: organization.memberRemediationRoleName, ...externalId } }
          : {}),
      }),
    });
    this.function = fn.function;
    this.logGroupName = fn.logGroup.logGroupName;

    this.rollbackDeadLetterQueue = new DeadLetterQueue(this, 'RollbackDeadLetters', {
      purpose: 'requested rollbacks that could not be delivered or failed',
    });
    const rollbackFn = new PostureFunction(this, 'Rollback', {
      handlerName: 'rollback',
      description: 'iam-posture: restores the before-state of requests whose rollback was approved',
      role: this.rollbackRole,
      timeout: Duration.minutes(5),
      memorySize: 512,
      logRetentionDays: config.logRetentionDays,
      tracing: config.tracing,
      deadLetterQueue: this.rollbackDeadLetterQueue.queue,
      retryAttempts: 0,
      maxEventAge: Duration.hours(1),
      environment: environment(
        organization
          ? { memberRollback: { rollbackRoleName: organization.memberRollbackRoleName, ...externalId } }
          : {},
      ),
    });
    this.rollbackFunction = rollbackFn.function;
    this.rollbackLogGroupName = rollbackFn.logGroup.logGroupName;

    for (const role of [this.role, this.rollbackRole]) {
      props.table.grantItemAccess(role, REMEDIATION_TABLE_ACTIONS, { indexes: true });
      props.bus.grantPutEventsTo(role);
      props.slack?.botToken.grantRead(role);
    }
    if (organization) {
      this.allowMemberRole(
        this.role,
        'MemberRemediation',
        organization.memberRemediationRoleName,
        organization.organizationId,
      );
      this.allowMemberRole(
        this.rollbackRole,
        'MemberRollback',
        organization.memberRollbackRoleName,
        organization.organizationId,
      );
    }

    this.rule = new events.Rule(this, 'Approved', {
      eventBus: props.bus,
      description: 'Approved remediation requests, to the acting remediation function',
      eventPattern: { source: ['iam-posture'], detailType: [...REMEDIATION_EVENT_TYPES] },
      targets: [
        new targets.LambdaFunction(this.function, {
          deadLetterQueue: this.deadLetterQueue.queue,
          retryAttempts: 4,
          maxEventAge: Duration.hours(1),
        }),
      ],
    });
    this.rollbackRule = new events.Rule(this, 'RollbackRequested', {
      eventBus: props.bus,
      description: 'Requested rollbacks (authorized Undo), to the rollback function',
      eventPattern: { source: ['iam-posture'], detailType: [...ROLLBACK_EVENT_TYPES] },
      targets: [
        new targets.LambdaFunction(this.rollbackFunction, {
          deadLetterQueue: this.rollbackDeadLetterQueue.queue,
          retryAttempts: 4,
          maxEventAge: Duration.hours(1),
        }),
      ],
    });
  }

  /** sts:AssumeRole on one member role of this organization's accounts, nothing else. */
  private allowMemberRole(role: iam.Role, id: string, memberRoleName: string, organizationId: string): void {
    const stack = Stack.of(this);
    const policy = new iam.Policy(this, id, {
      statements: [
        new iam.PolicyStatement({
          sid: `Assume${id}Role`,
          actions: ['sts:AssumeRole'],
          resources: [`arn:${stack.partition}:iam::*:role/${memberRoleName}`],
          conditions: { StringEquals: { 'aws:ResourceOrgID': organizationId } },
        }),
      ],
    });
    policy.attachToRole(role);
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/${memberRoleName}]`,
      reason: `A finding's account is known only when it is approved; the function assumes ${memberRoleName} in that account, held to this organization by aws:ResourceOrgID, and that role trusts only this exact role.`,
    });
  }
}

/** The written reason for each wildcard resource of one direction's catalog statements. */
export function acknowledgeCatalogWildcards(
  policy: iam.Policy,
  direction: RemediationDirection,
  rotationFunctions: readonly string[],
): void {
  const acknowledge = (resource: string, reason: string) =>
    Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
  const what =
    direction === 'acting'
      ? 'the acting direction of the remediation catalog (reads and privilege-reducing changes only)'
      : 'the rollback direction of the remediation catalog, run only for approved rollbacks';
  for (const kind of ['role', 'user', 'group', 'policy']) {
    acknowledge(
      `arn:<AWS::Partition>:iam::<AWS::AccountId>:${kind}/*`,
      `Remediation acts on whichever ${kind} a finding names, unknown at deploy time; the actions are exactly ${what}, this account only, a person approves each request, and protected or own principals are denied.`,
    );
  }
  acknowledge(
    'arn:<AWS::Partition>:iam::aws:policy/*',
    direction === 'acting'
      ? 'AWS managed policies (AdministratorAccess, ...) are read to verify a detach; they are AWS-owned ARNs, not resources of any account.'
      : 'AWS managed policies (AdministratorAccess, ...) are attached again when an approved rollback restores a detach; they are AWS-owned ARNs, not resources of any account.',
  );
  if (direction === 'acting') {
    acknowledge(
      '*',
      'iam:GetServiceLastAccessedDetails has no resource type in the Service Authorization Reference, so IAM accepts only "*"; it reads the report of a job the function started itself. The other "*" statements are Deny statements.',
    );
  }
  acknowledge(
    'arn:<AWS::Partition>:secretsmanager:*:<AWS::AccountId>:secret:*',
    direction === 'acting'
      ? 'rotate-secret acts on the secret a finding names, in any scanned region; DescribeSecret and RotateSecret only, never GetSecretValue.'
      : 'An approved rollback of rotate-secret moves the staging labels of the secret back; DescribeSecret and UpdateSecretVersionStage only, never GetSecretValue.',
  );
  for (const arn of rotationFunctions.filter((f) => f.includes('*'))) {
    acknowledge(
      arn,
      'A rotation function pattern from the deploy config (remediation.rotationFunctions): RotateSecret invokes the secret’s rotation function as the caller, and only functions matching it may be invoked.',
    );
  }
}
