import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';

/**
 * The one Powertools setup of the functions. The service name and the metrics namespace come
 * from `POWERTOOLS_SERVICE_NAME` and `POWERTOOLS_METRICS_NAMESPACE`, which the stack sets per
 * function; nothing here overrides them. `instrument` adds the Lambda context to every log line
 * and lets Powertools flush the metrics at the end of each invocation, thrown or not.
 */

export interface Observability {
  logger: Logger;
  metrics: Metrics;
}

export function createObservability(): Observability {
  return { logger: new Logger(), metrics: new Metrics() };
}

/** A Lambda handler with the Lambda context in its logs and its metrics flushed by Powertools. */
export function instrument<Event, Result>(
  handler: (event: Event, context: Context) => Promise<Result>,
  { logger, metrics }: Observability,
): (event: Event, context: Context) => Promise<Result> {
  return middy(handler)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics)) as unknown as (event: Event, context: Context) => Promise<Result>;
}
