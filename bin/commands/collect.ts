import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkExportDestination, writeExportDirectory } from '../../functions/adapters/export-writer';
import {
  checkOrganizationDestination,
  finishOrganizationExport,
} from '../../functions/adapters/organization-export';
import { createStatusLine } from '../../functions/adapters/status-line';
import { mapWithConcurrency } from '../../functions/core/limit';
import {
  type AccountOutcome,
  accountFields,
  countOutcomes,
  type MemberAccount,
} from '../../functions/core/organization-scan';
import type { ScanSettings } from '../../functions/core/settings';
import { apiCallSummary } from '../../functions/use-cases/analyze';
import type { CollectResult } from '../../functions/use-cases/collect';
import { failedOutcome } from '../../functions/use-cases/scan-organization';
import { organizationExitCode } from '../exit-codes';
import { EXIT, fail, type Io, loadSettings, MAX_GAPS_ON_STDERR } from './io';
import { type AwsOptions, liveAwsConfig, parseRegions } from './options';
import {
  accountProgress,
  accountSelection,
  DEFAULT_MEMBER_ROLE,
  DEFAULT_ORG_CONCURRENCY,
  newRunId,
  type OrganizationOptions,
  organizationFlagsGiven,
  outcomeTable,
  selectOrFail,
} from './organization';

/** The flags of a live collection (`collect`, and `scan` without `--export`). */
export interface LiveOptions extends AwsOptions {
  /** Every `--region` value; each may be a comma list, or `all`. */
  region?: string[];
  quiet?: boolean;
  /** Service-last-accessed jobs to generate at most; the collector's default otherwise. */
  serviceLastAccessedJobs?: number;
}

export interface CollectCommandOptions extends LiveOptions, OrganizationOptions {
  out: string;
  config?: string;
}

/** `collect`: the live account into an export directory that `scan --export` reads. */
export async function collectCommand(options: CollectCommandOptions, io: Io): Promise<number> {
  const settings = await loadSettings(options.config);
  if (options.org) return collectOrganizationCommand(options, settings, io);
  const orgFlags = organizationFlagsGiven(options);
  if (orgFlags.length > 0)
    fail(
      `${orgFlags.join(', ')} ${orgFlags.length === 1 ? 'applies' : 'apply'} to an organization collection: add --org`,
    );
  await checkExportDestination(options.out);
  const started = Date.now();
  const previous = await previousServiceLastAccessed(options.out);
  const result = await collectLive(options, settings, io, previous);
  const files = await writeExportDirectory(options.out, result.raw);
  io.stdout.write(collectSummary(result, options.out, files, Date.now() - started));
  return EXIT.ok;
}

/**
 * Collects the live account: the standard credential chain (or `--profile`), adaptive retries,
 * progress on a terminal's stderr unless `--quiet`.
 */
export async function collectLive(
  options: LiveOptions,
  settings: ScanSettings,
  io: Io,
  previousLastAccessed?: Record<string, unknown>,
): Promise<CollectResult> {
  const regions = parseRegions(options.region ?? []);
  // The AWS SDK loads only for commands that call AWS: an offline scan starts without it.
  const { liveCollector } = await import('../../functions/wiring/collect');
  const collector = liveCollector(liveAwsConfig(options, regions));
  const status = createStatusLine(io.stderr, { enabled: !options.quiet });
  try {
    return await collector.collect(
      {
        ...(regions ? { regions } : {}),
        settings,
        serviceLastAccessed: {
          ...(previousLastAccessed ? { previous: previousLastAccessed } : {}),
          ...(options.serviceLastAccessedJobs !== undefined
            ? { maxJobs: options.serviceLastAccessedJobs }
            : {}),
        },
      },
      (event) =>
        status.update(
          `iam-posture: ${event.message}${event.total === undefined ? '' : ` (${event.done ?? 0}/${event.total})`}`,
        ),
    );
  } finally {
    status.done();
    collector.destroy();
  }
}

/** Service-last-accessed results of the export being replaced: fresh ones need no new job. */
async function previousServiceLastAccessed(dir: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, 'service-last-accessed.json'), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function collectSummary(result: CollectResult, dir: string, files: string[], elapsedMs: number): string {
  const calls = apiCallSummary(result.apiCalls);
  const lastAccessed = result.serviceLastAccessed;
  const lines = [
    `Collected account ${result.accountId} into ${dir} (${files.length} files) in ${(elapsedMs / 1000).toFixed(1)} s`,
    `  secrets regions: ${result.regions.join(', ')}`,
    `  service last accessed: ${lastAccessed.generated} generated, ${lastAccessed.reused} reused, ${lastAccessed.deferred} deferred`,
    `  coverage gaps: ${result.coverageGaps.length}`,
    ...result.coverageGaps
      .slice(0, MAX_GAPS_ON_STDERR)
      .map((gap) => `    ${gap.source}${gap.detail ? ` (${gap.detail})` : ''}: ${gap.reason}`),
    ...(result.coverageGaps.length > MAX_GAPS_ON_STDERR
      ? [
          `    ... and ${result.coverageGaps.length - MAX_GAPS_ON_STDERR} more (scan the export to see them all)`,
        ]
      : []),
    `  API calls: ${calls.total}`,
    ...Object.entries(calls.byOperation).map(([operation, count]) => `    ${operation.padEnd(44)} ${count}`),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * `collect --org --out DIR`: every selected account through its member role into `DIR/<account
 * id>/`, with `DIR/accounts.json` (the accounts selected) and `DIR/outcomes.json` (each account's
 * outcome). An account that cannot be collected is an outcome, and its directory of an earlier
 * collection is removed rather than left to pass for this one.
 */
async function collectOrganizationCommand(
  options: CollectCommandOptions,
  settings: ScanSettings,
  io: Io,
): Promise<number> {
  await checkOrganizationDestination(options.out);
  const regions = parseRegions(options.region ?? []);
  const selection = accountSelection(options);
  const central = liveAwsConfig(options, regions);
  const [{ discoverMemberAccounts, memberAccess }, { liveCollector }] = await Promise.all([
    import('../../functions/wiring/organization'),
    import('../../functions/wiring/collect'),
  ]);
  const started = Date.now();
  const accounts = selectOrFail(await discoverMemberAccounts(central), selection);
  const runId = newRunId(new Date());
  const roleName = options.roleName ?? DEFAULT_MEMBER_ROLE;
  const access = memberAccess(central, {
    roleName,
    runId,
    ...(options.externalId ? { externalId: options.externalId } : {}),
  });
  const progress = accountProgress(io, options.quiet, accounts.length, 'collecting');
  const collected = new Set<string>();
  let outcomes: AccountOutcome[];
  try {
    outcomes = await mapWithConcurrency(
      accounts,
      options.concurrency ?? DEFAULT_ORG_CONCURRENCY,
      async (account) => {
        progress.start(account);
        const startedAt = new Date();
        let outcome: AccountOutcome;
        let collector: { destroy(): void } | undefined;
        try {
          let memberAws: Awaited<ReturnType<typeof access.memberConfig>>;
          try {
            memberAws = await access.memberConfig(account);
          } catch (error) {
            outcome = failedOutcome(account, startedAt, new Date(), error, 'assume');
            progress.done(outcome);
            return outcome;
          }
          const member = liveCollector(memberAws);
          collector = member;
          const dir = join(options.out, account.id);
          const previous = await previousServiceLastAccessed(dir);
          const result = await member.collect({
            ...(regions ? { regions } : {}),
            settings,
            serviceLastAccessed: {
              ...(previous ? { previous } : {}),
              ...(options.serviceLastAccessedJobs !== undefined
                ? { maxJobs: options.serviceLastAccessedJobs }
                : {}),
            },
          });
          if (result.accountId !== account.id) {
            throw new Error(
              `the member role answered for account ${result.accountId}, not ${account.id}; nothing was written for it`,
            );
          }
          await writeExportDirectory(dir, result.raw);
          collected.add(account.id);
          outcome = collectedOutcome(account, startedAt, result);
        } catch (error) {
          outcome = failedOutcome(account, startedAt, new Date(), error, 'scan');
        } finally {
          collector?.destroy();
        }
        progress.done(outcome);
        return outcome;
      },
    );
  } finally {
    access.destroy();
  }
  await finishOrganizationExport(options.out, accounts, outcomes, collected);
  const counts = countOutcomes(outcomes);
  io.stdout.write(
    `Collected organization run ${runId} into ${options.out} in ${((Date.now() - started) / 1000).toFixed(1)} s\n` +
      outcomeTable(outcomes, counts, { findings: false }),
  );
  return organizationExitCode(counts, EXIT.ok);
}

/** Complete, or partial naming the sources that were not fully read (deferred work is not a gap). */
function collectedOutcome(account: MemberAccount, startedAt: Date, result: CollectResult): AccountOutcome {
  const unreadSources = [
    ...new Set(result.coverageGaps.filter((gap) => gap.category !== 'Deferred').map((gap) => gap.source)),
  ].sort();
  return {
    ...accountFields(account),
    outcome: unreadSources.length > 0 ? 'partial' : 'complete',
    ...(unreadSources.length > 0
      ? { unreadSources, detail: `not fully read: ${unreadSources.join(', ')}` }
      : {}),
    apiCalls: apiCallSummary(result.apiCalls).total,
    findings: 0,
    opened: 0,
    resolved: 0,
    held: 0,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
  };
}
