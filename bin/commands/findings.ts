import type { FindingStatus } from '../../functions/core/lifecycle';
import { AccountSelectionSchema } from '../../functions/core/organization-scan';
import type { Severity } from '../../functions/core/rule';
import { ruleIdProblem } from '../../functions/core/settings';
import type { FindingsListing } from '../../functions/use-cases/findings-ports';
import {
  type FindingsFormat,
  formatFindingsListing,
  listStoredFindings,
} from '../../functions/use-cases/list-findings';
import { formatOrganizationView, organizationView } from '../../functions/use-cases/organization-view';
import { EXIT, fail, type Io } from './io';
import { type AwsOptions, tableAwsConfig } from './options';
import { TOOL } from './tool';

export interface FindingsOptions extends AwsOptions {
  table?: string;
  /** Repeatable, each value one id or a comma-separated list. */
  account?: string[];
  status: FindingStatus;
  severity?: Severity;
  rule?: string;
  format: FindingsFormat;
  /** Shorthand for `--format json`. */
  json?: boolean;
  /** The organization view: one row per account. */
  org?: boolean;
  /** Repeatable, each value one OU id or a comma-separated list; with --org. */
  ou?: string[];
}

const ACCOUNT_ID = /^\d{12}$/;
const OU_ID = AccountSelectionSchema.shape.includeOus.unwrap().element;

/** `--account a,b --account c` as `[a, b, c]`. */
function listValues(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((value) => value.split(',')).map((value) => value.trim());
}

/** `findings`: the stored findings of a table, filtered; with --org, the per-account view. */
export async function findingsCommand(options: FindingsOptions, io: Io): Promise<number> {
  const table = options.table ?? io.env.IAM_POSTURE_TABLE;
  if (!table) fail('findings needs --table NAME (or the IAM_POSTURE_TABLE environment variable)');
  const accounts = listValues(options.account);
  for (const account of accounts) {
    if (!ACCOUNT_ID.test(account)) fail(`--account ${account} is not a 12-digit AWS account id`);
  }
  const ous = listValues(options.ou);
  if (ous.length > 0 && !options.org) fail('--ou filters the organization view: add --org');
  for (const ou of ous) {
    if (!OU_ID.safeParse(ou).success) {
      fail(`--ou ${ou} is not an OU id (like ou-ab12-cd34ef56) or a root id (like r-ab12)`);
    }
  }
  if (options.org) {
    if (options.format === 'ocsf')
      fail('--org prints per-account counts: --format ocsf lists findings, drop --org');
    if (options.status !== 'open') fail('--org counts open findings: --status does not apply');
    if (options.severity) fail('--org counts open findings of every severity: --severity does not apply');
    if (options.rule) fail('--org counts open findings of every rule: --rule does not apply');
  }
  const ruleProblem = options.rule === undefined ? undefined : ruleIdProblem(options.rule);
  if (ruleProblem) fail(`--rule: ${ruleProblem}`);
  const format: FindingsFormat = options.json ? 'json' : options.format;
  const aws = await tableAwsConfig(options);
  const { findingsStore } = await import('../../functions/wiring/stores');
  const store = findingsStore(aws, table);

  if (options.org) {
    const view = await organizationView(store, { accounts, ous });
    io.stdout.write(formatOrganizationView(view, format));
    warnMalformed(view.malformed.length, format, io);
    return EXIT.ok;
  }

  const query = {
    status: options.status,
    ...(options.severity ? { severity: options.severity } : {}),
    ...(options.rule ? { ruleId: options.rule } : {}),
  };
  let listing: FindingsListing;
  if (accounts.length === 0) {
    listing = await listStoredFindings(store, query);
  } else {
    listing = { findings: [], malformed: [] };
    for (const accountId of new Set(accounts)) {
      const part = await listStoredFindings(store, { ...query, accountId });
      listing.findings.push(...part.findings);
      listing.malformed.push(...part.malformed);
    }
  }
  io.stdout.write(formatFindingsListing(listing, format, TOOL));
  warnMalformed(listing.malformed.length, format, io);
  return EXIT.ok;
}

/** The table lists malformed items itself; JSON and OCSF keep stdout parseable and warn on stderr. */
function warnMalformed(count: number, format: FindingsFormat, io: Io): void {
  if (format === 'table' || count === 0) return;
  const where =
    format === 'json' ? ' (see "malformed")' : ': they are not in the OCSF output, see --format json';
  io.stderr.write(`iam-posture: warning: ${count} stored item(s) are malformed${where}\n`);
}
