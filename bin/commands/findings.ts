import type { FindingStatus } from '../../functions/core/lifecycle';
import type { Severity } from '../../functions/core/rule';
import { ruleIdProblem } from '../../functions/core/settings';
import {
  type FindingsFormat,
  formatFindingsListing,
  listStoredFindings,
} from '../../functions/use-cases/list-findings';
import { EXIT, fail, type Io } from './io';
import { type AwsOptions, tableAwsConfig } from './options';

export interface FindingsOptions extends AwsOptions {
  table?: string;
  account?: string;
  status: FindingStatus;
  severity?: Severity;
  rule?: string;
  format: FindingsFormat;
}

/** `findings`: the stored findings of a table, filtered. */
export async function findingsCommand(options: FindingsOptions, io: Io): Promise<number> {
  const table = options.table ?? io.env.IAM_POSTURE_TABLE;
  if (!table) fail('findings needs --table NAME (or the IAM_POSTURE_TABLE environment variable)');
  if (options.account !== undefined && !/^\d{12}$/.test(options.account)) {
    fail(`--account ${options.account} is not a 12-digit AWS account id`);
  }
  const ruleProblem = options.rule === undefined ? undefined : ruleIdProblem(options.rule);
  if (ruleProblem) fail(`--rule: ${ruleProblem}`);
  const aws = await tableAwsConfig(options);
  const { findingsStore } = await import('../../functions/wiring/stores');
  const listing = await listStoredFindings(findingsStore(aws, table), {
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
