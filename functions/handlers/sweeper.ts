import type { Context, ScheduledEvent } from 'aws-lambda';
import { parseSweeperConfig } from '../core/sweeper-function-config';
import { type SweepDeps, type SweepReport, sweepRequests } from '../use-cases/sweep-requests';
import { createObservability, instrument, type Observability } from '../wiring/powertools';
import { sweeperWiring } from '../wiring/sweeper';

/**
 * The request sweeper, run on a schedule: expires requests nobody answered in time and marks
 * executions that stopped without an outcome for attention (see `sweep-requests`). A failure is
 * thrown, so the invocation is recorded as failed and alarmed on; the next run sweeps again.
 */

/** The function's dependencies from its environment: its own role, region and table. */
export function sweeperHandlerDeps(env: NodeJS.ProcessEnv): SweepDeps {
  return sweeperWiring({}, parseSweeperConfig(env));
}

/** The handler over dependencies built once, on the first invocation, by `build`. */
export function createHandler(
  build: () => SweepDeps,
  observability: Observability = createObservability(),
): (event: ScheduledEvent, context: Context) => Promise<Omit<SweepReport, 'warnings'>> {
  const { logger } = observability;
  let deps: SweepDeps | undefined;
  return instrument(async () => {
    deps ??= build();
    const report = await sweepRequests(deps);
    for (const requestId of report.expired) logger.info('remediation request expired', { requestId });
    for (const requestId of report.attention) {
      logger.warn('remediation stopped without an outcome, marked for attention', { requestId });
    }
    for (const warning of report.warnings) logger.error('sweep follow-up failed', { warning });
    return { expired: report.expired, attention: report.attention, raced: report.raced };
  }, observability);
}

export const handler = createHandler(() => sweeperHandlerDeps(process.env));
