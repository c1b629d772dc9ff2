import { randomBytes } from 'node:crypto';
import { InvalidArgumentError } from 'commander';
import {
  type AccountOutcome,
  type AccountSelection,
  AccountSelectionSchema,
  type MemberAccount,
  type OutcomeCounts,
  selectAccounts,
} from '../../functions/core/organization-scan';
import { type AnalysisReport, formatJson } from '../../functions/core/report';
import { alignColumns } from '../../functions/core/report/columns';
import { fail, type Io } from './io';

/**
 * What `scan --org`, `collect --org` and a scan of an organization export share: the account
 * selection flags, the run id, a progress line per account, and the per-account outcome table.
 */

export const DEFAULT_MEMBER_ROLE = 'IamPostureScanner';
export const DEFAULT_ORG_CONCURRENCY = 4;
const MAX_ORG_CONCURRENCY = 64;

/** The flags of an organization run. */
export interface OrganizationOptions {
  org?: boolean;
  /** Every `--accounts` value; each may be a comma list. */
  accounts?: string[];
  excludeAccounts?: string[];
  ous?: string[];
  excludeOus?: string[];
  roleName?: string;
  externalId?: string;
  concurrency?: number;
}

const SELECTION_FLAGS = {
  includeAccounts: '--accounts',
  excludeAccounts: '--exclude-accounts',
  includeOus: '--ous',
  excludeOus: '--exclude-ous',
} as const;

/** The selection of `--accounts`, `--exclude-accounts`, `--ous` and `--exclude-ous`; a bad id names its flag. */
export function accountSelection(options: OrganizationOptions): AccountSelection {
  const split = (values: string[] | undefined) =>
    values
      ?.flatMap((value) => value.split(','))
      .map((value) => value.trim())
      .filter((value) => value !== '');
  const selection: AccountSelection = {};
  const given = {
    includeAccounts: split(options.accounts),
    excludeAccounts: split(options.excludeAccounts),
    includeOus: split(options.ous),
    excludeOus: split(options.excludeOus),
  };
  for (const [key, values] of Object.entries(given) as [
    keyof typeof SELECTION_FLAGS,
    string[] | undefined,
  ][]) {
    if (!values || values.length === 0) continue;
    const parsed = AccountSelectionSchema.shape[key].safeParse(values);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const bad = values[Number(issue.path[0])];
      fail(`${SELECTION_FLAGS[key]}: "${bad}" is not valid: ${issue.message}`);
    }
    selection[key] = values;
  }
  return selection;
}

/** Whether any flag of an organization run was given (they need `--org` or an organization export). */
export function organizationFlagsGiven(options: OrganizationOptions): string[] {
  const flags: string[] = [];
  if (options.accounts?.length) flags.push('--accounts');
  if (options.excludeAccounts?.length) flags.push('--exclude-accounts');
  if (options.ous?.length) flags.push('--ous');
  if (options.excludeOus?.length) flags.push('--exclude-ous');
  if (options.roleName !== undefined) flags.push('--role-name');
  if (options.externalId !== undefined) flags.push('--external-id');
  if (options.concurrency !== undefined) flags.push('--concurrency');
  return flags;
}

/** The accounts a selection keeps; none is a usage error, never an empty success. */
export function selectOrFail(
  accounts: readonly MemberAccount[],
  selection: AccountSelection,
): MemberAccount[] {
  const selected = selectAccounts(accounts, selection);
  if (selected.length === 0) {
    fail(
      `no account matches the selection (${accounts.length} account${accounts.length === 1 ? '' : 's'} found): ` +
        'check --accounts, --exclude-accounts, --ous and --exclude-ous',
    );
  }
  return selected;
}

export function parseConcurrency(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(n) || n < 1 || n > MAX_ORG_CONCURRENCY) {
    throw new InvalidArgumentError(`expected a whole number from 1 to ${MAX_ORG_CONCURRENCY}`);
  }
  return n;
}

/** A run id: the start time and a random suffix, e.g. `20250601T120000Z-3fa9c2d1`. */
export function newRunId(now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(4).toString('hex')}`;
}

const label = (account: { id: string; name: string }) =>
  account.name ? `${account.id} (${account.name})` : account.id;

/** One stderr line when an account starts and one when it ends, unless `--quiet`. */
export function accountProgress(
  io: Pick<Io, 'stderr'>,
  quiet: boolean | undefined,
  total: number,
  verb: 'scanning' | 'collecting',
) {
  let started = 0;
  let finished = 0;
  const startedAt = new Map<string, number>();
  return {
    start(account: MemberAccount): void {
      started++;
      startedAt.set(account.id, Date.now());
      if (!quiet) io.stderr.write(`iam-posture: [${started}/${total}] ${verb} ${label(account)}\n`);
    },
    done(outcome: AccountOutcome): void {
      finished++;
      if (quiet) return;
      const seconds = ((Date.now() - (startedAt.get(outcome.accountId) ?? Date.now())) / 1000).toFixed(1);
      const what =
        outcome.outcome === 'failed'
          ? `failed (${outcome.reason})${outcome.detail ? `: ${outcome.detail}` : ''}`
          : `${outcome.outcome}: ${verb === 'scanning' ? `${outcome.findings} finding${outcome.findings === 1 ? '' : 's'}, ` : ''}${outcome.apiCalls} API calls` +
            (outcome.outcome === 'partial' && outcome.detail ? `; ${outcome.detail}` : '');
      io.stderr.write(
        `iam-posture: [${finished}/${total} done] ${label({ id: outcome.accountId, name: outcome.accountName })} ${what} (${seconds} s)\n`,
      );
    },
  };
}

export function countsLine(counts: OutcomeCounts): string {
  return `${counts.total} account${counts.total === 1 ? '' : 's'}: ${counts.complete} complete, ${counts.partial} partial, ${counts.failed} failed`;
}

/** The per-account outcome table: id, name, outcome, API calls, findings, and the reason or detail. */
export function outcomeTable(
  outcomes: readonly AccountOutcome[],
  counts: OutcomeCounts,
  { findings = true }: { findings?: boolean } = {},
): string {
  const header = ['ACCOUNT', 'NAME', 'OUTCOME', 'API CALLS', 'FINDINGS', 'REASON / DETAIL'];
  const rows = outcomes.map((o) => [
    o.accountId,
    o.accountName || '-',
    o.outcome,
    String(o.apiCalls),
    findings && o.outcome !== 'failed' ? String(o.findings) : '-',
    o.outcome === 'failed' ? `${o.reason}${o.detail ? `: ${o.detail}` : ''}` : (o.detail ?? ''),
  ]);
  const table = alignColumns(header, rows, { rightAligned: [3, 4], indent: '  ' });
  return `${[`ACCOUNTS (${countsLine(counts)})`, ...table].join('\n')}\n`;
}

/** The JSON document of an organization run: the run, the `accounts` list, and each account's report. */
export function organizationJson(
  run: { runId: string; startedAt: string; finishedAt: string; counts: OutcomeCounts },
  outcomes: readonly AccountOutcome[],
  reports: ReadonlyMap<string, AnalysisReport>,
  stored: boolean,
): string {
  const document = {
    runId: run.runId,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    counts: run.counts,
    accounts: outcomes.map((o) => ({
      id: o.accountId,
      name: o.accountName,
      ...(o.ouPath ? { ouPath: o.ouPath } : {}),
      outcome: o.outcome,
      reason: o.reason ?? null,
      detail: o.detail ?? null,
      unreadSources: o.unreadSources ?? [],
      apiCalls: o.apiCalls,
      findings: o.findings,
      ...(stored ? { scanId: o.scanId ?? null, opened: o.opened, resolved: o.resolved, held: o.held } : {}),
    })),
    reports: outcomes.flatMap((o) => {
      const report = reports.get(o.accountId);
      return report ? [{ accountId: o.accountId, ...JSON.parse(formatJson(report)) }] : [];
    }),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
