import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoEventOutbox } from '../adapters/dynamo-event-outbox';
import { DynamoFindingsStore } from '../adapters/dynamo-findings-store';
import { DynamoNoticeStore } from '../adapters/dynamo-notice-store';
import { DynamoRemediationRequestStore } from '../adapters/dynamo-remediation-store';
import { DynamoReviewStore } from '../adapters/dynamo-review-store';
import { EventBridgePublisher, type EventPublisherOptions } from '../adapters/event-publisher';
import { type AwsConfig, sdkConfig } from './aws';

/**
 * The stores and the event publisher, built once here for every handler and CLI command.
 *
 * Each store gets a DynamoDB client of its own: `DynamoDBDocumentClient.from()` keeps its
 * translation options on the client it wraps, so stores sharing a client would read items with
 * each other's options.
 */

export interface StoreOptions {
  /** Attempts per DynamoDB request (the SDK's retries); the SDK default otherwise. */
  maxAttempts?: number;
}

export function findingsStore(
  aws: AwsConfig,
  table: string,
  options: StoreOptions = {},
): DynamoFindingsStore {
  return new DynamoFindingsStore(new DynamoDBClient(sdkConfig(aws, options.maxAttempts)), table);
}

export function remediationRequestStore(
  aws: AwsConfig,
  table: string,
  options: StoreOptions = {},
): DynamoRemediationRequestStore {
  return new DynamoRemediationRequestStore(new DynamoDBClient(sdkConfig(aws, options.maxAttempts)), table);
}

export function eventPublisher(
  aws: AwsConfig,
  eventBusName: string,
  options: Omit<EventPublisherOptions, 'eventBusName'> = {},
): EventBridgePublisher {
  return new EventBridgePublisher(new EventBridgeClient(sdkConfig(aws, options.maxAttempts)), {
    ...options,
    eventBusName,
  });
}

/** Events the bus refused, kept in the findings table for the next scan or drain. */
export function eventOutbox(aws: AwsConfig, table: string, options: StoreOptions = {}): DynamoEventOutbox {
  return new DynamoEventOutbox(new DynamoDBClient(sdkConfig(aws, options.maxAttempts)), table);
}

/** The notify-only budget and digests of a Slack channel, in the findings table. */
export function noticeStore(aws: AwsConfig, table: string, options: StoreOptions = {}): DynamoNoticeStore {
  return new DynamoNoticeStore(new DynamoDBClient(sdkConfig(aws, options.maxAttempts)), table);
}

/** Entitlement review campaigns, their items and attestations, in the findings table. */
export function reviewStore(aws: AwsConfig, table: string, options: StoreOptions = {}): DynamoReviewStore {
  return new DynamoReviewStore(new DynamoDBClient(sdkConfig(aws, options.maxAttempts)), table);
}
