import { isOrganizationExport } from '../../functions/adapters/organization-export';
import { checkOutputFile, writeFileAtomic } from '../../functions/adapters/output-file';
import {
  type ComplianceView,
  complianceSummaryLine,
  complianceView,
  formatComplianceCsv,
  formatComplianceJson,
  formatComplianceTable,
} from '../../functions/core/compliance';
import { type Framework, type Severity, severityRank } from '../../functions/core/rule';
import { RULES } from '../../functions/core/rules';
import { analyzeAccount } from '../../functions/use-cases/analyze';
import { unreadDataSets } from '../../functions/use-cases/run-scan';
import type { LiveOptions } from './collect';
import { EXIT, fail, type Io, loadSettings } from './io';
import { readInput } from './scan';

/** The compliance view's own formats: a control list, not a findings report. */
export const COMPLIANCE_FORMATS = ['table', 'json', 'csv'] as const;
export type ComplianceFormat = (typeof COMPLIANCE_FORMATS)[number];

export interface ComplianceOptions extends LiveOptions {
  framework: Framework;
  export?: string;
  asOf?: Date;
  config?: string;
  format: ComplianceFormat;
  output?: string;
  failOn?: Severity;
}

/**
 * `compliance`: one framework's controls in scope, each with the rules that test it and how they
 * came out on one account (an export or the live account, read as `scan` reads it). Exit codes as
 * `scan`: 0 with the view printed, 1 only with `--fail-on` (an unsuppressed finding of a rule
 * mapped to the framework at or above it), 2 for bad usage or input.
 */
export async function complianceCommand(options: ComplianceOptions, io: Io): Promise<number> {
  const settings = await loadSettings(options.config);
  if (options.output) await checkOutputFile(options.output);
  if (options.export && (options.profile || options.region?.length || options.endpointUrl)) {
    fail('--profile, --region and --endpoint-url read a live account; they cannot be combined with --export');
  }
  if (options.export && (await isOrganizationExport(options.export))) {
    fail(
      `${options.export} is an organization export: the compliance view is per account, so pass one account's directory (${options.export}/ACCOUNT_ID)`,
    );
  }
  const input = await readInput(options, settings, io);
  const report = analyzeAccount(input.raw, {
    settings,
    ...(options.asOf ? { asOf: options.asOf } : {}),
    now: new Date(),
    ...(input.apiCalls ? { apiCalls: input.apiCalls } : {}),
    posture: false,
  });
  const view = complianceView({
    framework: options.framework,
    rules: RULES.map((rule) => rule.meta),
    report,
    unread: unreadDataSets(input, settings),
  });
  const text = formatView(view, options.format);
  if (options.output) {
    await writeFileAtomic(options.output, text);
    io.stderr.write(`iam-posture: wrote ${options.format} compliance view to ${options.output}\n`);
  } else {
    io.stdout.write(text);
  }
  // The table ends with the summary line; beside JSON or CSV it goes to stderr.
  if (options.format !== 'table' || options.output) io.stderr.write(`${complianceSummaryLine(view)}\n`);
  if (report.coverage.length > 0) {
    const sources = [...new Set(report.coverage.map((gap) => gap.source))].join(', ');
    io.stderr.write(
      `iam-posture: warning: ${report.coverage.length} coverage gap${report.coverage.length === 1 ? '' : 's'} in ${sources}: controls whose rules read them are incomplete, not passing (see "scan" for the gaps)\n`,
    );
  }
  return exitForFailing(view, options.failOn, io);
}

function formatView(view: ComplianceView, format: ComplianceFormat): string {
  switch (format) {
    case 'json':
      return formatComplianceJson(view);
    case 'csv':
      return formatComplianceCsv(view);
    case 'table':
      return formatComplianceTable(view);
  }
}

/** 1 when an unsuppressed finding of a rule mapped to the framework is at or above `--fail-on`. */
function exitForFailing(view: ComplianceView, failOn: Severity | undefined, io: Io): number {
  if (!failOn) return EXIT.ok;
  const limit = severityRank(failOn);
  // A finding of a rule mapped to several controls counts once.
  const findings = new Set<string>();
  for (const control of view.controls) {
    for (const f of control.failing) if (severityRank(f.severity) <= limit) findings.add(f.findingId);
  }
  if (findings.size === 0) return EXIT.ok;
  io.stderr.write(
    `iam-posture: ${findings.size} unsuppressed finding${findings.size === 1 ? '' : 's'} of ${view.framework.id} rules at or above ${failOn} (--fail-on ${failOn})\n`,
  );
  return EXIT.findings;
}
