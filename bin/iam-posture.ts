import { Command } from 'commander';
import { TREND_FORMATS } from '../functions/core/governance-trend';
import { FINDING_STATUSES } from '../functions/core/lifecycle';
import { REPORT_FORMATS } from '../functions/core/report';
import { FRAMEWORKS } from '../functions/core/rule';
import { FINDINGS_FORMATS } from '../functions/use-cases/list-findings';
import packageJson from '../package.json';
import { type CollectCommandOptions, collectCommand } from './commands/collect';
import { COMPLIANCE_FORMATS, type ComplianceOptions, complianceCommand } from './commands/compliance';
import { type FindingsOptions, findingsCommand } from './commands/findings';
import { EXIT, type Io } from './commands/io';
import {
  choiceOption,
  collectValues,
  parseInstant,
  serviceLastAccessedJobsOption,
  severityOption,
} from './commands/options';
import { DEFAULT_MEMBER_ROLE, DEFAULT_ORG_CONCURRENCY, parseConcurrency } from './commands/organization';
import {
  type RemediateOptions,
  type RemediationCommandOptions,
  remediateCommand,
} from './commands/remediate';
import { addReviewCommands } from './commands/review';
import { rollbackCommand } from './commands/rollback';
import { type RulesOptions, rulesCommand } from './commands/rules';
import { type ScanOptions, scanCommand } from './commands/scan';
import { type TableCreateOptions, tableCreateCommand } from './commands/table';
import { DEFAULT_TREND_SCANS, parseLast, type TrendCommandOptions, trendCommand } from './commands/trend';
import { exitCodeFor } from './exit-codes';

/**
 * The `iam-posture` command line: the command tree. Each command is one function (in
 * `bin/commands/`) taking its parsed options and the process streams and returning an exit code;
 * errors are mapped to exit codes in one place (`exitCodeFor`), so a command only throws or calls
 * `fail`.
 */

/**
 * `--profile`, `--region` and `--endpoint-url`, for every command that calls AWS. `secrets`: the
 * regions a live collection reads secrets in (repeatable, or `all`); `table`: the findings table's
 * region. `liveScan`: the flags only matter when `scan` reads the live account.
 */
function awsOptions(
  command: Command,
  { region, liveScan = false }: { region: 'secrets' | 'table'; liveScan?: boolean },
): Command {
  const scope = liveScan ? ' for a live scan' : '';
  command.option('--profile <name>', `AWS profile${scope} (default: the standard credential chain)`);
  if (region === 'secrets') {
    command.option(
      '--region <region>',
      'secrets regions: repeat or comma-separate, or "all" (default: home region)',
      collectValues,
    );
    // Secrets regions mean a live collection, and so do service-last-accessed jobs.
    command.addOption(serviceLastAccessedJobsOption());
  } else {
    command.option('--region <region>', 'AWS region of the table (default: the profile or AWS_REGION)');
  }
  return command.option(
    '--endpoint-url <url>',
    `AWS endpoint${scope}, e.g. a local emulator (also AWS_ENDPOINT_URL)`,
  );
}

/**
 * The flags of an organization run (`scan --org`, `collect --org`): which accounts, the member role
 * assumed in each, and how many at a time. `scan --export` of an organization export takes the
 * selection and `--concurrency` too.
 */
function organizationOptions(command: Command, what: 'scan' | 'collect'): Command {
  return command
    .option(
      '--org',
      `${what} every ACTIVE account of the organization (credentials of the management or a delegated administrator account)`,
    )
    .option('--accounts <ids>', 'only these account ids: comma-separate or repeat', collectValues)
    .option('--exclude-accounts <ids>', 'not these account ids: comma-separate or repeat', collectValues)
    .option(
      '--ous <ids>',
      'only accounts in (or below) these OUs or roots: comma-separate or repeat',
      collectValues,
    )
    .option(
      '--exclude-ous <ids>',
      'not accounts in (or below) these OUs: comma-separate or repeat',
      collectValues,
    )
    .option('--role-name <name>', `member role assumed in each account (default: ${DEFAULT_MEMBER_ROLE})`)
    .option('--external-id <id>', "sts:ExternalId, when the member role's trust requires one")
    .option(
      '--concurrency <n>',
      `accounts at a time, 1..64 (default: ${DEFAULT_ORG_CONCURRENCY})`,
      parseConcurrency,
    );
}

/** The options of `remediate` and `rollback`: the table of the findings and requests, AWS, the bus. */
function remediationOptions(command: Command): Command {
  command.requiredOption('--table <name>', 'DynamoDB findings table (where the scan stored the findings)');
  return awsOptions(command, { region: 'table' }).option(
    '--event-bus <name>',
    'publish RemediationExecuted / RemediationRolledBack to this bus',
  );
}

/** What `scan` and `compliance` both read: an export or the live account, as of a time, with settings. */
function analysisOptions(command: Command): Command {
  return awsOptions(command, { region: 'secrets', liveScan: true })
    .option('--quiet', 'no progress line on stderr')
    .option(
      '--as-of <iso>',
      'evaluate as of this time (default: CollectedAt of account.json, else now)',
      parseInstant,
    )
    .option('--config <file>', 'settings file, JSON or YAML: thresholds, organization, exemptions');
}

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

  analysisOptions(
    program
      .command('scan')
      .description('Analyse an account and report findings.')
      .option(
        '--export <dir>',
        'export directory to analyse (see "Export directory" in README); else the live account',
      ),
  )
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
    );
  organizationOptions(program.commands.at(-1)!, 'scan').action(async (options: ScanOptions) => {
    process.exitCode = await scanCommand(options, io);
  });

  analysisOptions(
    program
      .command('compliance')
      .description(
        "One framework's controls in scope (its identity part) with the rules that test each, pass and fail counts and the failing resources.",
      )
      .addOption(
        choiceOption(
          '--framework <id>',
          'framework',
          Object.keys(FRAMEWORKS) as (keyof typeof FRAMEWORKS)[],
        ).makeOptionMandatory(),
      )
      .option('--export <dir>', 'export directory of one account to analyse; else the live account'),
  )
    .addOption(choiceOption('--format <format>', 'output format', COMPLIANCE_FORMATS).default('table'))
    .option('--output <file>', 'write the view to this file instead of stdout')
    .addOption(
      severityOption(
        '--fail-on <severity>',
        "exit 1 if an unsuppressed finding of the framework's rules is at or above this",
      ),
    )
    .action(async (options: ComplianceOptions) => {
      process.exitCode = await complianceCommand(options, io);
    });

  awsOptions(
    program
      .command('collect')
      .description('Collect a live account into an export directory that "scan --export" reads.')
      .requiredOption('--out <dir>', 'export directory to write (replaced if it holds an earlier export)'),
    { region: 'secrets' },
  )
    .option('--config <file>', 'settings file: disabled rules skip the reads only they need')
    .option('--quiet', 'no progress line on stderr');
  organizationOptions(program.commands.at(-1)!, 'collect').action(async (options: CollectCommandOptions) => {
    process.exitCode = await collectCommand(options, io);
  });

  awsOptions(
    program
      .command('findings')
      .description('List stored findings: open ones by default, most severe first.')
      .option('--table <name>', 'DynamoDB findings table (default: IAM_POSTURE_TABLE)')
      .option(
        '--org',
        'organization view: per account, open findings by severity and the latest scan outcome',
      )
      .option(
        '--account <id>',
        'only these accounts: repeat or comma-separate (default: every account in the table)',
        collectValues,
      )
      .option(
        '--ou <ou-id>',
        'with --org: only accounts in these OUs, directly or below: repeat or comma-separate',
        collectValues,
      )
      .addOption(choiceOption('--status <status>', 'lifecycle status', FINDING_STATUSES).default('open'))
      .addOption(severityOption('--severity <severity>', 'only this severity'))
      .option('--rule <id>', 'only this rule')
      .addOption(choiceOption('--format <format>', 'output format', FINDINGS_FORMATS).default('table'))
      .option('--json', 'same as --format json'),
    { region: 'table' },
  ).action(async (options: FindingsOptions) => {
    process.exitCode = await findingsCommand(options, io);
  });

  awsOptions(
    program
      .command('trend')
      .description(
        'Show the governance measures over the last scans: standing privilege, stale credentials, open findings.',
      )
      .option('--table <name>', 'DynamoDB findings table (default: IAM_POSTURE_TABLE)')
      .option(
        '--account <id>',
        'only these accounts: repeat or comma-separate (default: every account in the table)',
        collectValues,
      )
      .option('--last <n>', 'scans per account, 1..100', parseLast, DEFAULT_TREND_SCANS)
      .addOption(choiceOption('--format <format>', 'output format', TREND_FORMATS).default('table')),
    { region: 'table' },
  ).action(async (options: TrendCommandOptions) => {
    process.exitCode = await trendCommand(options, io);
  });

  addReviewCommands(program, io);

  program
    .command('rules')
    .description('List the rule catalog: severities, thresholds and compliance mappings.')
    .option('--json', 'print the catalog as JSON')
    .option('--config <file>', 'show the thresholds in effect with this settings file')
    .action(async (options: RulesOptions) => {
      process.exitCode = await rulesCommand(options, io);
    });

  awsOptions(
    program
      .command('table')
      .description('Manage the DynamoDB findings table that "scan --table" stores into.')
      .command('create')
      .description('Create the findings table (keys, indexes, TTL) without deploying the stack.')
      .requiredOption('--table <name>', 'name of the table to create'),
    { region: 'table' },
  ).action(async (options: TableCreateOptions) => {
    process.exitCode = await tableCreateCommand(options, io);
  });

  remediationOptions(
    program
      .command('remediate <finding-id>')
      .description(
        'Plan the remediation of a stored finding against live state; with --yes, record and execute it.',
      )
      .option('--dry-run', 'print the plan or the refusal and change nothing')
      .option('--yes', 'record the request, approved by you, and execute it')
      .option('--config <file>', 'settings file: the thresholds the rule is re-run with')
      .option('--protected-arn <arn>', 'never touch this ARN (or glob); repeatable', collectValues)
      .option(
        '--break-glass-arn <arn>',
        'a break-glass identity (unused by design): never touch it; repeatable',
        collectValues,
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
