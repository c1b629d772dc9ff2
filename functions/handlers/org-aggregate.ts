import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import {
  type OrgFunctionConfig,
  OrgStepInputError,
  parseOrgFunctionConfig,
  parseStepInput,
} from '../core/org-function-config';
import { RUN_ID_PATTERN, RUN_ID_RULE } from '../core/organization-run-files';
import type { OutcomeCounts } from '../core/organization-scan';
import { type AggregateDeps, aggregateOrganizationRun } from '../use-cases/org-aggregate';
import { createObservability, instrument, type Observability } from '../wiring/powertools';
import { runFiles } from '../wiring/run-files';
import { eventPublisher, findingsStore } from '../wiring/stores';

/**
 * The organization run's last step: every account's outcome into one run record (findings table
 * and runs bucket) and one `OrganizationScanCompleted` event.
 */

export interface AggregateHandlerDeps {
  config: OrgFunctionConfig;
  aggregate: AggregateDeps;
}

/** The function's dependencies from its environment: the Lambda's own role, region and table. */
export function aggregateHandlerDeps(env: NodeJS.ProcessEnv): AggregateHandlerDeps {
  const config = parseOrgFunctionConfig(env);
  return {
    config,
    aggregate: {
      files: runFiles({}, config.runsBucket),
      store: findingsStore({}, config.scan.findingsTableName),
      events: eventPublisher({}, config.scan.eventBusName),
      now: () => new Date(),
    },
  };
}

export const AggregateInputSchema = z.object({
  runId: z.string({ error: 'is required' }).regex(RUN_ID_PATTERN, RUN_ID_RULE),
  bucket: z.string({ error: 'is required' }).min(1, 'is required'),
  accountsKey: z.string({ error: 'is required' }).min(1, 'is required'),
  startedAt: z.iso.datetime({ offset: true, error: 'must be an ISO-8601 time' }),
});

export interface AggregateOutput {
  runId: string;
  counts: OutcomeCounts;
}

export function createHandler(
  build: () => AggregateHandlerDeps,
  observability: Observability = createObservability(),
): (event: unknown, context: Context) => Promise<AggregateOutput> {
  const { logger, metrics } = observability;
  let deps: AggregateHandlerDeps | undefined;
  return instrument(async (event: unknown) => {
    try {
      deps ??= build();
    } catch (error) {
      logger.error('aggregate function misconfigured', { error: error as Error });
      throw error;
    }
    const { config, aggregate } = deps;
    const input = parseStepInput(AggregateInputSchema, event, 'aggregate');
    if (input.bucket !== config.runsBucket) {
      throw new OrgStepInputError('aggregate', [
        `bucket: "${input.bucket}" is not the runs bucket of this function (ORG_RUNS_BUCKET "${config.runsBucket}")`,
      ]);
    }
    try {
      const { run, events } = await aggregateOrganizationRun(aggregate, input);
      metrics.addMetric('AccountsComplete', MetricUnit.Count, run.counts.complete);
      metrics.addMetric('AccountsPartial', MetricUnit.Count, run.counts.partial);
      metrics.addMetric('AccountsFailed', MetricUnit.Count, run.counts.failed);
      for (const failed of events?.failed ?? []) {
        logger.warn('event not published', {
          runId: run.runId,
          detailType: failed.detailType,
          errorCode: failed.errorCode,
        });
      }
      logger.info('organization run recorded', { runId: run.runId, counts: run.counts });
      return { runId: run.runId, counts: run.counts };
    } catch (error) {
      logger.error('organization run aggregation failed', { runId: input.runId, error: error as Error });
      throw error;
    }
  }, observability);
}

export const handler = createHandler(() => aggregateHandlerDeps(process.env));
