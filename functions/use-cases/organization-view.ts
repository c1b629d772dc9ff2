import type { ScanRecord, StoredAccountOutcome } from '../core/findings-table';
import { mapWithConcurrency } from '../core/limit';
import {
  inView,
  type OrganizationViewFilter,
  type OrganizationViewRow,
  viewRow,
} from '../core/organization-view';
import { alignColumns } from '../core/report/columns';
import { SEVERITIES, type Severity } from '../core/rule';
import type { MalformedItem } from './findings-ports';
import type { FindingsFormat } from './list-findings';

/**
 * `iam-posture findings --org`: one row per account of the table, with its open findings by
 * severity and its latest scan's outcome. Every account shows: one an organization run failed
 * (no findings, only a failure), and one only ever scanned on its own (no organization run). A
 * stored item that cannot be read is listed as malformed and hides no other account.
 */

/** What the organization view reads from the findings table. */
export interface OrganizationViewReader {
  /** Every account's newest organization outcome. */
  listAccountOutcomes(): Promise<{ outcomes: StoredAccountOutcome[]; malformed: MalformedItem[] }>;
  /** Accounts scanned into the table. */
  listAccounts(): Promise<string[]>;
  latestScan(accountId: string): Promise<ScanRecord | undefined>;
  openFindingCounts(accountId: string): Promise<Record<Severity, number>>;
}

export interface OrganizationView {
  accounts: OrganizationViewRow[];
  malformed: MalformedItem[];
}

/** Accounts read at once: each is two or three small requests. */
const ACCOUNT_READ_CONCURRENCY = 8;

export async function organizationView(
  reader: OrganizationViewReader,
  filter: OrganizationViewFilter = {},
): Promise<OrganizationView> {
  const [listing, scanned] = await Promise.all([reader.listAccountOutcomes(), reader.listAccounts()]);
  const outcomes = new Map(listing.outcomes.map((outcome) => [outcome.accountId, outcome]));
  const accounts = [...new Set([...outcomes.keys(), ...scanned])]
    .filter((accountId) => inView(accountId, outcomes.get(accountId), filter))
    .sort();
  const malformed = [...listing.malformed];
  const rows = await mapWithConcurrency(accounts, ACCOUNT_READ_CONCURRENCY, async (accountId) => {
    const [counts, record] = await Promise.all([
      reader.openFindingCounts(accountId),
      latestScanRecord(reader, accountId, malformed),
    ]);
    return viewRow(accountId, outcomes.get(accountId), record, counts);
  });
  return { accounts: rows, malformed };
}

/** The account's latest scan record; a damaged one is listed as malformed, and the row still shows. */
async function latestScanRecord(
  reader: OrganizationViewReader,
  accountId: string,
  malformed: MalformedItem[],
): Promise<ScanRecord | undefined> {
  try {
    return await reader.latestScan(accountId);
  } catch (error) {
    const item = malformedItemOf(error);
    if (!item) throw error;
    malformed.push(item);
    return undefined;
  }
}

/** The item of the store's `MalformedItemError`, narrowed by name (use cases do not import adapters). */
function malformedItemOf(error: unknown): MalformedItem | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { name, item } = error as { name?: unknown; item?: MalformedItem };
  return name === 'MalformedItemError' && item ? item : undefined;
}

export function formatOrganizationView(view: OrganizationView, format: FindingsFormat): string {
  if (format === 'json') return `${JSON.stringify(view, null, 2)}\n`;
  return formatTable(view);
}

const COLUMNS = [
  'ACCOUNT',
  'NAME',
  'OU',
  'CRITICAL',
  'HIGH',
  'MEDIUM',
  'LOW',
  'INFO',
  'LATEST SCAN',
  'FINISHED',
  'REASON',
] as const;
const DETAIL_MAX = 100;

function formatTable(view: OrganizationView): string {
  const lines: string[] = [];
  if (view.accounts.length === 0) {
    lines.push('No accounts match.');
  } else {
    const rows = view.accounts.map(row);
    lines.push(...alignColumns(COLUMNS, rows), '', summary(view.accounts));
  }
  for (const item of view.malformed) {
    lines.push(`warning: stored ${item.key.PK} / ${item.key.SK} is malformed: ${item.issues.join('; ')}`);
  }
  return `${lines.join('\n')}\n`;
}

function row(account: OrganizationViewRow): string[] {
  const scan = account.latestScan;
  const reason = scan ? [scan.reason, scan.detail].filter(Boolean).join(': ') : '';
  return [
    account.accountId,
    account.accountName ?? '-',
    account.parentId ?? '-',
    ...SEVERITIES.map((severity) => String(account.openFindings[severity])),
    scan?.outcome ?? 'no scan record',
    scan ? scan.at.replace(/\.\d+Z$/, 'Z') : '-',
    reason.length > DETAIL_MAX ? `${reason.slice(0, DETAIL_MAX - 1)}…` : reason,
  ];
}

function summary(accounts: readonly OrganizationViewRow[]): string {
  const count = (outcome: string) => accounts.filter((a) => a.latestScan?.outcome === outcome).length;
  const open = accounts.reduce((sum, a) => sum + a.openFindings.total, 0);
  const unknown = accounts.filter((a) => !a.latestScan).length;
  const parts = [`${count('complete')} complete`, `${count('partial')} partial`, `${count('failed')} failed`];
  if (unknown > 0) parts.push(`${unknown} without a scan record`);
  return `${accounts.length} account${accounts.length === 1 ? '' : 's'}: ${parts.join(', ')}; ${open} open finding${open === 1 ? '' : 's'}`;
}
