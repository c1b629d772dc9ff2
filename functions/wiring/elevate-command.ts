import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { AccountReader } from '../adapters/aws/account-reader';
import { IamGrantPolicies } from '../adapters/aws/iam-grant-policies';
import { EventBridgeRevokeScheduler } from '../adapters/aws/revoke-scheduler';
import { DynamoJitStore } from '../adapters/dynamo-jit-store';
import { jitEvents } from '../adapters/event-publisher';
import type { ElevationEvent } from '../core/jit/types';
import { actorDetail, elevationDetail } from '../use-cases/elevation-events';
import { ELEVATION_REVOKE_REQUESTED, type RevokeRequests } from '../use-cases/jit-interaction';
import type { JitEvents, RevokeScheduler } from '../use-cases/jit-ports';
import { type AwsConfig, awsClients, sdkConfig } from './aws';
import { eventPublisher } from './stores';

/**
 * The adapters of `iam-posture elevate`, with the caller's credentials: requests are stored and
 * announced on the bus as the Slack endpoint does, so the JIT function and Slack see them alike.
 */

/** The just-in-time part of the command line: the grant store, IAM, the bus and the caller. */
export interface ElevationCommandWiring {
  store: DynamoJitStore;
  /** IAM with the caller's credentials: read for a request, written only by `revoke --now`. */
  policies: IamGrantPolicies;
  events: JitEvents;
  revokes: RevokeRequests;
  /** Deletes a grant's revoke schedule (`revoke --now`); a revoke never creates one. */
  scheduler: RevokeScheduler;
  callerIdentity(): Promise<{ accountId: string; arn?: string }>;
  close(): void;
}

export interface ElevationCommandConfig {
  aws: AwsConfig;
  table: string;
  eventBus: string;
  /** The schedule group of the revoke schedules. */
  scheduleGroup: string;
}

export function elevationCommandWiring(config: ElevationCommandConfig): ElevationCommandWiring {
  const clients = awsClients(config.aws);
  const sdk = sdkConfig(config.aws);
  const dynamo = new DynamoDBClient(sdk);
  const scheduler = new SchedulerClient(sdk);
  const publisher = jitEvents(eventPublisher(config.aws, config.eventBus));
  return {
    store: new DynamoJitStore(dynamo, config.table),
    policies: new IamGrantPolicies(clients.iam),
    events: { publish: (type: ElevationEvent, detail) => publisher.publish(type, detail) },
    revokes: {
      requestRevoke: (request, by) =>
        publisher.publish(ELEVATION_REVOKE_REQUESTED, elevationDetail(request, { by: actorDetail(by) })),
    },
    // Creating a schedule needs the JIT function as target; deleting one needs only its group.
    scheduler: new EventBridgeRevokeScheduler({
      client: scheduler,
      groupName: config.scheduleGroup,
      targetArn: '',
      roleArn: '',
      deadLetterArn: '',
    }),
    callerIdentity: () => new AccountReader(clients.sts, clients.ec2).callerIdentity(),
    close: () => {
      clients.destroy();
      dynamo.destroy();
      scheduler.destroy();
    },
  };
}
