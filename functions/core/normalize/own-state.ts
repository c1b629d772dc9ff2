import { accountRootArn, arnPartition } from '../arn';
import type { Inventory } from '../model';

/**
 * What the readers of iam-posture's own stored state (just-in-time, reviews) share: stored
 * instants are ISO strings a hand edit or an older writer may have spoiled, and gaps about the
 * state as a whole are recorded against the account's root ARN.
 */

/** The instant a stored string names; undefined when it is not a string or not a date. */
export function storedDate(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time);
}

/** The account's root ARN, in the partition the inventory's principals are in (default `aws`). */
export function inventoryAccountArn(inventory: Inventory): string {
  const arn = inventory.roles[0]?.arn ?? inventory.users[0]?.arn;
  return accountRootArn(arn ? arnPartition(arn) : 'aws', inventory.accountId);
}
