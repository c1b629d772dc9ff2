import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { CollectionError } from '../functions/adapters/aws/errors';
import { ConfigFileError, loadScanSettings } from '../functions/adapters/config-file';
import { ExportReadError, readExportDirectory } from '../functions/adapters/export-reader';
import {
  checkExportDestination,
  ExportWriteError,
  writeExportDirectory,
} from '../functions/adapters/export-writer';
import { checkOutputFile, OutputFileError, writeFileAtomic } from '../functions/adapters/output-file';
import { createStatusLine } from '../functions/adapters/status-line';
import { gapCount } from '../functions/core/coverage-gaps';
import { parseAwsTimestamp, TimestampFormatError } from '../functions/core/credential-report';
import { FINDING_STATUSES, type FindingStatus } from '../functions/core/lifecycle';
import type { RawAccountData } from '../functions/core/raw';
import { regionProblem } from '../functions/core/regions';
import type { Actor } from '../functions/core/remediation/request';
import {
  type AnalysisReport,
  type ApiCallSummary,
  catalogEntries,
  countAtOrAbove,
  formatCatalogJson,
  formatCatalogTable,
  formatReport,
  REPORT_FORMATS,
  type ReportFormat,
  withMinSeverity,
} from '../functions/core/report';
import { SEVERITIES, type Severity } from '../functions/core/rule';
import { RULES } from '../functions/core/rules';
import {
  DEFAULT_SETTINGS,
  ruleIdProblem,
  type ScanSettings,
  SettingsError,
} from '../functions/core/settings';
import { analyzeAccount } from '../functions/use-cases/analyze';
import { type CollectResult, collectAccount } from '../functions/use-cases/collect';
import {
  createRemediationRequest,
  type ExecutionOutcome,
  type RemediationDeps,
} from '../functions/use-cases/execute-remediation';
import {
  FINDINGS_FORMATS,
  type FindingsFormat,
  formatFindingsListing,
  listStoredFindings,
} from '../functions/use-cases/list-findings';
import { rollbackRemediation } from '../functions/use-cases/rollback';
import packageJson from '../package.json';

/**
 * The `iam-posture` command line. Each command is one function taking its parsed options and the
 * process streams and returning an exit code; errors are mapped to exit codes in one place
 * (`exitCodeFor`), so a command only throws or calls `fail`.
 */

/** Exit codes: the documented contract of the CLI. */
const EXIT = {
  ok: 0,
  /** Findings at or above `--fail-on`. */
  findings: 1,
  /** Bad usage or unusable input (export, config file). */
  input: 2,
  /** A defect in iam-posture itself. */
  internal: 3,
} as const;

interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
}

/** A usage problem found by a command (a missing or contradictory option). */
class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Stops the command with a one-line message and exit code 2. */
function fail(message: string): never {
  throw new UsageError(message);
}

// ------------------------------------------------------------------------------------------ scan

interface ScanOptions extends LiveOptions {
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

async function scanCommand(options: ScanOptions, io: Io): Promise<number> {
  const settings = await loadSettings(options.config);
  if (options.output) await checkOutputFile(options.output);
  if (options.table) return storedScanCommand({ ...options, table: options.table }, settings, io);
  if (options.eventBus) fail('--event-bus publishes what a stored scan changed: add --table NAME');
  const { raw, apiCalls } = await readInput(options, settings, io);
  const full = analyzeAccount(raw, {
    settings,
    ...(options.asOf ? { asOf: options.asOf } : {}),
    now: new Date(),
  });
  if (apiCalls) full.summary.apiCalls = apiCalls;
  const report = options.minSeverity ? withMinSeverity(full, options.minSeverity) : full;
  await emitReport(report, options, io);
  warnAboutCoverage(full, options, io);
  return exitForFindings(full, options.failOn, io);
}

/** Where the raw AWS documents come from: an export directory, else the live account. */
async function readInput(
  options: ScanOptions,
  settings: ScanSettings,
  io: Io,
): Promise<{ raw: RawAccountData; apiCalls?: ApiCallSummary }> {
  if (options.export) {
    if (options.profile || options.region?.length || options.endpointUrl) {
      fail(
        '--profile, --region and --endpoint-url read a live account; they cannot be combined with --export',
      );
    }
    return { raw: await readExportDirectory(options.export) };
  }
  const collected = await collectLive(options, settings, io);
  return { raw: collected.raw, apiCalls: apiCallSummary(collected.apiCalls) };
}

async function loadSettings(file: string | undefined): Promise<ScanSettings> {
  return file ? loadScanSettings(file) : DEFAULT_SETTINGS;
}

/** Formats the report for stdout (a terminal gets colour) or for `--output` (atomically written). */
async function emitReport(
  report: AnalysisReport,
  options: Pick<ScanOptions, 'format' | 'output'>,
  io: Io,
): Promise<void> {
  const terminal = !options.output && io.stdout.isTTY === true;
  const text = formatReport(report, options.format, {
    color: terminal && !noColor(io.env),
    ...(terminal && io.stdout.columns ? { width: io.stdout.columns } : {}),
  });
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

const MAX_GAPS_ON_STDERR = 10;

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

// --------------------------------------------------------------------------------------- collect

interface LiveOptions {
  profile?: string;
  /** Every `--region` value; each may be a comma list, or `all`. */
  region?: string[];
  endpointUrl?: string;
  quiet?: boolean;
}

interface CollectCommandOptions extends LiveOptions {
  out: string;
  config?: string;
}

async function collectCommand(options: CollectCommandOptions, io: Io): Promise<number> {
  const settings = await loadSettings(options.config);
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
async function collectLive(
  options: LiveOptions,
  settings: ScanSettings,
  io: Io,
  previousLastAccessed?: Record<string, unknown>,
): Promise<CollectResult> {
  const regions = parseRegions(options.region ?? []);
  // The AWS SDK loads only for commands that call AWS: an offline scan starts without it.
  const [{ createAwsClients }, { AwsCollector }] = await Promise.all([
    import('../functions/adapters/aws/clients'),
    import('../functions/adapters/aws/collector'),
  ]);
  const clients = createAwsClients({
    ...(options.profile ? { profile: options.profile } : {}),
    ...(Array.isArray(regions) ? { region: regions[0] } : {}),
    ...(options.endpointUrl ? { endpoint: options.endpointUrl } : {}),
  });
  const status = createStatusLine(io.stderr, { enabled: !options.quiet });
  try {
    return await collectAccount(
      { source: new AwsCollector(clients), now: () => new Date() },
      {
        ...(regions ? { regions } : {}),
        settings,
        ...(previousLastAccessed ? { serviceLastAccessed: { previous: previousLastAccessed } } : {}),
      },
      (event) =>
        status.update(
          `iam-posture: ${event.message}${event.total === undefined ? '' : ` (${event.done ?? 0}/${event.total})`}`,
        ),
    );
  } finally {
    status.done();
    clients.destroy();
  }
}

/** `--region a,b --region c` -> [a, b, c]; `all` stands alone; nothing means the home region. */
function parseRegions(values: string[]): string[] | 'all' | undefined {
  const regions = [
    ...new Set(values.flatMap((value) => value.split(',')).map((value) => value.trim())),
  ].filter((value) => value !== '');
  if (regions.length === 0) return undefined;
  if (regions.includes('all')) {
    if (regions.length > 1)
      fail('--region all lists every enabled region; it cannot be combined with other regions');
    return 'all';
  }
  for (const region of regions) {
    const problem = regionProblem(region);
    if (problem) fail(`--region: ${problem} (or all)`);
  }
  return regions;
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

function apiCallSummary(byOperation: Record<string, number>): ApiCallSummary {
  return { total: Object.values(byOperation).reduce((sum, count) => sum + count, 0), byOperation };
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

const collectRegion = (value: string, previous: string[] = []): string[] => [...previous, value];

// ------------------------------------------------------------------------------- findings store

interface TableOptions {
  profile?: string;
  /** The first region named is the table's (and a live scan's home region). */
  region?: string | string[];
  endpointUrl?: string;
}

/** Where the findings table is: the first --region, else the profile's or AWS_REGION, else us-east-1. */
async function tableClientConfig(options: TableOptions) {
  const { createAwsClients } = await import('../functions/adapters/aws/clients');
  const named = [options.region ?? []]
    .flat()
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .find((value) => value !== '' && value !== 'all');
  const problem = named === undefined ? undefined : regionProblem(named);
  if (problem) fail(`--region: ${problem}`);
  const region = await createAwsClients({
    ...(options.profile ? { profile: options.profile } : {}),
    ...(named ? { region: named } : {}),
  }).homeRegion();
  return {
    region,
    ...(options.profile ? { profile: options.profile } : {}),
    ...(options.endpointUrl ? { endpoint: options.endpointUrl } : {}),
  };
}

async function findingsStore(table: string, options: TableOptions) {
  const [{ DynamoDBClient }, { DynamoFindingsStore }] = await Promise.all([
    importCommonJs(import('@aws-sdk/client-dynamodb')),
    import('../functions/adapters/dynamo-findings-store'),
  ]);
  const config = await tableClientConfig(options);
  return { store: new DynamoFindingsStore(new DynamoDBClient(config), table), config };
}

/** `table create`: the findings table as the stack defines it, for scans without the stack. */
async function tableCreateCommand(options: TableOptions & { table: string }, io: Io): Promise<number> {
  const [{ DynamoDBClient }, { createFindingsTable }] = await Promise.all([
    importCommonJs(import('@aws-sdk/client-dynamodb')),
    import('../functions/adapters/findings-table-admin'),
  ]);
  const client = new DynamoDBClient(await tableClientConfig(options));
  try {
    const created = await createFindingsTable(client, options.table);
    io.stdout.write(
      `Created findings table ${created.tableName} in region ${created.region} ` +
        `(on-demand, TTL on ${created.timeToLiveAttribute}).\n` +
        `Store scans in it with: iam-posture scan ... --table ${created.tableName} --region ${created.region}\n`,
    );
    return EXIT.ok;
  } finally {
    client.destroy();
  }
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
  const [{ runScan }, { EventBridgePublisher }, { EventBridgeClient }] = await Promise.all([
    import('../functions/use-cases/run-scan'),
    import('../functions/adapters/event-publisher'),
    importCommonJs(import('@aws-sdk/client-eventbridge')),
  ]);
  const { store, config } = await findingsStore(options.table, options);
  let apiCalls: ApiCallSummary | undefined;
  const result = await runScan(
    {
      collect: async () => {
        const input = await readInput(
          options.export
            ? { ...options, profile: undefined, region: undefined, endpointUrl: undefined }
            : options,
          settings,
          io,
        );
        apiCalls = input.apiCalls;
        return {
          raw: input.raw,
          origin: options.export ? 'export' : 'live',
          ...(input.apiCalls ? { apiCalls: input.apiCalls.byOperation } : {}),
        };
      },
      store,
      ...(options.eventBus
        ? {
            events: new EventBridgePublisher(new EventBridgeClient(config), {
              eventBusName: options.eventBus,
            }),
          }
        : {}),
      now: () => new Date(),
      randomSuffix: () => randomBytes(4).toString('hex'),
    },
    { settings, ...(options.asOf ? { asOf: options.asOf } : {}) },
  );
  const full = result.report;
  if (apiCalls) full.summary.apiCalls = apiCalls;
  const report = options.minSeverity ? withMinSeverity(full, options.minSeverity) : full;
  await emitReport(report, options, io);
  warnAboutCoverage(full, options, io);
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
  return exitForFindings(full, options.failOn, io);
}

interface FindingsOptions extends TableOptions {
  table?: string;
  account?: string;
  status: FindingStatus;
  severity?: Severity;
  rule?: string;
  format: FindingsFormat;
}

async function findingsCommand(options: FindingsOptions, io: Io): Promise<number> {
  const table = options.table ?? io.env.IAM_POSTURE_TABLE;
  if (!table) fail('findings needs --table NAME (or the IAM_POSTURE_TABLE environment variable)');
  if (options.account !== undefined && !/^\d{12}$/.test(options.account)) {
    fail(`--account ${options.account} is not a 12-digit AWS account id`);
  }
  const ruleProblem = options.rule === undefined ? undefined : ruleIdProblem(options.rule);
  if (ruleProblem) fail(`--rule: ${ruleProblem}`);
  const { store } = await findingsStore(table, options);
  const listing = await listStoredFindings(store, {
    status: options.status,
    ...(options.account ? { accountId: options.account } : {}),
    ...(options.severity ? { severity: options.severity } : {}),
    ...(options.rule ? { ruleId: options.rule } : {}),
  });
  io.stdout.write(formatFindingsListing(listing, options.format));
  if (options.format === 'json' && listing.malformed.length > 0) {
    io.stderr.write(
      `iam-posture: warning: ${listing.malformed.length} stored item(s) are malformed (see "malformed")\n`,
    );
  }
  return EXIT.ok;
}

// ----------------------------------------------------------------------------------------- rules

interface RulesOptions {
  json?: boolean;
  config?: string;
}

async function rulesCommand(options: RulesOptions, io: Io): Promise<number> {
  const settings = await loadSettings(options.config);
  const entries = catalogEntries(RULES, settings.thresholds);
  io.stdout.write(options.json ? formatCatalogJson(entries) : formatCatalogTable(entries));
  return EXIT.ok;
}

// ----------------------------------------------------------------------------------- remediate

interface RemediationCommandOptions {
  table: string;
  profile?: string;
  region?: string;
  endpointUrl?: string;
  eventBus?: string;
}

interface RemediateOptions extends RemediationCommandOptions {
  dryRun?: boolean;
  yes?: boolean;
  config?: string;
  protectedArn?: string[];
  breakGlassArn?: string[];
}

/** Adapters for the remediation use cases, against the account of the credentials in use. */
async function remediationDeps(
  options: RemediationCommandOptions,
  settings: ScanSettings,
  protection: { protectedArns: string[]; breakGlassArns: string[] },
) {
  const [
    { createAwsClients },
    { DynamoDBClient },
    { EventBridgeClient },
    { AwsLiveStateReader },
    { AwsRemediationExecutor },
    { DynamoFindingsStore },
    { DynamoRemediationRequestStore },
    { EventBridgePublisher, remediationEvents },
    { AccountReader },
  ] = await Promise.all([
    import('../functions/adapters/aws/clients'),
    importCommonJs(import('@aws-sdk/client-dynamodb')),
    importCommonJs(import('@aws-sdk/client-eventbridge')),
    import('../functions/adapters/aws/live-state-reader'),
    import('../functions/adapters/aws/remediation-executor'),
    import('../functions/adapters/dynamo-findings-store'),
    import('../functions/adapters/dynamo-remediation-store'),
    import('../functions/adapters/event-publisher'),
    import('../functions/adapters/aws/account-reader'),
  ]);
  const regionIssue = options.region === undefined ? undefined : regionProblem(options.region);
  if (regionIssue) fail(`--region: ${regionIssue}`);
  const clients = createAwsClients({
    ...(options.profile ? { profile: options.profile } : {}),
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpointUrl ? { endpoint: options.endpointUrl } : {}),
  });
  const awsConfig = {
    ...(options.profile ? { profile: options.profile } : {}),
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpointUrl ? { endpoint: options.endpointUrl } : {}),
  };
  // One DynamoDB client per store: DynamoDBDocumentClient.from() keeps its translation options on
  // the client it wraps, so stores sharing a client would read items with each other's options.
  const findings = new DynamoFindingsStore(new DynamoDBClient(awsConfig), options.table);
  const publisher = options.eventBus
    ? new EventBridgePublisher(new EventBridgeClient(awsConfig), { eventBusName: options.eventBus })
    : undefined;
  const deps: RemediationDeps = {
    requests: new DynamoRemediationRequestStore(new DynamoDBClient(awsConfig), options.table),
    findings,
    reader: new AwsLiveStateReader(clients.iam, (region) => clients.secretsManager(region)),
    executor: new AwsRemediationExecutor(clients.iam, (region) => clients.secretsManager(region)),
    // Without --event-bus the outcome is recorded in the table only.
    events: publisher ? remediationEvents(publisher) : { publish: async () => {} },
    // iam-posture's own roles carry the iam-posture:protected=true tag, which the planner honours.
    planning: { settings, protection: { ...protection, ownArns: [] } },
    now: () => new Date(),
  };
  const callerAccount = async () =>
    (await new AccountReader(clients.sts, clients.ec2).callerIdentity()).accountId;
  return { deps, findings, callerAccount, close: () => clients.destroy() };
}

const cliActor = (): Actor => ({ kind: 'cli', id: userInfo().username });
const steps = (count: number): string => `${count} step${count === 1 ? '' : 's'}`;

async function remediateCommand(findingId: string, options: RemediateOptions, io: Io): Promise<number> {
  if (!options.dryRun && !options.yes) {
    fail('remediate changes IAM: add --yes to record and execute the plan, or --dry-run to print it');
  }
  if (options.dryRun && options.yes) {
    fail('--dry-run prints the plan and changes nothing; --yes executes it: give one of them');
  }
  const settings = await loadSettings(options.config);
  const { deps, findings, callerAccount, close } = await remediationDeps(options, settings, {
    protectedArns: options.protectedArn ?? [],
    breakGlassArns: options.breakGlassArn ?? [],
  });
  try {
    const finding = await findings.getFinding(findingId);
    if (!finding) fail(`no finding ${findingId} in table ${options.table}`);
    // Live state is read with the credentials in use: in another account it would describe other resources.
    const account = await callerAccount();
    if (finding.accountId !== account) {
      io.stdout.write(
        `Refused (other-account): finding ${findingId} is in account ${finding.accountId}, but the ` +
          `credentials in use are of account ${account}; run remediate with credentials of account ${finding.accountId}.\n`,
      );
      return EXIT.findings;
    }
    const result = await createRemediationRequest(finding, deps, {
      dryRun: options.dryRun === true,
      actor: cliActor(),
    });
    const plan = result.plan;
    if (plan.outcome === 'refused') {
      io.stdout.write(`Refused (${plan.gate}): ${plan.reason}\n`);
      return EXIT.findings;
    }
    io.stdout.write(`Plan: ${plan.summary}\n`);
    if (result.outcome !== 'executed') {
      io.stdout.write(
        'Dry run: nothing was changed. Run again with --yes instead of --dry-run to execute it.\n',
      );
      return EXIT.ok;
    }
    return printExecution(result.execution, options.table, io);
  } finally {
    close();
  }
}

function printExecution(outcome: ExecutionOutcome, table: string, io: Io): number {
  if (outcome.outcome === 'skipped') {
    io.stdout.write(`Request ${outcome.requestId} was not executed: ${outcome.reason}\n`);
    return EXIT.findings;
  }
  const id = outcome.request.requestId;
  for (const warning of outcome.warnings) io.stderr.write(`iam-posture: warning: ${warning}\n`);
  switch (outcome.outcome) {
    case 'executed':
      io.stdout.write(
        `Executed request ${id} (${steps(outcome.request.steps?.length ?? 0)} verified, before-state recorded).\n` +
          `Undo with: iam-posture rollback ${id} --table ${table}\n`,
      );
      return EXIT.ok;
    case 'refused':
      io.stdout.write(`Request ${id} refused: ${outcome.reason}\n`);
      return EXIT.findings;
    case 'expired':
      io.stdout.write(`Request ${id} expired before it was executed.\n`);
      return EXIT.findings;
    case 'failed':
      io.stdout.write(`Request ${id} failed: ${outcome.reason}\n`);
      return EXIT.findings;
  }
}

async function rollbackCommand(
  requestId: string,
  options: RemediationCommandOptions,
  io: Io,
): Promise<number> {
  const { deps, close } = await remediationDeps(options, DEFAULT_SETTINGS, {
    protectedArns: [],
    breakGlassArns: [],
  });
  try {
    // An unknown id is an input error, as for remediate.
    if (!(await deps.requests.get(requestId))) {
      fail(`no remediation request ${requestId} in table ${options.table}`);
    }
    const outcome = await rollbackRemediation(requestId, cliActor(), deps);
    switch (outcome.outcome) {
      case 'rolled-back':
        for (const warning of outcome.warnings) io.stderr.write(`iam-posture: warning: ${warning}\n`);
        io.stdout.write(
          `Rolled back request ${requestId}: ${steps(outcome.request.steps?.length ?? 0)} restored and verified.\n`,
        );
        return EXIT.ok;
      case 'not-rolled-back':
        io.stdout.write(`${outcome.reason}\n`);
        return EXIT.findings;
      case 'failed':
        io.stdout.write(`${outcome.reason}\n${outcome.problems.map((p) => `  ${p}\n`).join('')}`);
        return EXIT.findings;
    }
  } finally {
    close();
  }
}

// ------------------------------------------------------------------------------ shared helpers

/**
 * A CommonJS package loaded with `import()`: Node gives its exports as named exports, the bundle
 * (split into chunks) only as `default`. Either way the caller gets the named exports.
 */
async function importCommonJs<T extends object>(module: Promise<T>): Promise<T> {
  const loaded = (await module) as T & { default?: T };
  return Object.keys(loaded).length === 1 && loaded.default ? loaded.default : loaded;
}

/** https://no-color.org: a non-empty NO_COLOR turns colour off. */
function noColor(env: NodeJS.ProcessEnv): boolean {
  return env.NO_COLOR !== undefined && env.NO_COLOR !== '';
}

function parseSeverity(value: string): Severity {
  const lower = value.toLowerCase();
  if ((SEVERITIES as readonly string[]).includes(lower)) return lower as Severity;
  throw new InvalidArgumentError(`expected one of ${SEVERITIES.join(', ')}`);
}

function parseInstant(value: string): Date {
  const problem = 'expected an ISO-8601 date or date-time, e.g. 2024-06-01 or 2024-06-01T12:00:00Z';
  if (!/^\d{4}-\d{2}-\d{2}/.test(value)) throw new InvalidArgumentError(problem);
  try {
    const date = parseAwsTimestamp(value);
    if (date) return date;
  } catch (error) {
    if (!(error instanceof TimestampFormatError)) throw error;
  }
  throw new InvalidArgumentError(problem);
}

/** The exit code for an error, after printing it as one line (no stack trace for expected errors). */
function exitCodeFor(error: unknown, io: Pick<Io, 'stderr' | 'env'>): number {
  if (error instanceof CommanderError) {
    // Commander has printed its message (or the help) already.
    return error.exitCode === 0 ? EXIT.ok : EXIT.input;
  }
  if (
    error instanceof UsageError ||
    error instanceof ExportReadError ||
    error instanceof ConfigFileError ||
    error instanceof SettingsError ||
    error instanceof OutputFileError ||
    error instanceof CollectionError ||
    error instanceof ExportWriteError ||
    // Findings store errors (no such table, access denied, an unusable stored item): by name, so
    // that commands without a table never load the DynamoDB SDK.
    (error instanceof Error &&
      [
        'RunScanError',
        'FindingsStoreError',
        'MalformedItemError',
        'ScanConfigError',
        'FindingsTableAdminError',
      ].includes(error.name))
  ) {
    io.stderr.write(`iam-posture: ${error.message}\n`);
    return EXIT.input;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`iam-posture: internal error: ${message}\n`);
  if (io.env.IAM_POSTURE_DEBUG && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
  else io.stderr.write('  (set IAM_POSTURE_DEBUG=1 for a stack trace, and please report it)\n');
  return EXIT.internal;
}

// ---------------------------------------------------------------------------------------- program

const severityOption = (flags: string, description: string) =>
  new Option(flags, description).argParser(parseSeverity);

/** An option with a fixed set of values, matched case-insensitively like the severities. */
const choiceOption = <T extends string>(flags: string, description: string, choices: readonly T[]) =>
  new Option(flags, description).choices(choices).argParser((value: string): T => {
    const match = choices.find((choice) => choice === value.toLowerCase());
    if (match === undefined) throw new InvalidArgumentError(`Allowed choices are ${choices.join(', ')}.`);
    return match;
  });

/** The command tree. Each `.action` sets the exit code its command returns. */
function buildProgram(io: Io): Command {
  const program = new Command('iam-posture')
    .description('IAM posture scanner for non-human AWS identities: roles, access keys, secrets.')
    .version(packageJson.version)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(`iam-posture: ${text.replace(/^error: /, '')}`),
    })
    .showSuggestionAfterError();

  program
    .command('scan')
    .description('Analyse an account and report findings.')
    .option(
      '--export <dir>',
      'export directory to analyse (see "Export directory" in README); else the live account',
    )
    .option('--profile <name>', 'AWS profile for a live scan (default: the standard credential chain)')
    .option(
      '--region <region>',
      'secrets regions: repeat or comma-separate, or "all" (default: home region)',
      collectRegion,
    )
    .option(
      '--endpoint-url <url>',
      'AWS endpoint for a live scan, e.g. a local emulator (also AWS_ENDPOINT_URL)',
    )
    .option('--quiet', 'no progress line on stderr')
    .option(
      '--as-of <iso>',
      'evaluate as of this time (default: CollectedAt of account.json, else now)',
      parseInstant,
    )
    .option('--config <file>', 'settings file, JSON or YAML: thresholds, organization, exemptions')
    .addOption(choiceOption('--format <format>', 'output format', REPORT_FORMATS).default('table'))
    .option('--output <file>', 'write the report to this file instead of stdout')
    .addOption(
      severityOption('--fail-on <severity>', 'exit 1 if an unsuppressed finding is at or above this'),
    )
    .addOption(severityOption('--min-severity <severity>', 'list only findings at or above this severity'))
    .option('--table <name>', 'store the scan in this DynamoDB findings table: only what changed is written')
    .option(
      '--event-bus <name>',
      'with --table: publish FindingOpened, FindingResolved and ScanCompleted here',
    )
    .action(async (options: ScanOptions) => {
      process.exitCode = await scanCommand(options, io);
    });

  program
    .command('collect')
    .description('Collect a live account into an export directory that "scan --export" reads.')
    .requiredOption('--out <dir>', 'export directory to write (replaced if it holds an earlier export)')
    .option('--profile <name>', 'AWS profile (default: the standard credential chain)')
    .option(
      '--region <region>',
      'secrets regions: repeat or comma-separate, or "all" (default: home region)',
      collectRegion,
    )
    .option('--endpoint-url <url>', 'AWS endpoint, e.g. a local emulator (also AWS_ENDPOINT_URL)')
    .option('--config <file>', 'settings file: disabled rules skip the reads only they need')
    .option('--quiet', 'no progress line on stderr')
    .action(async (options: CollectCommandOptions) => {
      process.exitCode = await collectCommand(options, io);
    });

  program
    .command('findings')
    .description('List stored findings: open ones by default, most severe first.')
    .option('--table <name>', 'DynamoDB findings table (default: IAM_POSTURE_TABLE)')
    .option('--account <id>', 'only this account (default: every account in the table)')
    .addOption(choiceOption('--status <status>', 'lifecycle status', FINDING_STATUSES).default('open'))
    .addOption(severityOption('--severity <severity>', 'only this severity'))
    .option('--rule <id>', 'only this rule')
    .addOption(choiceOption('--format <format>', 'output format', FINDINGS_FORMATS).default('table'))
    .option('--profile <name>', 'AWS profile (default: the standard credential chain)')
    .option('--region <region>', 'AWS region of the table (default: the profile or AWS_REGION)')
    .option('--endpoint-url <url>', 'AWS endpoint, e.g. a local emulator (also AWS_ENDPOINT_URL)')
    .action(async (options: FindingsOptions) => {
      process.exitCode = await findingsCommand(options, io);
    });

  program
    .command('rules')
    .description('List the rule catalog: severities, thresholds and compliance mappings.')
    .option('--json', 'print the catalog as JSON')
    .option('--config <file>', 'show the thresholds in effect with this settings file')
    .action(async (options: RulesOptions) => {
      process.exitCode = await rulesCommand(options, io);
    });

  program
    .command('table')
    .description('Manage the DynamoDB findings table that "scan --table" stores into.')
    .command('create')
    .description('Create the findings table (keys, indexes, TTL) without deploying the stack.')
    .requiredOption('--table <name>', 'name of the table to create')
    .option('--profile <name>', 'AWS profile (default: the standard credential chain)')
    .option('--region <region>', 'AWS region of the table (default: the profile or AWS_REGION)')
    .option('--endpoint-url <url>', 'AWS endpoint, e.g. a local emulator (also AWS_ENDPOINT_URL)')
    .action(async (options: TableOptions & { table: string }) => {
      process.exitCode = await tableCreateCommand(options, io);
    });

  const remediationOptions = (command: Command) =>
    command
      .requiredOption('--table <name>', 'DynamoDB findings table (where the scan stored the findings)')
      .option('--profile <name>', 'AWS profile (default: the standard credential chain)')
      .option('--region <region>', 'AWS region of the table (default: the profile or AWS_REGION)')
      .option('--endpoint-url <url>', 'AWS endpoint, e.g. a local emulator (also AWS_ENDPOINT_URL)')
      .option('--event-bus <name>', 'publish RemediationExecuted / RemediationRolledBack to this bus');

  remediationOptions(
    program
      .command('remediate <finding-id>')
      .description(
        'Plan the remediation of a stored finding against live state; with --yes, record and execute it.',
      )
      .option('--dry-run', 'print the plan or the refusal and change nothing')
      .option('--yes', 'record the request, approved by you, and execute it')
      .option('--config <file>', 'settings file: the thresholds the rule is re-run with')
      .option(
        '--protected-arn <arn>',
        'never touch this ARN (or glob); repeatable',
        (value, previous: string[] = []) => [...previous, value],
      )
      .option(
        '--break-glass-arn <arn>',
        'a break-glass identity (unused by design): never touch it; repeatable',
        (value, previous: string[] = []) => [...previous, value],
      ),
  ).action(async (findingId: string, options: RemediateOptions) => {
    process.exitCode = await remediateCommand(findingId, options, io);
  });

  remediationOptions(
    program
      .command('rollback <request-id>')
      .description('Restore the recorded before-state of an executed remediation request.'),
  ).action(async (requestId: string, options: RemediationCommandOptions) => {
    process.exitCode = await rollbackCommand(requestId, options, io);
  });

  return program;
}

/**
 * The AWS SDK warns on every run under Node.js 20 that its releases after January 2027 need 22.
 * The README states the Node.js versions iam-posture supports (the bundled SDK runs on 20), so the
 * warning is turned off with the SDK's documented switch, unless the user set it.
 */
const SDK_NODE_WARNING_SWITCH = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

async function main(): Promise<void> {
  process.env[SDK_NODE_WARNING_SWITCH] ??= 'true';
  const io: Io = { stdout: process.stdout, stderr: process.stderr, env: process.env };
  // `iam-posture scan ... | head` closes the pipe early; that is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.ok);
    throw error;
  });
  try {
    await buildProgram(io).parseAsync(process.argv);
  } catch (error) {
    process.exitCode = exitCodeFor(error, io);
  }
}

await main();
