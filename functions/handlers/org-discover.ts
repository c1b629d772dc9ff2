import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { type OrgFunctionConfig, parseOrgFunctionConfig, parseStepInput } from '../core/org-function-config';
import { RUN_ID_PATTERN, RUN_ID_RULE } from '../core/organization-run-files';
import { type DiscoverDeps, discoverAccounts } from '../use-cases/org-discover';
import { accountDirectory } from '../wiring/org-steps';
import { createObservability, instrument, type Observability } from '../wiring/powertools';
import { runFiles } from '../wiring/run-files';

/**
 * The organization run's first step: lists the accounts to scan into the runs bucket, where the
 * state machine's Map reads them. Input `{ runId, accounts? }` (`accounts`: rescan only these).
 */

export interface DiscoverHandlerDeps {
  config: OrgFunctionConfig;
  discover: DiscoverDeps;
}

/** The function's dependencies from its environment: the Lambda's own role and region. */
export function discoverHandlerDeps(env: NodeJS.ProcessEnv): DiscoverHandlerDeps {
  const config = parseOrgFunctionConfig(env);
  return {
    config,
    discover: {
      directory: accountDirectory({}),
      files: runFiles({}, config.runsBucket),
      now: () => new Date(),
    },
  };
}

export const DiscoverInputSchema = z.object({
  runId: z.string({ error: 'is required' }).regex(RUN_ID_PATTERN, RUN_ID_RULE),
  accounts: z.array(z.string().regex(/^\d{12}$/, 'an account id is 12 digits')).nullish(),
});

export interface DiscoverOutput {
  runId: string;
  bucket: string;
  accountsKey: string;
  accounts: number;
  startedAt: string;
}

export function createHandler(
  build: () => DiscoverHandlerDeps,
  observability: Observability = createObservability(),
): (event: unknown, context: Context) => Promise<DiscoverOutput> {
  const { logger, metrics } = observability;
  let deps: DiscoverHandlerDeps | undefined;
  return instrument(async (event: unknown) => {
    try {
      deps ??= build();
    } catch (error) {
      logger.error('discover function misconfigured', { error: error as Error });
      throw error;
    }
    const { config, discover } = deps;
    const input = parseStepInput(DiscoverInputSchema, event, 'discover');
    try {
      const result = await discoverAccounts(discover, {
        runId: input.runId,
        selection: config.accountSelection,
        ...(input.accounts ? { accounts: input.accounts } : {}),
      });
      metrics.addMetric('AccountsSelected', MetricUnit.Count, result.accounts.length);
      logger.info('accounts discovered', {
        runId: result.runId,
        accounts: result.accounts.length,
        rescan: input.accounts !== undefined && input.accounts !== null,
      });
      return {
        runId: result.runId,
        bucket: config.runsBucket,
        accountsKey: result.accountsKey,
        accounts: result.accounts.length,
        startedAt: result.startedAt,
      };
    } catch (error) {
      logger.error('account discovery failed', { runId: input.runId, error: error as Error });
      throw error;
    }
  }, observability);
}

export const handler = createHandler(() => discoverHandlerDeps(process.env));
