import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { type DeployConfig, scanSettingsOf } from '../../functions/core/deploy-config';
import { remediationPermissions } from '../../functions/core/remediation/catalog';
import { remediationFunctionEnvironment } from '../../functions/core/remediation-function-config';
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

/** The events the remediation function acts on: an approval to execute, an Undo to roll back. */
export const REMEDIATION_EVENT_TYPES = ['RemediationApproved', 'RollbackRequested'] as const;

/** IAM actions of the catalog that have no resource type: IAM accepts only `*` for them. */
const UNSCOPED_ACTIONS: ReadonlySet<string> = new Set(['iam:GetServiceLastAccessedDetails']);

/** Actions that change IAM: denied on the stack's own roles whatever else allows them. */
const IAM_WRITE = /^iam:(Attach|Detach|Delete|Put|Update)/;

/**
 * The catalog's permissions (`remediationPermissions()`, execution and rollback) as statements,
 * each scoped to what its service allows: IAM actions to this account's roles, users, groups and
 * policies (and AWS managed policies, which are read and re-attached), Secrets Manager to this
 * account's secrets, Lambda to this account's functions (RotateSecret invokes the rotation
 * function as the caller).
 */
export function remediationStatements(stack: Stack): iam.PolicyStatement[] {
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
    lambda: [`arn:${stack.partition}:lambda:*:${stack.account}:function:*`],
  };
  const byScope = new Map<string, string[]>();
  for (const action of remediationPermissions()) {
    const service = action.split(':')[0]!;
    const key = UNSCOPED_ACTIONS.has(action) ? '*' : service;
    if (key !== '*' && !scopes[key]) throw new Error(`no resource scope for ${action}`);
    byScope.set(key, [...(byScope.get(key) ?? []), action]);
  }
  return [...byScope.entries()].map(
    ([key, actions]) =>
      new iam.PolicyStatement({ actions: actions.sort(), resources: key === '*' ? ['*'] : scopes[key]! }),
  );
}

/** The stack's own roles (CDK names them `<stack name>-...`): remediation never acts on them. */
export function ownRolesPattern(stack: Stack): string {
  return `arn:${stack.partition}:iam::${stack.account}:role/${stack.stackName}-*`;
}

export interface RemediationProps {
  table: FindingsTable;
  bus: events.IEventBus;
  config: DeployConfig;
  /** Slack updates: the bot token secret and the channel; absent, messages are not updated. */
  slack?: { botToken: secretsmanager.ISecret; channelId: string };
  /** Organization mode: findings of member accounts are remediated through their member role. */
  organization?: RemediationOrganization;
}

export interface RemediationOrganization {
  /** The role's fixed name: member remediation roles trust exactly this ARN. */
  roleName: string;
  memberRemediationRoleName: string;
  organizationId: string;
  externalId?: string;
}

/** The remediation function's variables for member accounts (organization mode only). */
export const REMEDIATION_MEMBER_ENV = {
  memberRemediationRoleName: 'MEMBER_REMEDIATION_ROLE_NAME',
  memberExternalId: 'MEMBER_EXTERNAL_ID',
} as const;

/**
 * The remediation function: triggered by `RemediationApproved` (and `RollbackRequested`) on the
 * findings bus, it re-reads the live resource, re-plans, records the before-state, acts,
 * verifies and records. Its role holds exactly the catalog's declared permissions plus the table,
 * the bus, its log group, its dead-letter queue and the Slack bot token; writes on the stack's
 * own roles are denied outright.
 *
 * Delivery: EventBridge retries a failed delivery and then sends the event to the dead-letter
 * queue; the function is not retried by Lambda (execution is idempotent on the request id, and a
 * recorded failure must reach the queue and its alarm, not be skipped by a second attempt).
 */
export class Remediation extends Construct {
  readonly role: iam.Role;
  /** Exactly `remediationPermissions()`. */
  readonly actionsPolicy: iam.Policy;
  readonly function: NodejsFunction;
  readonly deadLetterQueue: DeadLetterQueue;
  readonly rule: events.Rule;
  readonly logGroupName: string;

  constructor(scope: Construct, id: string, props: RemediationProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { config, organization } = props;

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'iam-posture remediation: executes and rolls back approved remediation requests',
      ...(organization ? { roleName: organization.roleName } : {}),
    });
    this.actionsPolicy = new iam.Policy(this, 'CatalogActions', { statements: remediationStatements(stack) });
    this.actionsPolicy.attachToRole(this.role);
    const ownRoles = ownRolesPattern(stack);
    this.actionsPolicy.addStatements(
      new iam.PolicyStatement({
        sid: 'NeverChangeOwnRoles',
        effect: iam.Effect.DENY,
        actions: remediationPermissions().filter((action) => IAM_WRITE.test(action)),
        resources: [ownRoles],
      }),
    );
    acknowledgeCatalogWildcards(this.actionsPolicy);

    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetters', {
      purpose: 'approved remediations and rollbacks that could not be delivered or failed',
    });
    const fn = new PostureFunction(this, 'Remediate', {
      handlerName: 'remediate',
      description: 'iam-posture: executes approved remediation requests and rolls them back',
      role: this.role,
      timeout: Duration.minutes(5),
      memorySize: 512,
      logRetentionDays: config.logRetentionDays,
      tracing: config.tracing,
      deadLetterQueue: this.deadLetterQueue.queue,
      retryAttempts: 0,
      maxEventAge: Duration.hours(1),
      environment: {
        ...remediationFunctionEnvironment({
          findingsTableName: props.table.table.tableName,
          eventBusName: props.bus.eventBusName,
          protectedArns: config.protectedArns,
          breakGlassArns: config.breakGlassArns,
          ownArns: [ownRoles],
          settings: scanSettingsOf(config),
          ...(props.slack
            ? {
                slack: {
                  botTokenSecretArn: props.slack.botToken.secretArn,
                  channelId: props.slack.channelId,
                },
              }
            : {}),
        }),
        ...(organization ? memberEnvironment(organization) : {}),
      },
    });
    this.function = fn.function;
    this.logGroupName = fn.logGroup.logGroupName;

    if (organization) this.allowMemberRemediation(organization);
    props.table.grantItemAccess(this.role, REMEDIATION_TABLE_ACTIONS, { indexes: true });
    props.bus.grantPutEventsTo(this.role);
    props.slack?.botToken.grantRead(this.role);

    this.rule = new events.Rule(this, 'Approved', {
      eventBus: props.bus,
      description: 'Approved remediation requests and requested rollbacks, to the remediation function',
      eventPattern: { source: ['iam-posture'], detailType: [...REMEDIATION_EVENT_TYPES] },
      targets: [
        new targets.LambdaFunction(this.function, {
          deadLetterQueue: this.deadLetterQueue.queue,
          retryAttempts: 4,
          maxEventAge: Duration.hours(1),
        }),
      ],
    });
  }

  /** sts:AssumeRole on the member remediation role of this organization's accounts, nothing else. */
  private allowMemberRemediation(organization: RemediationOrganization): void {
    const stack = Stack.of(this);
    const policy = new iam.Policy(this, 'MemberRemediation', {
      statements: [
        new iam.PolicyStatement({
          sid: 'AssumeMemberRemediationRole',
          actions: ['sts:AssumeRole'],
          resources: [`arn:${stack.partition}:iam::*:role/${organization.memberRemediationRoleName}`],
          conditions: { StringEquals: { 'aws:ResourceOrgID': organization.organizationId } },
        }),
      ],
    });
    policy.attachToRole(this.role);
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/${organization.memberRemediationRoleName}]`,
      reason: `A finding's account is known only when it is approved; the function assumes ${organization.memberRemediationRoleName} in that account, held to this organization by aws:ResourceOrgID, and that role trusts only this exact role.`,
    });
  }
}

function memberEnvironment(organization: RemediationOrganization): Record<string, string> {
  return {
    [REMEDIATION_MEMBER_ENV.memberRemediationRoleName]: organization.memberRemediationRoleName,
    ...(organization.externalId !== undefined
      ? { [REMEDIATION_MEMBER_ENV.memberExternalId]: organization.externalId }
      : {}),
  };
}

/** The written reason for each wildcard resource of the catalog statements. */
export function acknowledgeCatalogWildcards(policy: iam.Policy): void {
  const acknowledge = (resource: string, reason: string) =>
    Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
  for (const kind of ['role', 'user', 'group', 'policy']) {
    acknowledge(
      `arn:<AWS::Partition>:iam::<AWS::AccountId>:${kind}/*`,
      `Remediation acts on whichever ${kind} a finding names, unknown at deploy time; the actions are exactly the remediation catalog's, this account only, and a person approves each request.`,
    );
  }
  acknowledge(
    'arn:<AWS::Partition>:iam::aws:policy/*',
    'AWS managed policies (AdministratorAccess, ...) are read to verify a detach and attached again on rollback; they are AWS-owned ARNs, not resources of any account.',
  );
  acknowledge(
    '*',
    'iam:GetServiceLastAccessedDetails has no resource type in the Service Authorization Reference, so IAM accepts only "*"; it reads the report of a job the function started itself.',
  );
  acknowledge(
    'arn:<AWS::Partition>:secretsmanager:*:<AWS::AccountId>:secret:*',
    'rotate-secret acts on the secret a finding names, in any scanned region; DescribeSecret, RotateSecret and UpdateSecretVersionStage only, never GetSecretValue.',
  );
  acknowledge(
    'arn:<AWS::Partition>:lambda:*:<AWS::AccountId>:function:*',
    'RotateSecret invokes the secret’s own rotation function with the caller’s permissions; which function that is depends on the secret named by the finding.',
  );
}
