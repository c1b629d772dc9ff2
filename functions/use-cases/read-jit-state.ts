import type { ElevationRequest, ElevationState } from '../core/jit/types';
import type { JitStateInput } from '../core/normalize/jit';
import type { JitStore } from './jit-ports';

/** What the scan reads of the just-in-time store. */
export type JitStateSource = Pick<JitStore, 'listEligibility' | 'listByState'>;

/**
 * The states a break-glass elevation can be in: self-approved at once, then granted, revoked, or
 * failed. It is never waiting for approval, rejected or lapsed.
 */
export const BREAK_GLASS_STATES: readonly ElevationState[] = ['approved', 'granted', 'revoked', 'failed'];

/**
 * The account's just-in-time state for a scan: its eligibilities and its break-glass elevations.
 * Items the source reports unreadable (through `unreadable`) are named, the rest is kept; any
 * other failure is left to the caller (the scan records it as a failed read).
 */
export async function readJitScanState(
  source: JitStateSource,
  accountId: string,
  unreadable: () => { item: string; reason: string }[] = () => [],
): Promise<JitStateInput> {
  const eligibilities = (await source.listEligibility(accountId)).filter((e) => e.accountId === accountId);
  const breakGlass: ElevationRequest[] = [];
  for (const state of BREAK_GLASS_STATES) {
    for (const request of await source.listByState(state)) {
      if (request.breakGlass && request.accountId === accountId) breakGlass.push(request);
    }
  }
  const skipped = unreadable();
  return { read: true, eligibilities, breakGlass, ...(skipped.length > 0 ? { unreadable: skipped } : {}) };
}
