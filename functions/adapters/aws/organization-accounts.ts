import {
  type Account,
  type OrganizationsClient,
  paginateListAccounts,
  paginateListParents,
} from '@aws-sdk/client-organizations';
import type { MemberAccount } from '../../core/organization-scan';
import { OrganizationDiscoveryError } from '../organization-error';
import { describeError } from './errors';
import { checkedPages, nextToken } from './pages';

export { OrganizationDiscoveryError };

/**
 * The member accounts of the organization, as an organization run scans them: every ACTIVE
 * account (`organizations:ListAccounts`) with its name, its parent and the OU path from the root
 * (`organizations:ListParents`, walked up once per OU: accounts sharing an OU ask for it once).
 *
 * Only the management account and a delegated administrator may list an organization's accounts;
 * anything less is an error that says so, never an empty organization.
 */
export class OrganizationAccountsReader {
  /** OU id -> its path from the root, itself included. Shared by every account under it. */
  private readonly ouPaths = new Map<string, Promise<string[]>>();

  constructor(private readonly organizations: OrganizationsClient) {}

  async listMemberAccounts(): Promise<MemberAccount[]> {
    const accounts = (await this.activeAccounts()).sort((a, b) => a.id.localeCompare(b.id));
    const members: MemberAccount[] = [];
    // One account at a time: Organizations allows few requests per second, and the OU cache makes
    // most lookups after the first few free.
    for (const account of accounts) {
      const parentId = await this.parentOf(account.id, `account ${account.id}`);
      const ouPath = await this.pathTo(parentId);
      members.push({ id: account.id, name: account.name, parentId, ouPath });
    }
    return members;
  }

  private async activeAccounts(): Promise<{ id: string; name: string }[]> {
    const accounts: { id: string; name: string }[] = [];
    try {
      const pages = checkedPages(paginateListAccounts({ client: this.organizations }, {}), nextToken);
      for await (const page of pages) {
        for (const account of page.Accounts ?? []) {
          if (!isActive(account)) continue;
          if (!account.Id) {
            throw new OrganizationDiscoveryError(
              'organizations:ListAccounts answered an account without an Id',
              'organizations:ListAccounts',
            );
          }
          accounts.push({ id: account.Id, name: account.Name ?? '' });
        }
      }
    } catch (error) {
      if (error instanceof OrganizationDiscoveryError) throw error;
      throw new OrganizationDiscoveryError(listAccountsProblem(error), 'organizations:ListAccounts', {
        cause: error,
      });
    }
    return accounts;
  }

  /** The path from the root down to `parentId`, both included. */
  private pathTo(parentId: string): Promise<string[]> {
    if (isRoot(parentId)) return Promise.resolve([parentId]);
    let path = this.ouPaths.get(parentId);
    if (!path) {
      path = this.parentOf(parentId, `OU ${parentId}`).then(async (above) => [
        ...(await this.pathTo(above)),
        parentId,
      ]);
      this.ouPaths.set(parentId, path);
    }
    return path;
  }

  private async parentOf(childId: string, what: string): Promise<string> {
    try {
      const pages = checkedPages(
        paginateListParents({ client: this.organizations }, { ChildId: childId }),
        nextToken,
      );
      for await (const page of pages) {
        const parent = page.Parents?.find((p) => p.Id)?.Id;
        if (parent) return parent;
      }
    } catch (error) {
      throw new OrganizationDiscoveryError(
        `could not read the parent of ${what} (${describeError(error)}); the accounts' OUs decide which are scanned, so no account was`,
        'organizations:ListParents',
        { cause: error },
      );
    }
    throw new OrganizationDiscoveryError(
      `organizations:ListParents answered no parent for ${what}`,
      'organizations:ListParents',
    );
  }
}

/** ACTIVE by `State`, or by the older `Status` where `State` is absent. */
function isActive(account: Account): boolean {
  return (account.State ?? account.Status) === 'ACTIVE';
}

const isRoot = (id: string): boolean => id.startsWith('r-');

const DENIED = new Set(['AccessDeniedException', 'AccessDenied']);

function listAccountsProblem(error: unknown): string {
  const name = (error as { name?: unknown }).name;
  const described = describeError(error);
  if (name === 'AWSOrganizationsNotInUseException') {
    return `the account of these credentials is in no organization (${described}): there are no member accounts to scan`;
  }
  if (typeof name === 'string' && DENIED.has(name)) {
    return (
      `could not list the organization's accounts (${described}): organizations:ListAccounts answers only ` +
      'the management account or a delegated administrator account; run with credentials of one of them'
    );
  }
  return `could not list the organization's accounts (${described})`;
}
