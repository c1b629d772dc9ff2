import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { DeployConfig } from '../../functions/core/deploy-config';
import {
  reviewFunctionEnvironment,
  reviewInteractionEnvironment,
  reviewScanEnvironment,
} from '../../functions/core/review/function-config';
import { DeadLetterQueue } from './dead-letter-queue';
import type { FindingsTable } from './findings-table';
import type { OperationalAlarms } from './operational-alarms';
import { PostureFunction } from './posture-function';

/**
 * What the review function does to the table: lists open campaigns (Query on the by-status index)
 * and their items (Query), reads a campaign (GetItem), marks items reminded and escalated and
 * closes campaigns (UpdateItem), and records where each review message is (PutItem).
 */
export const REVIEW_FUNCTION_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:UpdateItem',
] as const;

/**
 * What the review route adds to the interaction endpoint's table access: it records answers and
 * attestations and moves items to a new owner (PutItem, with the UpdateItem and DeleteItem the
 * endpoint has), lists a campaign's items and an account's attestations (Query), and, for a
 * reduce answer, reads the identity's findings by id (Query on the by-id index) and opens
 * remediation requests as the notifier does (PutItem).
 */
export const REVIEW_INTERACTION_TABLE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:Query'] as const;

/**
 * What starting due campaigns after a scan adds to the scan function's table access: which
 * rhythms started when (Query on the by-status index). Campaigns and items are written with the
 * PutItem and BatchWriteItem the scan already has.
 */
export const REVIEW_SCAN_TABLE_ACTIONS = ['dynamodb:Query'] as const;

/** When the daily advance runs (UTC): reminders and escalations arrive in the European morning. */
export const REVIEW_ADVANCE_SCHEDULE = { minute: '0', hour: '8' } as const;

export interface ReviewCampaignsProps {
  table: FindingsTable;
  bus: events.IEventBus;
  config: DeployConfig;
  /** The Slack bot token: the review function posts the reviews. */
  botToken: secretsmanager.ISecret;
  /** The interaction endpoint: the review route answers its clicks. */
  interaction: { function: NodejsFunction; role: iam.IRole };
  /** The scan function and its role: each scan starts the campaigns that are due. */
  scan: { function: NodejsFunction; role: iam.IRole };
  /**
   * In organization mode, the run's account step and its role: each member account's scan starts
   * that account's campaigns that are due.
   */
  organizationScan?: { function: NodejsFunction; role: iam.IRole };
  /** The approval channel: reduce answers post their remediation requests there. */
  channelId: string;
  /** iam-posture's own roles (ARN globs): never offered for remediation. */
  ownArns: readonly string[];
  alarms: OperationalAlarms;
}

/**
 * Entitlement reviews: the review function that posts each owner's review when a campaign starts
 * (rule on ReviewCampaignStarted) and runs the daily advance (reminders, escalations, ReviewOverdue),
 * the review route's environment and table access on the Slack interaction endpoint, and the
 * `REVIEWS` setting of the scan function and of the organization run's account step, with which
 * each scan starts the campaigns that are due.
 *
 * The review function's role reads and marks review items, posts with the bot token and publishes
 * to the findings bus; it has no IAM access and reads no other secret.
 */
export class ReviewCampaigns extends Construct {
  readonly role: iam.Role;
  readonly function: NodejsFunction;
  readonly deadLetterQueue: DeadLetterQueue;
  readonly startedRule: events.Rule;
  readonly advanceRule: events.Rule;
  readonly logGroupName: string;

  constructor(scope: Construct, id: string, props: ReviewCampaignsProps) {
    super(scope, id);
    const { config } = props;
    const reviews = config.reviews;

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'iam-posture reviews: posts owner reviews, reminds and escalates; no IAM access',
    });
    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetters', {
      purpose: 'review announcements and daily advances that failed every retry',
    });
    const fn = new PostureFunction(this, 'Review', {
      handlerName: 'review',
      description:
        'iam-posture: posts entitlement reviews to Slack, reminds owners and escalates overdue ones',
      role: this.role,
      // One campaign posts a message or a few per owner: hundreds of owners fit in minutes.
      timeout: Duration.minutes(5),
      memorySize: 256,
      logRetentionDays: config.logRetentionDays,
      tracing: config.tracing,
      deadLetterQueue: this.deadLetterQueue.queue,
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      environment: reviewFunctionEnvironment({
        findingsTableName: props.table.table.tableName,
        eventBusName: props.bus.eventBusName,
        botTokenSecretArn: props.botToken.secretArn,
        ownerSlack: config.ownership.slack,
        ...(reviews.escalationChannel ? { escalationChannel: reviews.escalationChannel } : {}),
      }),
    });
    this.function = fn.function;
    this.logGroupName = fn.logGroup.logGroupName;
    props.table.grantItemAccess(this.role, REVIEW_FUNCTION_TABLE_ACTIONS, { indexes: true });
    props.bus.grantPutEventsTo(this.role);
    props.botToken.grantRead(this.role);

    const target = (input?: events.RuleTargetInput) =>
      new targets.LambdaFunction(this.function, {
        deadLetterQueue: this.deadLetterQueue.queue,
        retryAttempts: 4,
        maxEventAge: Duration.hours(6),
        ...(input ? { event: input } : {}),
      });
    this.startedRule = new events.Rule(this, 'CampaignStarted', {
      eventBus: props.bus,
      description: 'Started review campaigns, to the review function to post each owner review',
      eventPattern: { source: ['iam-posture'], detailType: ['ReviewCampaignStarted'] },
      targets: [target()],
    });
    this.advanceRule = new events.Rule(this, 'DailyAdvance', {
      description: 'Daily: reminds review owners before the deadline and escalates what is overdue',
      schedule: events.Schedule.cron(REVIEW_ADVANCE_SCHEDULE),
      targets: [target(events.RuleTargetInput.fromObject({ action: 'advance' }))],
    });

    // The review route of the interaction endpoint.
    const interactionEnvironment = reviewInteractionEnvironment({
      ownerSlack: config.ownership.slack,
      reviewers: reviews.reviewers,
      attestationDays: reviews.attestationDays,
      channelId: props.channelId,
      ...(reviews.escalationChannel ? { escalationChannel: reviews.escalationChannel } : {}),
      protection: {
        protectedArns: config.protectedArns,
        breakGlassArns: config.breakGlassArns,
        ownArns: props.ownArns,
      },
    });
    for (const [name, value] of Object.entries(interactionEnvironment)) {
      props.interaction.function.addEnvironment(name, value);
    }
    props.table.grantItemAccess(props.interaction.role, REVIEW_INTERACTION_TABLE_ACTIONS, { indexes: true });

    // Each scan starts the campaigns that are due, with the inventory it just read: the scan
    // function's of its own account and, in organization mode, the account step's of each member
    // account. Both put campaigns with the table writes and the bus access their scans have.
    const scans = [props.scan, ...(props.organizationScan ? [props.organizationScan] : [])];
    for (const scan of scans) {
      for (const [name, value] of Object.entries(reviewScanEnvironment(reviews))) {
        scan.function.addEnvironment(name, value);
      }
    }
    // The account step runs with the scanner role: one grant, not two identical ones.
    for (const role of new Set(scans.map((scan) => scan.role))) {
      props.table.grantItemAccess(role, REVIEW_SCAN_TABLE_ACTIONS, { indexes: true });
    }

    props.alarms.watchFunction(this.function, 'Review');
    props.alarms.watchDeadLetterQueue(this.deadLetterQueue, 'Review');
  }
}
