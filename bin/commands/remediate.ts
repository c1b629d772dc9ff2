import { userInfo } from 'node:os';
import { ActiveRequestExistsError, type Actor } from '../../functions/core/remediation/request';
import type { ScanSettings } from '../../functions/core/settings';
import {
  createRemediationRequest,
  type ExecutionOutcome,
} from '../../functions/use-cases/execute-remediation';
import type { RemediationWiring } from '../../functions/wiring/remediation';
import { EXIT, fail, type Io, loadSettings, steps } from './io';
import { remediationAwsConfig } from './options';

/** The flags of `remediate` and `rollback`. */
export interface RemediationCommandOptions {
  table: string;
  profile?: string;
  region?: string;
  endpointUrl?: string;
  eventBus?: string;
}

export interface RemediateOptions extends RemediationCommandOptions {
  dryRun?: boolean;
  yes?: boolean;
  config?: string;
  protectedArn?: string[];
  breakGlassArn?: string[];
}

/** Adapters for the remediation use cases, against the account of the credentials in use. */
export async function remediationWiringFor(
  options: RemediationCommandOptions,
  settings: ScanSettings,
  protection: { protectedArns: string[]; breakGlassArns: string[] },
): Promise<RemediationWiring> {
  const aws = remediationAwsConfig(options);
  const { remediationWiring } = await import('../../functions/wiring/remediation');
  return remediationWiring({
    aws,
    table: options.table,
    // Without --event-bus the outcome is recorded in the table only.
    ...(options.eventBus ? { eventBus: options.eventBus } : {}),
    // iam-posture's own roles carry the iam-posture:protected=true tag, which the planner honours.
    planning: { settings, protection: { ...protection, ownArns: [] } },
  });
}

export const cliActor = (): Actor => ({ kind: 'cli', id: userInfo().username });

/** `remediate`: plans the remediation of a stored finding; with --yes, records and executes it. */
export async function remediateCommand(
  findingId: string,
  options: RemediateOptions,
  io: Io,
): Promise<number> {
  if (!options.dryRun && !options.yes) {
    fail('remediate changes IAM: add --yes to record and execute the plan, or --dry-run to print it');
  }
  if (options.dryRun && options.yes) {
    fail('--dry-run prints the plan and changes nothing; --yes executes it: give one of them');
  }
  const settings = await loadSettings(options.config);
  const { deps, callerAccount, close } = await remediationWiringFor(options, settings, {
    protectedArns: options.protectedArn ?? [],
    breakGlassArns: options.breakGlassArn ?? [],
  });
  try {
    const finding = await deps.findings.getFinding(findingId);
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
    let result: Awaited<ReturnType<typeof createRemediationRequest>>;
    try {
      result = await createRemediationRequest(finding, deps, {
        dryRun: options.dryRun === true,
        actor: cliActor(),
      });
    } catch (error) {
      // The finding's open request is decided, executed or rolled back first: never a second one.
      if (!(error instanceof ActiveRequestExistsError)) throw error;
      io.stdout.write(`Not requested: ${error.message}.\n`);
      return EXIT.findings;
    }
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
