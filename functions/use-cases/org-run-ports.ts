import type { MemberAccount } from '../core/organization-scan';
import type { AccountSource } from './collect';

/** What the organization run's steps need from the outside world. */

/** JSON files of the runs bucket (see `organization-run-files.ts` for the keys). */
export interface RunFiles {
  putJson(key: string, value: unknown): Promise<void>;
  /** Throws when the file is missing, unreadable or not JSON; the message names the file. */
  getJson(key: string): Promise<unknown>;
  /** Every key under the prefix (all pages). */
  listKeys(prefix: string): Promise<string[]>;
}

/** The organization's accounts a run may scan: ACTIVE only, each with its OU path. */
export interface AccountDirectory {
  listAccounts(): Promise<MemberAccount[]>;
}

/** A member account reached with its member role. */
export interface MemberSession {
  /** The account's reads, with the assumed role's credentials. */
  source: AccountSource;
  /** Closes the session's clients. */
  release(): void;
}

/** Opens member accounts: throws `MemberAccessError` when the member role cannot be assumed. */
export interface MemberAccess {
  open(account: MemberAccount): Promise<MemberSession>;
}
