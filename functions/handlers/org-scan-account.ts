import { randomBytes } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import type { GovernanceMetricsSink } from '../core/governance';
import {
  ORG_SCAN_TIME_MARGIN_MS,
  type OrgFunctionConfig,
  parseOrgFunctionConfig,
  parseStepInput,
} from '../core/org-function-config';
import { RUN_ID_PATTERN, RUN_ID_RULE } from '../core/organization-run-files';
import { MemberAccountSchema } from '../core/organization-scan';
import type { CollectOptions } from '../use-cases/collect';
import type { MemberAccess } from '../use-cases/org-run-ports';
import {
  type ScanStepDeps,
  type ScanStepInput,
  type ScanStepOptions,
  type ScanStepResult,
  scanAccountStep,
} from '../use-cases/org-scan-step';
import { lastAccessedCache } from '../wiring/collect';
import { memberAccess } from '../wiring/org-steps';
import { createObservability, instrument, type Observability } from '../wiring/powertools';
import { archiveDeps } from '../wiring/reports';
import { reviewsAfterScanIn, type StartReviewsAfterScan, startReviewsAfterScan } from '../wiring/review';
import { runFiles } from '../wiring/run-files';
import { powertoolsGovernanceMetrics, publishGovernanceMetrics, reviewStateReader } from '../wiring/scan';
import { eventPublisher, findingsStore } from '../wiring/stores';

/**
 * The organization run's per-account step (the Map's item processor): scans one member account
 * into the shared findings table, checkpointing to the runs bucket when its time budget is spent
 * (`done: false` and a `continuation` for the next invocation). With `error` (the Map's Catch),
 * it records the account as failed with a classified reason. After each stored scan, as the scan
 * function does for its own account, the member account's governance measures are published as
 * metrics dimensioned by it and, with `REVIEWS` enabled, its due review campaigns are started from
 * what the step read (one per member account per rhythm period).
 */

export interface ScanAccountHandlerDeps {
  config: OrgFunctionConfig;
  /** The step's dependencies for one run (the member role's session is named after it). */
  step(runId: string): ScanStepDeps;
  /** Where each member account's governance measures go as metrics; without it they are only stored. */
  governanceMetrics?: GovernanceMetricsSink;
  /** Entitlement reviews (`REVIEWS` enabled): starts the member account's due campaigns. */
  startDueReviews?: StartReviewsAfterScan;
}

/** The function's dependencies from its environment: the Lambda's own role, region and table. */
export function scanAccountHandlerDeps(
  env: NodeJS.ProcessEnv,
  logger?: Pick<Logger, 'warn'>,
): ScanAccountHandlerDeps {
  const config = parseOrgFunctionConfig(env);
  const files = runFiles({}, config.runsBucket);
  const store = findingsStore({}, config.scan.findingsTableName);
  const startDueReviews = reviewsAfterScanIn({}, env, config.scan);
  const scan = {
    store,
    events: eventPublisher({}, config.scan.eventBusName),
    // Each member account's report, under reports/<member account>/, when the stack archives reports,
    // with the account's measures over its last scans.
    ...(config.scan.reports ? { ...archiveDeps({}, config.scan.reports), history: store } : {}),
    // Where reviews are enabled, each member account's overdue reviews and attestations, as the
    // scan function reads its own account's.
    ...(startDueReviews ? { reviewState: reviewStateReader({}, config.scan.findingsTableName) } : {}),
    now: () => new Date(),
    randomSuffix: () => randomBytes(4).toString('hex'),
  };
  const lastAccessed = {
    cache: lastAccessedCache({}, config.scan.findingsTableName, {
      onWarning: (message, warning) => logger?.warn(message, { ...warning }),
    }),
    warn: (message: string, fields: Record<string, unknown>) => logger?.warn(message, fields),
  };
  const members = (runId: string): MemberAccess =>
    memberAccess(
      {},
      {
        roleName: config.memberRoleName,
        ...(config.memberExternalId ? { externalId: config.memberExternalId } : {}),
        runId,
      },
    );
  return {
    config,
    governanceMetrics: powertoolsGovernanceMetrics(),
    ...(startDueReviews ? { startDueReviews } : {}),
    step: (runId) => ({
      files,
      members: members(runId),
      scan,
      now: () => new Date(),
      clock: () => performance.now(),
      lastAccessed,
    }),
  };
}

const runId = z.string({ error: 'is required' }).regex(RUN_ID_PATTERN, RUN_ID_RULE);

export const ScanAccountInputSchema = z.object({
  runId,
  account: MemberAccountSchema,
  continuation: z.string().min(1, 'must not be empty').nullish(),
  error: z.object({ Error: z.string({ error: 'is required' }), Cause: z.string().nullish() }).nullish(),
});

/** The step's options from the configuration and the invocation's remaining time. */
export function scanStepOptions(
  config: OrgFunctionConfig,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
): ScanStepOptions {
  const collect: CollectOptions = {
    settings: config.scan.settings,
    ...(config.scan.secretsRegions !== undefined ? { regions: config.scan.secretsRegions } : {}),
    serviceLastAccessed: { maxJobs: config.scan.serviceLastAccessedMaxJobs },
  };
  return {
    scan: {
      settings: config.scan.settings,
      ...(config.scan.resolvedTtlDays !== undefined ? { resolvedTtlDays: config.scan.resolvedTtlDays } : {}),
    },
    collect,
    budgetMs:
      config.timeBudgetMs ?? Math.max(0, context.getRemainingTimeInMillis() - ORG_SCAN_TIME_MARGIN_MS),
  };
}

export function createHandler(
  build: () => ScanAccountHandlerDeps,
  observability: Observability = createObservability(),
): (event: unknown, context: Context) => Promise<ScanStepResult> {
  const { logger, metrics } = observability;
  let deps: ScanAccountHandlerDeps | undefined;
  return instrument(async (event: unknown, context: Context) => {
    try {
      deps ??= build();
    } catch (error) {
      logger.error('scan account function misconfigured', { error: error as Error });
      throw error;
    }
    const parsed = parseStepInput(ScanAccountInputSchema, event, 'scan account');
    const input: ScanStepInput = parsed.error
      ? {
          runId: parsed.runId,
          account: parsed.account,
          error: { Error: parsed.error.Error, Cause: parsed.error.Cause ?? '' },
        }
      : {
          runId: parsed.runId,
          account: parsed.account,
          ...(parsed.continuation ? { continuation: parsed.continuation } : {}),
        };
    const keys = { runId: input.runId, accountId: input.account.id };
    try {
      const { governanceMetrics: sink, startDueReviews: start } = deps;
      const result = await scanAccountStep(
        {
          ...deps.step(input.runId),
          onScanned: async (scanned) => {
            publishGovernanceMetrics(sink, scanned, logger);
            if (start) await startReviewsAfterScan(scanned, () => start(scanned), logger);
          },
          warn: (message, fields) => logger.warn(message, fields),
        },
        input,
        scanStepOptions(deps.config, context),
      );
      if (!result.done) {
        metrics.addMetric('AccountStepsPaused', MetricUnit.Count, 1);
        logger.info('account collection checkpointed', { ...keys, continuation: result.continuation });
      } else if (result.outcome) {
        const { outcome } = result;
        metrics.addMetric(
          outcome.outcome === 'failed' ? 'AccountsFailed' : 'AccountsScanned',
          MetricUnit.Count,
          1,
        );
        metrics.addMetric('ApiCalls', MetricUnit.Count, outcome.apiCalls);
        const fields = {
          ...keys,
          outcome: outcome.outcome,
          reason: outcome.reason,
          detail: outcome.detail,
          findings: outcome.findings,
          apiCalls: outcome.apiCalls,
        };
        if (outcome.outcome === 'failed') logger.warn('account scan failed', fields);
        else logger.info('account scanned', fields);
      }
      return result;
    } catch (error) {
      logger.error('account step failed', { ...keys, error: error as Error });
      throw error;
    }
  }, observability);
}

const observability = createObservability();
export const handler = createHandler(
  () => scanAccountHandlerDeps(process.env, observability.logger),
  observability,
);
