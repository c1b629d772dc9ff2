import { Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { DeployConfig } from '../../functions/core/deploy-config';
import {
  JIT_FUNCTION_EVENTS,
  JIT_SCHEDULE_GROUP,
  jitElevationEnvironment,
} from '../../functions/core/jit-elevation-function-config';
import { DeadLetterQueue } from './dead-letter-queue';
import type { FindingsTable } from './findings-table';
import type { OperationalAlarms } from './operational-alarms';
import { PostureFunction } from './posture-function';

/**
 * What the JIT function does to the findings table: reads a grant (GetItem), moves it and records
 * its schedule, its Slack message and an eligibility's last use (UpdateItem), lists grants by
 * state on the by-status index, then reads them (Query, BatchGetItem), and lists the account's
 * eligibilities (Query).
 */
export const JIT_TABLE_ACTIONS = [
  'dynamodb:BatchGetItem',
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:UpdateItem',
] as const;

/**
 * What the Slack interaction endpoint does to the table for elevation requests: stores a new
 * request (PutItem), reads it, records votes and moves it (GetItem, UpdateItem), and reads the
 * account's run-time eligibilities (Query). Its existing grant covers GetItem and UpdateItem.
 */
export const JIT_INTERACTION_TABLE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:Query'] as const;

/** What the scan reads of the just-in-time state: eligibilities, and elevations by state (index, then items). */
export const JIT_SCAN_TABLE_ACTIONS = ['dynamodb:Query', 'dynamodb:BatchGetItem'] as const;

/**
 * The inline-policy actions of a grant: put it, read it back to verify, list a principal's
 * inline policies (the quota check, the reconciler), delete it; and read the principal itself, to
 * tell a principal that is gone from a policy that could not be read. IAM has no condition key for
 * the inline policy name, so these are bounded by principal (the profiles' `eligible` patterns)
 * and the grant-name prefix is held by the code and by the reconciler.
 */
export const GRANT_ROLE_ACTIONS = [
  'iam:DeleteRolePolicy',
  'iam:GetRole',
  'iam:GetRolePolicy',
  'iam:ListRolePolicies',
  'iam:PutRolePolicy',
] as const;
export const GRANT_USER_ACTIONS = [
  'iam:DeleteUserPolicy',
  'iam:GetUser',
  'iam:GetUserPolicy',
  'iam:ListUserPolicies',
  'iam:PutUserPolicy',
] as const;
/**
 * What requesting an elevation reads (the Slack interaction endpoint, which never writes IAM): the
 * principal exists, its inline policies leave room for the grant (the quota check), and the
 * managed policy whose document the request copies.
 */
export const REQUEST_ROLE_READ_ACTIONS = [
  'iam:GetRole',
  'iam:GetRolePolicy',
  'iam:ListRolePolicies',
] as const;
export const REQUEST_USER_READ_ACTIONS = [
  'iam:GetUser',
  'iam:GetUserPolicy',
  'iam:ListUserPolicies',
] as const;

/** A profile's managed policy is read (its default version) and copied into the grant. */
export const MANAGED_POLICY_READ_ACTIONS = ['iam:GetPolicy', 'iam:GetPolicyVersion'] as const;
/**
 * The revoke schedules: created at grant, read (and corrected) when a grant is delivered twice,
 * deleted at revoke.
 */
export const SCHEDULE_ACTIONS = [
  'scheduler:CreateSchedule',
  'scheduler:DeleteSchedule',
  'scheduler:GetSchedule',
  'scheduler:UpdateSchedule',
] as const;

/** How often the reconciler runs: a grant policy the revoker missed outlives its end by at most this. */
export const RECONCILE_INTERVAL = Duration.hours(1);

/** What the construct needs of a profile: who may receive it and which managed policy it copies. */
export interface JitProfileScope {
  name: string;
  eligible: readonly string[];
  managedPolicyArn?: string;
}

/**
 * The IAM resource patterns covering a profile's `eligible` globs, split by the kind of principal
 * each can match. Globs use `*` within a path segment and `**` across `/`; IAM's `*` matches any
 * run of characters including `/`, so both become `*`: the resource list is never narrower than
 * the globs, and the code checks eligibility exactly before it writes.
 */
export function eligibleResourcePatterns(globs: readonly string[]): { roles: string[]; users: string[] } {
  const roles = new Set<string>();
  const users = new Set<string>();
  for (const glob of globs) {
    const match = /^arn:([^:]+):iam::([^:]*):(.+)$/.exec(glob);
    if (!match) throw new Error(`jit profile eligible pattern ${glob} is not an IAM ARN pattern`);
    const pattern = glob.replace(/\*+/g, '*');
    const resource = match[3]!.replace(/\*+/g, '*');
    const role = mayMatchKind(resource, 'role/');
    const user = mayMatchKind(resource, 'user/');
    if (!role && !user) {
      throw new Error(`jit profile eligible pattern ${glob} matches neither roles nor users`);
    }
    if (role) roles.add(pattern);
    if (user) users.add(pattern);
  }
  return { roles: [...roles].sort(), users: [...users].sort() };
}

/** Can an IAM resource pattern (the part after the account) match a resource of this kind? */
function mayMatchKind(resource: string, kind: 'role/' | 'user/'): boolean {
  const wildcard = resource.search(/[*?]/);
  const literal = wildcard === -1 ? resource : resource.slice(0, wildcard);
  return literal.length >= kind.length ? literal.startsWith(kind) : kind.startsWith(literal);
}

export interface JitElevationProps {
  table: FindingsTable;
  bus: events.IEventBus;
  alarms: OperationalAlarms;
  /** The validated profiles (at least one). */
  profiles: readonly JitProfileScope[];
  /** The just-in-time variables every JIT-aware function shares (profiles, channel, request TTL). */
  jitEnvironment: Record<string, string>;
  /** The Slack bot token: the function follows each grant with its message. */
  botToken?: secretsmanager.ISecret;
  /** iam-posture's own roles (ARN patterns): never given a grant, whatever a profile says. */
  ownRoles: readonly string[];
  config: Pick<DeployConfig, 'logRetentionDays' | 'tracing'>;
}

/**
 * Just-in-time elevation: the JIT function, which grants approved elevations, revokes them at the
 * end of their window (a one-time EventBridge Scheduler schedule per grant) or when asked, and
 * reconciles every hour; the schedule group those schedules live in; the role Scheduler runs them
 * as; and one dead-letter queue for everything that could not be delivered or failed.
 *
 * The function's role puts, reads and deletes inline policies only on the principals the profiles
 * make eligible, reads only the profiles' managed policies, and manages schedules only in its
 * group; it holds no other IAM action. Each grant expires by its own `aws:CurrentTime` bounds even
 * if every part of this construct fails.
 */
export class JitElevation extends Construct {
  readonly role: iam.Role;
  readonly grantPolicy: iam.Policy;
  readonly function: NodejsFunction;
  readonly logGroupName: string;
  readonly scheduleGroup: scheduler.CfnScheduleGroup;
  readonly schedulerRole: iam.Role;
  readonly deadLetterQueue: DeadLetterQueue;
  readonly eventsRule: events.Rule;
  readonly reconcileRule: events.Rule;

  private readonly profiles: readonly JitProfileScope[];

  constructor(scope: Construct, id: string, props: JitElevationProps) {
    super(scope, id);
    const stack = Stack.of(this);
    if (props.profiles.length === 0) throw new Error('just-in-time elevation needs at least one profile');
    this.profiles = props.profiles;

    this.scheduleGroup = new scheduler.CfnScheduleGroup(this, 'ScheduleGroup', { name: JIT_SCHEDULE_GROUP });
    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetters', {
      purpose: 'elevation events and scheduled revokes that could not be delivered or failed every attempt',
    });
    Validations.of(this.deadLetterQueue.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of the JIT function, its event rules and its revoke schedules; a dead-letter queue for it would add nothing, and its depth is alarmed.',
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description:
        'iam-posture JIT: puts and deletes grant inline policies on eligible principals only; manages its revoke schedules',
    });
    this.schedulerRole = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'iam-posture JIT: lets EventBridge Scheduler invoke the JIT function to revoke a grant',
    });

    const fn = new PostureFunction(this, 'Jit', {
      handlerName: 'jit',
      description: 'iam-posture: grants approved elevations, revokes them at their end, reconciles hourly',
      role: this.role,
      timeout: Duration.minutes(5),
      memorySize: 256,
      logRetentionDays: props.config.logRetentionDays,
      tracing: props.config.tracing,
      deadLetterQueue: this.deadLetterQueue.queue,
      // Every path is idempotent on the grant id: a retry of a failed revoke is what ends a grant early
      // enough; one that already happened is a no-op.
      retryAttempts: 2,
      maxEventAge: Duration.hours(1),
      environment: {
        ...props.jitEnvironment,
        ...jitElevationEnvironment({
          findingsTableName: props.table.table.tableName,
          eventBusName: props.bus.eventBusName,
          scheduleGroup: JIT_SCHEDULE_GROUP,
          schedulerRoleArn: this.schedulerRole.roleArn,
          deadLetterArn: this.deadLetterQueue.queue.queueArn,
          ...(props.botToken ? { botTokenSecretArn: props.botToken.secretArn } : {}),
        }),
      },
    });
    this.function = fn.function;
    this.logGroupName = fn.logGroup.logGroupName;

    // The scheduler role: invoke this one function, send what it cannot deliver to the queue.
    const schedulerPolicy = new iam.Policy(this, 'SchedulerPolicy', {
      statements: [
        new iam.PolicyStatement({
          actions: ['lambda:InvokeFunction'],
          resources: [this.function.functionArn],
        }),
        new iam.PolicyStatement({
          actions: ['sqs:SendMessage'],
          resources: [this.deadLetterQueue.queue.queueArn],
        }),
      ],
    });
    schedulerPolicy.attachToRole(this.schedulerRole);

    this.grantPolicy = new iam.Policy(this, 'GrantPolicies', {
      statements: this.grantStatements(stack, props),
    });
    this.grantPolicy.attachToRole(this.role);
    this.acknowledgeWildcards();

    props.table.grantItemAccess(this.role, JIT_TABLE_ACTIONS, { indexes: true });
    props.bus.grantPutEventsTo(this.role);
    props.botToken?.grantRead(this.role);

    this.eventsRule = new events.Rule(this, 'Events', {
      eventBus: props.bus,
      description: 'Elevation approvals, revoke requests and the steps a grant’s Slack message follows',
      eventPattern: { source: ['iam-posture'], detailType: [...JIT_FUNCTION_EVENTS] },
      targets: [
        new targets.LambdaFunction(this.function, {
          deadLetterQueue: this.deadLetterQueue.queue,
          retryAttempts: 4,
          maxEventAge: Duration.hours(1),
        }),
      ],
    });
    // A rule, not a schedule in the group: the JIT role may delete schedules in its group, and
    // must not be able to stop its own reconciler.
    this.reconcileRule = new events.Rule(this, 'Reconcile', {
      description:
        'Hourly: lapses unanswered elevation requests and removes expired or unknown grant policies',
      schedule: events.Schedule.rate(RECONCILE_INTERVAL),
      targets: [
        new targets.LambdaFunction(this.function, {
          event: events.RuleTargetInput.fromObject({ action: 'reconcile' }),
          deadLetterQueue: this.deadLetterQueue.queue,
          retryAttempts: 2,
          maxEventAge: Duration.hours(1),
        }),
      ],
    });

    props.alarms.watchFunction(this.function, 'Jit');
    props.alarms.watchDeadLetterQueue(this.deadLetterQueue, 'Jit');
  }

  /**
   * Lets the endpoint that takes requests read what a request checks: the eligible principals and
   * their inline policies, and the profiles' managed policies. Reads only, on the same resources
   * as the JIT role's grant actions.
   */
  grantRequestReads(role: iam.IRole): iam.Policy {
    const policy = new iam.Policy(this, 'RequestReads', {
      statements: this.principalStatements(
        { role: REQUEST_ROLE_READ_ACTIONS, user: REQUEST_USER_READ_ACTIONS },
        'ReadEligible',
      ),
    });
    policy.attachToRole(role);
    this.acknowledgePrincipalWildcards(
      policy,
      'reads only: the principal, its inline policies (the quota check) and the profile’s managed policy, to refuse a request that could not be granted before anyone is asked to approve it',
    );
    return policy;
  }

  /** Statements of `actions` on the eligible roles and users, and the managed policy reads. */
  private principalStatements(
    actions: { role: readonly string[]; user: readonly string[] },
    sid: string,
  ): iam.PolicyStatement[] {
    const { roles, users } = eligibleResourcePatterns(this.profiles.flatMap((p) => p.eligible));
    const statements: iam.PolicyStatement[] = [];
    if (roles.length > 0) {
      statements.push(
        new iam.PolicyStatement({ sid: `${sid}Roles`, actions: [...actions.role], resources: roles }),
      );
    }
    if (users.length > 0) {
      statements.push(
        new iam.PolicyStatement({ sid: `${sid}Users`, actions: [...actions.user], resources: users }),
      );
    }
    const managed = [
      ...new Set(this.profiles.flatMap((p) => (p.managedPolicyArn ? [p.managedPolicyArn] : []))),
    ];
    if (managed.length > 0) {
      statements.push(
        new iam.PolicyStatement({
          sid: 'ReadProfileManagedPolicies',
          actions: [...MANAGED_POLICY_READ_ACTIONS],
          resources: managed.sort(),
        }),
      );
    }
    return statements;
  }

  private grantStatements(stack: Stack, props: JitElevationProps): iam.PolicyStatement[] {
    const statements = this.principalStatements(
      { role: GRANT_ROLE_ACTIONS, user: GRANT_USER_ACTIONS },
      'GrantPoliciesOnEligible',
    );
    statements.push(
      new iam.PolicyStatement({
        sid: 'RevokeSchedulesInOwnGroup',
        actions: [...SCHEDULE_ACTIONS],
        resources: [this.scheduleArnPattern(stack)],
      }),
      new iam.PolicyStatement({
        sid: 'PassSchedulerRoleToScheduler',
        actions: ['iam:PassRole'],
        resources: [this.schedulerRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
    if (props.ownRoles.length > 0) {
      // A profile pattern broad enough to cover iam-posture's own roles must not let the function
      // elevate itself or its neighbours.
      statements.push(
        new iam.PolicyStatement({
          sid: 'NeverGrantOwnRoles',
          effect: iam.Effect.DENY,
          actions: ['iam:DeleteRolePolicy', 'iam:PutRolePolicy'],
          resources: [...props.ownRoles],
        }),
      );
    }
    return statements;
  }

  /** The group's schedules; `asNagId` writes unresolved parts as cdk-nag names them (`<AWS::Region>`). */
  private scheduleArnPattern(stack: Stack, asNagId = false): string {
    const part = (value: string, pseudo: string) =>
      asNagId && Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value;
    return `arn:${part(stack.partition, 'Partition')}:scheduler:${part(stack.region, 'Region')}:${part(stack.account, 'AccountId')}:schedule/${JIT_SCHEDULE_GROUP}/*`;
  }

  /** One written reason per wildcard eligible pattern of a policy, naming the profiles it serves. */
  private acknowledgePrincipalWildcards(policy: iam.Policy, what: string): void {
    const byPattern = new Map<string, string[]>();
    for (const profile of this.profiles) {
      const { roles, users } = eligibleResourcePatterns(profile.eligible);
      for (const pattern of new Set([...roles, ...users])) {
        if (pattern.includes('*')) byPattern.set(pattern, [...(byPattern.get(pattern) ?? []), profile.name]);
      }
    }
    for (const [pattern, names] of byPattern) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${pattern}]`,
        reason: `The eligible principals of JIT profile ${names.join(', ')} (jit.profiles[].eligible); ${what}.`,
      });
    }
  }

  private acknowledgeWildcards(): void {
    this.acknowledgePrincipalWildcards(
      this.grantPolicy,
      'only the inline-policy actions of a grant, whose policy the function names iam-posture-jit-<grant id> and whose principal it checks against the exact pattern before writing',
    );
    Validations.of(this.grantPolicy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${this.scheduleArnPattern(Stack.of(this), true)}]`,
      reason: `One-time revoke schedules are named by grant id at run time; the wildcard spans only the ${JIT_SCHEDULE_GROUP} schedule group this construct creates, never the scan schedule.`,
    });
  }
}
