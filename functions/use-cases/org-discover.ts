import { runFileKeys } from '../core/organization-run-files';
import { type AccountSelection, type MemberAccount, selectAccounts } from '../core/organization-scan';
import type { AccountDirectory, RunFiles } from './org-run-ports';

/**
 * The first step of an organization run: the organization's ACTIVE accounts, narrowed by the
 * configured selection (and, for a rescan, to the accounts named), written to the runs bucket as
 * the JSON array the state machine's Map reads. A run with no account to scan is an error, not an
 * empty success: it would report an organization as scanned when nothing was.
 */

export interface DiscoverDeps {
  directory: AccountDirectory;
  files: RunFiles;
  now(): Date;
}

export interface DiscoverInput {
  runId: string;
  selection: AccountSelection;
  /** Rescan only these accounts (each must be one the selection keeps). */
  accounts?: readonly string[];
}

export interface DiscoverResult {
  runId: string;
  accountsKey: string;
  accounts: MemberAccount[];
  startedAt: string;
}

export class DiscoverError extends Error {
  override readonly name = 'DiscoverError';
}

export async function discoverAccounts(deps: DiscoverDeps, input: DiscoverInput): Promise<DiscoverResult> {
  const startedAt = deps.now().toISOString();
  const keys = runFileKeys(input.runId);
  const active = await deps.directory.listAccounts();
  let accounts = selectAccounts(active, input.selection);
  if (input.accounts !== undefined) accounts = rescanned(active, accounts, input.accounts);
  if (accounts.length === 0) {
    throw new DiscoverError(
      `run ${input.runId} has no account to scan: the organization lists ${active.length} ACTIVE account(s) and the account selection (ORG_ACCOUNT_SELECTION) keeps none of them`,
    );
  }
  await deps.files.putJson(keys.accounts, accounts);
  return { runId: input.runId, accountsKey: keys.accounts, accounts, startedAt };
}

/** The selected accounts a rescan names; every id it names must be one of them. */
function rescanned(
  active: readonly MemberAccount[],
  selected: readonly MemberAccount[],
  ids: readonly string[],
): MemberAccount[] {
  if (ids.length === 0) {
    throw new DiscoverError('the rescan input names no account: give at least one account id in "accounts"');
  }
  const wanted = new Set(ids);
  const activeIds = new Set(active.map((account) => account.id));
  const selectedIds = new Set(selected.map((account) => account.id));
  const problems: string[] = [];
  for (const id of wanted) {
    if (!activeIds.has(id)) problems.push(`${id} is not an ACTIVE account of the organization`);
    else if (!selectedIds.has(id))
      problems.push(`${id} is excluded by the account selection (ORG_ACCOUNT_SELECTION)`);
  }
  if (problems.length > 0) {
    throw new DiscoverError(`the rescan input names accounts that cannot be scanned: ${problems.join('; ')}`);
  }
  return selected.filter((account) => wanted.has(account.id));
}
