import { join } from 'node:path';
import { readExportDirectory } from '../../functions/adapters/export-reader';
import { isOrganizationExport, readOrganizationExport } from '../../functions/adapters/organization-export';
import { checkOutputFile, writeFileAtomic } from '../../functions/adapters/output-file';
import { gapCount } from '../../functions/core/coverage-gaps';
import {
  type AccountOutcome,
  failedAccountOutcome,
  type MemberAccount,
  type OrganizationRun,
  type OutcomeCounts,
  organizationRun,
} from '../../functions/core/organization-scan';
import { regionProblem } from '../../functions/core/regions';
import {
  type AnalysisReport,
  type AsffLifecycle,
  type AsffReportOptions,
  asffFindings,
  CSV_COLUMNS,
  countAtOrAbove,
  formatCsv,
  formatOcsf,
  formatOrganizationHtml,
  formatReport,
  formatSarif,
  type ReportFormat,
  withMinSeverity,
} from '../../functions/core/report';
import type { Severity } from '../../functions/core/rule';
import type { ScanSettings } from '../../functions/core/settings';
import { analyzeAccount } from '../../functions/use-cases/analyze';
import type { CollectedInput, RunScanDeps, RunScanResult } from '../../functions/use-cases/run-scan';
import type { OrganizationScanDeps } from '../../functions/use-cases/scan-organization';
import type { AwsConfig } from '../../functions/wiring/aws';
import { organizationExitCode } from '../exit-codes';
import { collectLive, type LiveOptions } from './collect';
import { EXIT, fail, type Io, loadSettings, MAX_GAPS_ON_STDERR, noColor } from './io';
import { liveAwsConfig, parseRegions, tableAwsConfig } from './options';
import {
  accountProgress,
  accountSelection,
  countsLine,
  DEFAULT_MEMBER_ROLE,
  DEFAULT_ORG_CONCURRENCY,
  newRunId,
  type OrganizationOptions,
  organizationFlagsGiven,
  organizationJson,
  outcomeTable,
  selectOrFail,
} from './organization';
import { TOOL } from './tool';

export interface ScanOptions extends LiveOptions, OrganizationOptions {
  export?: string;
  asOf?: Date;
  config?: string;
  format: ReportFormat;
  output?: string;
  failOn?: Severity;
  minSeverity?: Severity;
  /** DynamoDB findings table to store the scan in (lifecycle: opened, resolved, ...). */
  table?: string;
  /** EventBridge bus for FindingOpened / FindingResolved / ScanCompleted (with --table). */
  eventBus?: string;
}

/** `scan`: analyse an export or the live account and report the findings. */
export async function scanCommand(options: ScanOptions, io: Io): Promise<number> {
  const settings = await loadSettings(options.config);
  if (options.output) await checkOutputFile(options.output);
  // A missing region fails here, before anything is read.
  asffOptions(options, io);
  if (options.eventBus && !options.table) {
    fail('--event-bus publishes what a stored scan changed: add --table NAME');
  }
  if (options.org) {
    if (options.export) {
      fail('--org scans the live organization; scan an organization export with --export DIR alone');
    }
    return organizationScanCommand(options, settings, io);
  }
  if (options.export && (await isOrganizationExport(options.export))) {
    return organizationExportScanCommand({ ...options, export: options.export }, settings, io);
  }
  const orgFlags = organizationFlagsGiven(options);
  if (orgFlags.length > 0) {
    fail(
      `${orgFlags.join(', ')} ${orgFlags.length === 1 ? 'applies' : 'apply'} to an organization scan: add --org, or --export an organization export`,
    );
  }
  if (options.table) return storedScanCommand({ ...options, table: options.table }, settings, io);
  if (options.export && (options.profile || options.region?.length || options.endpointUrl)) {
    fail('--profile, --region and --endpoint-url read a live account; they cannot be combined with --export');
  }
  const input = await readInput(options, settings, io);
  const full = analyzeAccount(input.raw, {
    settings,
    ...(options.asOf ? { asOf: options.asOf } : {}),
    now: new Date(),
    ...(input.apiCalls ? { apiCalls: input.apiCalls } : {}),
    posture: options.format === 'html',
  });
  await printReport(full, options, io, asffOptions(options, io));
  return exitForFindings(full, options.failOn, io);
}

/**
 * `scan --table`: the scan is reconciled with the stored findings and only what changed is written
 * (and published with --event-bus). --profile, --region and --endpoint-url also locate the table.
 */
async function storedScanCommand(
  options: ScanOptions & { table: string },
  settings: ScanSettings,
  io: Io,
): Promise<number> {
  const aws = await tableAwsConfig(options);
  const asff = asffOptions(options, io);
  const [{ runScan }, { scanDeps }] = await Promise.all([
    import('../../functions/use-cases/run-scan'),
    import('../../functions/wiring/scan'),
  ]);
  const result = await runScan(
    scanDeps({
      aws,
      table: options.table,
      ...(options.eventBus ? { eventBus: options.eventBus } : {}),
      collect: () => readInput(options, settings, io),
      trend: options.format === 'html',
    }),
    { settings, ...(options.asOf ? { asOf: options.asOf } : {}) },
  );
  await printReport(
    result.report,
    options,
    io,
    asff && { ...asff, lifecycle: await storedLifecycle(aws, options.table, result) },
  );
  const { record, writes } = result;
  if (record.outcome === 'superseded') {
    io.stderr.write(
      `iam-posture: warning: scan ${record.scanId} changed nothing in table ${options.table}: ` +
        `it already holds a scan of newer data than ${record.evaluatedAt} (recorded as superseded)\n`,
    );
  } else {
    const c = record.changes;
    io.stderr.write(
      `iam-posture: stored scan ${record.scanId} of account ${record.accountId} in table ${options.table}: ` +
        `${c.opened} opened, ${c.reopened} reopened, ${c.resolved} resolved, ${c['severity-changed']} severity changed, ` +
        `${c.suppressed + c['suppression-changed'] + c.unsuppressed} suppression changes, ${record.unchanged} unchanged, ` +
        `${record.held} held (not fully read)${record.unread?.length ? `, not read: ${record.unread.join(', ')}` : ''}; ${writes.writeRequests} write request${writes.writeRequests === 1 ? '' : 's'}, ` +
        `${writes.estimatedWcu} write units\n`,
    );
  }
  for (const warning of result.warnings) io.stderr.write(`iam-posture: warning: ${warning}\n`);
  return exitForFindings(result.report, options.failOn, io);
}

/** Where the raw AWS documents come from: an export directory, else the live account. */
export async function readInput(
  options: Pick<ScanOptions, 'export'> & LiveOptions,
  settings: ScanSettings,
  io: Io,
): Promise<CollectedInput> {
  if (options.export) return { raw: await readExportDirectory(options.export), origin: 'export' };
  const result = await collectLive(options, settings, io);
  const { collectedInput } = await import('../../functions/wiring/collect');
  return collectedInput(result);
}

/**
 * With `--format asff`: the Security Hub region the findings are for (their product ARN names it),
 * from AWS_REGION or AWS_DEFAULT_REGION, as the AWS CLI that imports them reads it.
 */
function asffOptions(options: Pick<ScanOptions, 'format'>, io: Io): AsffReportOptions | undefined {
  return options.format === 'asff' ? asffRegion(io) : undefined;
}

function asffRegion(io: Io): AsffReportOptions {
  const region = io.env.AWS_REGION || io.env.AWS_DEFAULT_REGION;
  if (!region) {
    fail(
      '--format asff names the Security Hub region in every finding: set AWS_REGION to the region you import into',
    );
  }
  const problem = regionProblem(region);
  if (problem) fail(`--format asff: AWS_REGION: ${problem}`);
  return { region };
}

/**
 * First-seen times and statuses as the findings table holds them after a stored scan, so an
 * import keeps each finding's first sighting; a finding the table cannot give is first seen now.
 */
async function storedLifecycle(
  aws: AwsConfig,
  table: string,
  result: RunScanResult,
): Promise<Map<string, AsffLifecycle>> {
  const { findingsStore } = await import('../../functions/wiring/stores');
  const loaded = await findingsStore(aws, table).loadAccount(result.accountId);
  const lifecycle = new Map<string, AsffLifecycle>();
  for (const stored of loaded.findings) {
    lifecycle.set(stored.id, {
      status: stored.status,
      firstSeenAt: stored.firstSeenAt,
      lastSeenAt: result.report.summary.evaluatedAt,
    });
  }
  return lifecycle;
}

/** The report (cut to `--min-severity`) on stdout or in `--output`, then its coverage gaps on stderr. */
async function printReport(
  full: AnalysisReport,
  options: Pick<ScanOptions, 'format' | 'output' | 'minSeverity'>,
  io: Io,
  asff?: AsffReportOptions,
): Promise<void> {
  const report = options.minSeverity ? withMinSeverity(full, options.minSeverity) : full;
  await emitReport(report, options, io, asff);
  warnAboutCoverage(full, options, io);
}

/** Formats the report for stdout (a terminal gets colour) or for `--output` (atomically written). */
async function emitReport(
  report: AnalysisReport,
  options: Pick<ScanOptions, 'format' | 'output'>,
  io: Io,
  asff?: AsffReportOptions,
): Promise<void> {
  const terminal = !options.output && io.stdout.isTTY === true;
  const text = formatReport(
    report,
    options.format,
    {
      color: terminal && !noColor(io.env),
      ...(terminal && io.stdout.columns ? { width: io.stdout.columns } : {}),
      ...(asff ? { asff } : {}),
    },
    TOOL,
  );
  if (!options.output) {
    io.stdout.write(text);
    return;
  }
  await writeFileAtomic(options.output, text);
  io.stderr.write(
    `iam-posture: wrote ${options.format} report to ${options.output} (${report.summary.total} findings)\n`,
  );
}

/** Coverage gaps are never silent: their count and where they are go to stderr. */
function warnAboutCoverage(
  report: AnalysisReport,
  options: Pick<ScanOptions, 'format' | 'output'>,
  io: Io,
): void {
  const gaps = report.coverage;
  if (gaps.length === 0) return;
  const bySource = new Map<string, number>();
  for (const gap of gaps) bySource.set(gap.source, (bySource.get(gap.source) ?? 0) + 1);
  const where = [...bySource].map(([source, count]) => `${source} (${count})`).join(', ');
  const occurrences = gaps.reduce((sum, gap) => sum + gapCount(gap), 0);
  const seen = occurrences > gaps.length ? ` (seen ${occurrences} times)` : '';
  const listedInOutput = options.format === 'table' && !options.output;
  io.stderr.write(
    `iam-posture: warning: ${gaps.length} coverage gap${gaps.length === 1 ? '' : 's'}${seen} in ${where}; ` +
      `findings there may be incomplete${listedInOutput ? ' (listed above)' : ''}\n`,
  );
  if (listedInOutput) return;
  const shown = gaps.slice(0, MAX_GAPS_ON_STDERR);
  for (const gap of shown) {
    const times = gap.count === undefined ? '' : `, ${gap.count} times`;
    io.stderr.write(`  ${gap.source}${gap.detail ? ` ${gap.detail}` : ''}${times}: ${gap.reason}\n`);
  }
  if (gaps.length > shown.length) {
    io.stderr.write(`  ... and ${gaps.length - shown.length} more (see "coverage" in --format json)\n`);
  }
}

/**
 * 1 when an unsuppressed finding is at or above `--fail-on`, whatever `--min-severity` hides; one
 * line on stderr says how many.
 */
function exitForFindings(report: AnalysisReport, failOn: Severity | undefined, io: Io): number {
  if (!failOn) return EXIT.ok;
  const count = countAtOrAbove(report, failOn);
  if (count === 0) return EXIT.ok;
  io.stderr.write(
    `iam-posture: ${count} unsuppressed finding${count === 1 ? '' : 's'} at or above ${failOn} (--fail-on ${failOn})\n`,
  );
  return EXIT.findings;
}

// ------------------------------------------------------------------------- organization scans

/**
 * `scan --org`: every selected account of the organization, each through its member role, with
 * the same per-account scan as a single account; an account that fails is an outcome, the others
 * are scanned and reported. With --table every account is stored into the one table.
 */
async function organizationScanCommand(
  options: ScanOptions,
  settings: ScanSettings,
  io: Io,
): Promise<number> {
  const regions = parseRegions(options.region ?? []);
  const selection = accountSelection(options);
  const central = options.table ? await tableAwsConfig(options) : liveAwsConfig(options, regions);
  // The AWS SDK loads only for commands that call AWS: an offline scan starts without it.
  const [{ discoverMemberAccounts, organizationScanDeps }, { collectedInput }] = await Promise.all([
    import('../../functions/wiring/organization'),
    import('../../functions/wiring/collect'),
  ]);
  const accounts = selectOrFail(await discoverMemberAccounts(central), selection);
  const runId = newRunId(new Date());
  const roleName = options.roleName ?? DEFAULT_MEMBER_ROLE;
  if (!options.quiet) {
    io.stderr.write(
      `iam-posture: organization run ${runId}: ${accounts.length} account${accounts.length === 1 ? '' : 's'}, ` +
        `role ${roleName}, ${options.concurrency ?? DEFAULT_ORG_CONCURRENCY} at a time\n`,
    );
  }
  const deps = organizationScanDeps({
    aws: central,
    access: { roleName, runId, ...(options.externalId ? { externalId: options.externalId } : {}) },
    ...(options.table ? { table: options.table } : {}),
    ...(options.eventBus ? { eventBus: options.eventBus } : {}),
    collect: async (_account, collector) =>
      collectedInput(
        await collector.collect({
          ...(regions ? { regions } : {}),
          settings,
          ...(options.serviceLastAccessedJobs !== undefined
            ? { serviceLastAccessed: { maxJobs: options.serviceLastAccessedJobs } }
            : {}),
        }),
      ),
  });
  try {
    return await runOrganizationScan(deps, accounts, [], runId, options, settings, io, {
      ...(options.table ? { record: await runRecorder(central, options.table) } : {}),
    });
  } finally {
    deps.destroy();
  }
}

/**
 * `scan --export DIR` on an organization export: every account directory, each a failed outcome
 * when it cannot be read; an account `collect --org` could not collect is failed with the reason
 * it recorded. The same selection flags apply.
 */
async function organizationExportScanCommand(
  options: ScanOptions & { export: string },
  settings: ScanSettings,
  io: Io,
): Promise<number> {
  if (options.roleName !== undefined || options.externalId !== undefined) {
    fail('--role-name and --external-id assume roles in a live organization; an export is read as it is');
  }
  if (!options.table && (options.profile || options.region?.length || options.endpointUrl)) {
    fail('--profile, --region and --endpoint-url read a live account; they cannot be combined with --export');
  }
  const dir = options.export;
  const organization = await readOrganizationExport(dir);
  const selected = selectOrFail(organization.accounts, accountSelection(options));
  const now = new Date();
  const notCollected = selected
    .filter((account) => !organization.collected.has(account.id))
    .map((account) => notCollectedOutcome(account, dir, organization.outcomes.get(account.id), now));
  const central = options.table ? await tableAwsConfig(options) : undefined;
  const [{ unstoredScanDeps }, scanWiring] = await Promise.all([
    import('../../functions/wiring/unstored-scan'),
    central ? import('../../functions/wiring/scan') : Promise.resolve(undefined),
  ]);
  const deps: OrganizationScanDeps = {
    async accountDeps(account) {
      const collect = async (): Promise<CollectedInput> => ({
        raw: await readExportDirectory(join(dir, account.id)),
        origin: 'export',
      });
      const scan: RunScanDeps =
        central && scanWiring && options.table
          ? scanWiring.scanDeps({
              aws: central,
              table: options.table,
              ...(options.eventBus ? { eventBus: options.eventBus } : {}),
              collect,
            })
          : unstoredScanDeps(collect);
      return { scan };
    },
    now: () => new Date(),
  };
  const toScan = selected.filter((account) => organization.collected.has(account.id));
  return runOrganizationScan(deps, toScan, notCollected, newRunId(now), options, settings, io, {
    order: selected,
    ...(central && options.table ? { record: await runRecorder(central, options.table) } : {}),
  });
}

/** An account of the export without a directory: failed, with what the collection recorded. */
function notCollectedOutcome(
  account: MemberAccount,
  dir: string,
  collected: AccountOutcome | undefined,
  now: Date,
): AccountOutcome {
  const why =
    collected?.outcome === 'failed'
      ? `: ${collected.reason}${collected.detail ? `: ${collected.detail}` : ''}`
      : '';
  return failedAccountOutcome(account, {
    reason: collected?.outcome === 'failed' && collected.reason ? collected.reason : 'error',
    detail: `${join(dir, account.id)} is missing: the account was not collected${why}`,
    startedAt: now.toISOString(),
    finishedAt: now.toISOString(),
  });
}

/** Stores an organization run's record in the findings table, for `findings --org`. */
type RunRecorder = (run: OrganizationRun) => Promise<void>;

async function runRecorder(aws: AwsConfig, table: string): Promise<RunRecorder> {
  const { findingsStore } = await import('../../functions/wiring/stores');
  return (run) => findingsStore(aws, table).recordOrganizationRun(run);
}

async function runOrganizationScan(
  deps: OrganizationScanDeps,
  accounts: readonly MemberAccount[],
  failedBefore: readonly AccountOutcome[],
  runId: string,
  options: ScanOptions,
  settings: ScanSettings,
  io: Io,
  extra: {
    /** Every selected account, in report order. Default: `accounts`. */
    order?: readonly MemberAccount[];
    record?: RunRecorder;
  } = {},
): Promise<number> {
  const order = extra.order ?? accounts;
  const { scanOrganization } = await import('../../functions/use-cases/scan-organization');
  const progress = accountProgress(io, options.quiet, accounts.length, 'scanning');
  const { run, results } = await scanOrganization(deps, accounts, {
    settings,
    runId,
    ...(options.asOf ? { asOf: options.asOf } : {}),
    concurrency: options.concurrency ?? DEFAULT_ORG_CONCURRENCY,
    onAccountStart: (account) => progress.start(account),
    onAccountDone: (outcome) => progress.done(outcome),
  });
  const recorded = organizationRun({
    runId: run.runId,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    accounts: order,
    outcomes: [...run.outcomes, ...failedBefore],
  });
  const { outcomes, counts } = recorded;
  if (extra.record) {
    try {
      await extra.record(recorded);
    } catch (error) {
      // The accounts' findings are stored already; only the run's summary is missing.
      io.stderr.write(
        `iam-posture: warning: the organization run record was not stored (findings --org will not show this run): ${
          error instanceof Error ? error.message : String(error)
        }\n`,
      );
    }
  }
  await printOrganizationReport({ ...run, counts }, outcomes, results, options, io);
  const findingsExit = exitForOrganizationFindings(results, options.failOn, io);
  return organizationExitCode(counts, findingsExit);
}

async function printOrganizationReport(
  run: { runId: string; startedAt: string; finishedAt: string; counts: OutcomeCounts },
  outcomes: readonly AccountOutcome[],
  results: ReadonlyMap<string, RunScanResult>,
  options: ScanOptions,
  io: Io,
): Promise<void> {
  const reports = new Map<string, AnalysisReport>();
  for (const outcome of outcomes) {
    const result = results.get(outcome.accountId);
    if (!result) continue;
    reports.set(
      outcome.accountId,
      options.minSeverity ? withMinSeverity(result.report, options.minSeverity) : result.report,
    );
  }
  const table = outcomeTable(outcomes, run.counts);
  const terminal = !options.output && io.stdout.isTTY === true;
  let text: string;
  switch (options.format) {
    case 'json':
      text = organizationJson(run, outcomes, reports, Boolean(options.table));
      break;
    case 'csv': {
      const rows = [...reports.values()].flatMap((report) => formatCsv(report).split('\r\n').slice(1, -1));
      text = `${[CSV_COLUMNS.join(','), ...rows].join('\r\n')}\r\n`;
      break;
    }
    case 'html':
      text = formatOrganizationHtml({ ...run, accounts: outcomes }, [...reports.values()]);
      break;
    case 'asff': {
      const asff = asffRegion(io);
      const findings = [...reports.values()].flatMap((report) => asffFindings(report, asff));
      text = `${JSON.stringify(findings, null, 2)}\n`;
      break;
    }
    case 'table': {
      const tableOptions = {
        color: terminal && !noColor(io.env),
        ...(terminal && io.stdout.columns ? { width: io.stdout.columns } : {}),
      };
      const parts = [...reports.values()].map((report) => formatReport(report, 'table', tableOptions, TOOL));
      text = [...parts, table].join('\n');
      break;
    }
    case 'sarif':
      text = formatSarif([...reports.values()], TOOL, {
        unscannedAccounts: outcomes
          .filter((o) => !reports.has(o.accountId))
          .map((o) => ({
            accountId: o.accountId,
            reason: `${o.outcome}${o.reason ? ` (${o.reason})` : ''}${o.detail ? `: ${o.detail}` : ''}`,
          })),
      });
      break;
    case 'ocsf':
      text = formatOcsf([...reports.values()], TOOL);
      break;
  }
  if (options.output) {
    await writeFileAtomic(options.output, text);
    io.stderr.write(
      `iam-posture: wrote ${options.format} report of organization run ${run.runId} to ${options.output} (${countsLine(run.counts)})\n`,
    );
  } else {
    io.stdout.write(text);
  }
  // The outcome table is part of a table report; beside JSON or CSV it goes to stderr.
  if (options.format !== 'table' || options.output) io.stderr.write(table);
  if (options.table) {
    let opened = 0;
    let resolved = 0;
    let held = 0;
    for (const o of outcomes) {
      opened += o.opened;
      resolved += o.resolved;
      held += o.held;
    }
    io.stderr.write(
      `iam-posture: stored ${reports.size} account scan${reports.size === 1 ? '' : 's'} in table ${options.table}: ` +
        `${opened} opened, ${resolved} resolved, ${held} held (not fully read); failed accounts were not touched\n`,
    );
  }
  for (const [accountId, result] of results) {
    if (result.record.outcome === 'superseded') {
      io.stderr.write(
        `iam-posture: warning: account ${accountId}: table ${options.table} already holds a scan of newer data (recorded as superseded)\n`,
      );
    }
    for (const warning of result.warnings)
      io.stderr.write(`iam-posture: warning: account ${accountId}: ${warning}\n`);
  }
}

/** `--fail-on` over every account's report: 1 when any unsuppressed finding is at or above it. */
function exitForOrganizationFindings(
  results: ReadonlyMap<string, RunScanResult>,
  failOn: Severity | undefined,
  io: Io,
): number {
  if (!failOn) return EXIT.ok;
  let count = 0;
  for (const result of results.values()) count += countAtOrAbove(result.report, failOn);
  if (count === 0) return EXIT.ok;
  io.stderr.write(
    `iam-posture: ${count} unsuppressed finding${count === 1 ? '' : 's'} at or above ${failOn} (--fail-on ${failOn}) across the organization\n`,
  );
  return EXIT.findings;
}
