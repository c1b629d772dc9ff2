/**
 * What reached an EventBridge bus on moto: a rule on the bus forwards every matching event to an
 * SQS queue, and the test drains that queue.
 *
 *   await eventBridge.send(new CreateEventBusCommand({ Name: BUS }));
 *   const tap = await tapBus(moto, { busName: BUS, queueName: 'bus-tap' });
 *   ...
 *   expect((await tap.events()).map((e) => e['detail-type'])).toEqual(['ElevationApproved']);
 *
 * The bus itself belongs to the test (a custom bus it creates, or moto's `default`); the tap only
 * listens. moto forgets the queue and the rule on `moto.reset()`, so a test that resets taps again.
 */
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import type { EventBridgeEvent } from 'aws-lambda';
import { MOTO_ACCOUNT_ID, MOTO_REGION, type MotoServer } from './moto';

/** An event as EventBridge delivers it to a target, and so as a function on the bus receives it. */
export type BusEvent = EventBridgeEvent<string, Record<string, unknown>>;

export interface TapBusOptions {
  busName: string;
  /** Also names the rule, so two taps on one bus do not replace each other. */
  queueName: string;
  /** The rule's event pattern (default: every event iam-posture publishes). */
  pattern?: Record<string, unknown>;
}

export interface BusTap {
  queueUrl: string;
  /** Every matching event that reached the bus since the last call, in order of arrival. */
  events(): Promise<BusEvent[]>;
}

const ALL_IAM_POSTURE_EVENTS = { source: ['iam-posture'] };

export async function tapBus(moto: MotoServer, options: TapBusOptions): Promise<BusTap> {
  const { busName, queueName, pattern = ALL_IAM_POSTURE_EVENTS } = options;
  const sqs = sqsClient(moto);
  const { QueueUrl: queueUrl } = await sqs<{ QueueUrl: string }>('CreateQueue', { QueueName: queueName });
  const eventBridge = new EventBridgeClient({ ...moto.clientConfig });
  try {
    await eventBridge.send(
      new PutRuleCommand({ Name: queueName, EventBusName: busName, EventPattern: JSON.stringify(pattern) }),
    );
    await eventBridge.send(
      new PutTargetsCommand({
        Rule: queueName,
        EventBusName: busName,
        Targets: [{ Id: 'queue', Arn: `arn:aws:sqs:${MOTO_REGION}:${MOTO_ACCOUNT_ID}:${queueName}` }],
      }),
    );
  } finally {
    eventBridge.destroy();
  }

  return {
    queueUrl,
    async events() {
      const events: BusEvent[] = [];
      for (;;) {
        const { Messages = [] } = await sqs<{ Messages?: { Body: string; ReceiptHandle: string }[] }>(
          'ReceiveMessage',
          { QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 },
        );
        if (Messages.length === 0) return events;
        for (const message of Messages) {
          events.push(JSON.parse(message.Body) as BusEvent);
          await sqs('DeleteMessage', { QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle });
        }
      }
    },
  };
}

/**
 * One call of moto's SQS JSON API. No SQS client is installed; moto routes the request by the
 * service in the credential scope and does not check the signature.
 */
function sqsClient(moto: MotoServer) {
  return async <T>(action: string, body: Record<string, unknown>): Promise<T> => {
    const response = await fetch(`${moto.endpoint}/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': `AmazonSQS.${action}`,
        authorization: `AWS4-HMAC-SHA256 Credential=${moto.clientConfig.credentials.accessKeyId}/20240101/${MOTO_REGION}/sqs/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`SQS ${action} failed: HTTP ${response.status} ${text}`);
    return (text ? JSON.parse(text) : {}) as T;
  };
}
