import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateRoleCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateScheduleGroupCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { IamGrantPolicies } from '../../functions/adapters/aws/iam-grant-policies';
import { EventBridgeRevokeScheduler } from '../../functions/adapters/aws/revoke-scheduler';
import { DynamoJitStore } from '../../functions/adapters/dynamo-jit-store';
import { EventBridgePublisher, jitEvents } from '../../functions/adapters/event-publisher';
import { createTableInput } from '../../functions/core/findings-table';
import type { ElevationProfile } from '../../functions/core/jit/types';
import type { Actor } from '../../functions/core/remediation/request';
import type { SlackUser } from '../../functions/core/slack/approvers';
import { type BusEvent, tapBus } from './bus-tap';
import { MOTO_ACCOUNT_ID, MOTO_REGION, type MotoServer } from './moto';

/**
 * Just-in-time elevation against moto: the findings table, IAM, an EventBridge Scheduler group
 * and a bus whose every iam-posture event is tapped into an SQS queue, with the real adapters
 * built over them.
 */

export const TABLE = 'iam-posture-findings';
export const BUS = 'iam-posture-test';
export const SCHEDULE_GROUP = 'iam-posture-jit';
export const JIT_FUNCTION_ARN = `arn:aws:lambda:${MOTO_REGION}:${MOTO_ACCOUNT_ID}:function:iam-posture-jit`;
export const TEAM = 'T0TEAM0001';
export const ALICE: SlackUser = { teamId: TEAM, userId: 'U0ALICE001' };
export const BOB: SlackUser = { teamId: TEAM, userId: 'U0BOB00001' };
export const CAROL: SlackUser = { teamId: TEAM, userId: 'U0CAROL001' };
export const MALLORY: SlackUser = { teamId: TEAM, userId: 'U0MALLORY1' };
export const DEV: Actor = { kind: 'slack', teamId: TEAM, id: 'U0DEVELOP1' };

export const roleArn = (name: string) => `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/${name}`;
export const userArn = (name: string) => `arn:aws:iam::${MOTO_ACCOUNT_ID}:user/${name}`;

/** Read access to one bucket, for anything `app-*` (roles) or `ops-*` (users); two approvals. */
export const BUCKET_READ: ElevationProfile = {
  name: 'bucket-read',
  statements: [
    {
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:ListBucket'],
      Resource: ['arn:aws:s3:::logs', 'arn:aws:s3:::logs/*'],
    },
  ],
  eligible: [roleArn('app-*'), userArn('ops-*')],
  maxMinutes: 240,
  approvers: [ALICE, BOB, CAROL],
  approvals: 2,
  breakGlass: { maxMinutes: 60 },
};

export interface JitWorld {
  iam: IAMClient;
  dynamo: DynamoDBClient;
  scheduler: SchedulerClient;
  store: DynamoJitStore;
  policies: IamGrantPolicies;
  revokeScheduler: EventBridgeRevokeScheduler;
  events: ReturnType<typeof jitEvents>;
  /** Every iam-posture event published since the last call, in order. */
  busEvents(): Promise<BusEvent[]>;
  createRole(name: string): Promise<string>;
  createUser(name: string): Promise<string>;
  destroy(): void;
}

/** Builds the world on a freshly reset moto. */
export async function jitWorld(moto: MotoServer): Promise<JitWorld> {
  const iam = new IAMClient({ ...moto.clientConfig });
  const dynamo = new DynamoDBClient({ ...moto.clientConfig });
  const scheduler = new SchedulerClient({ ...moto.clientConfig });
  const eventBridge = new EventBridgeClient({ ...moto.clientConfig });
  await dynamo.send(new CreateTableCommand(createTableInput(TABLE)));
  await scheduler.send(new CreateScheduleGroupCommand({ Name: SCHEDULE_GROUP }));
  await eventBridge.send(new CreateEventBusCommand({ Name: BUS }));

  const tap = await tapBus(moto, { busName: BUS, queueName: 'jit-tap' });

  return {
    iam,
    dynamo,
    scheduler,
    store: new DynamoJitStore(dynamo, TABLE),
    policies: new IamGrantPolicies(iam),
    revokeScheduler: new EventBridgeRevokeScheduler({
      client: scheduler,
      groupName: SCHEDULE_GROUP,
      targetArn: JIT_FUNCTION_ARN,
      roleArn: roleArn('iam-posture-scheduler'),
      deadLetterArn: `arn:aws:sqs:${MOTO_REGION}:${MOTO_ACCOUNT_ID}:iam-posture-jit-dlq`,
    }),
    events: jitEvents(new EventBridgePublisher(eventBridge, { eventBusName: BUS })),
    busEvents: () => tap.events(),
    async createRole(name) {
      const trust = {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      };
      const output = await iam.send(
        new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: JSON.stringify(trust) }),
      );
      return output.Role!.Arn!;
    },
    async createUser(name) {
      const output = await iam.send(new CreateUserCommand({ UserName: name }));
      return output.User!.Arn!;
    },
    destroy() {
      iam.destroy();
      dynamo.destroy();
      scheduler.destroy();
      eventBridge.destroy();
    },
  };
}

/** A clock the test moves by hand. */
export function manualClock(start: string): {
  now: () => Date;
  set(iso: string): void;
  advance(minutes: number): void;
} {
  let current = new Date(start);
  return {
    now: () => new Date(current),
    set(iso) {
      current = new Date(iso);
    },
    advance(minutes) {
      current = new Date(current.getTime() + minutes * 60_000);
    },
  };
}
