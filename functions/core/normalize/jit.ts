import type { ElevationRequest, Eligibility } from '../jit/types';
import type {
  BreakGlassGrantSnapshot,
  CoverageGap,
  Inventory,
  JitEligibilitySnapshot,
  JitState,
} from '../model';
import { JIT_STATE_SOURCE } from '../raw';
import { storedDate as dateOf, inventoryAccountArn } from './own-state';

/**
 * The just-in-time state of an account as the scan reads it from the findings table: the run-time
 * eligibilities and the break-glass elevations. `read: false` is a read that failed, with why.
 */
export type JitStateInput =
  | {
      read: true;
      eligibilities: Eligibility[];
      breakGlass: ElevationRequest[];
      /** Stored items that could not be read (key and why); the rest was read. */
      unreadable?: { item: string; reason: string }[];
    }
  | { read: false; reason: string };

/**
 * Adds the just-in-time state to an inventory: snapshots for the rules, and a coverage gap when
 * the read failed (the rules on it then report the gap, never a pass). A record with an unreadable
 * date is a coverage gap of its own, naming the record; the others are still evaluated. Without
 * `input` (an offline scan) the inventory is left as it is: those rules are not applicable.
 */
export function withJitState(inventory: Inventory, input: JitStateInput | undefined): Inventory {
  if (!input) return inventory;
  const accountArn = inventoryAccountArn(inventory);
  if (!input.read) {
    const jit: JitState = { read: false, reason: input.reason };
    const gap: CoverageGap = {
      kind: 'coverage-gap',
      arn: accountArn,
      accountId: inventory.accountId,
      source: JIT_STATE_SOURCE,
      reason: `The just-in-time eligibilities and break-glass elevations could not be read: ${input.reason}`,
      category: 'ReadFailed',
    };
    return { ...inventory, jit, coverageGaps: [...inventory.coverageGaps, gap] };
  }
  const gaps: CoverageGap[] = [];
  const malformed = (arn: string, detail: string, reason: string) =>
    gaps.push({
      kind: 'coverage-gap',
      arn,
      accountId: inventory.accountId,
      source: JIT_STATE_SOURCE,
      reason,
      category: 'Malformed',
      detail,
    });

  // An unreadable item may belong to any principal: the gap weighs on every finding of the state.
  for (const item of input.unreadable ?? []) {
    gaps.push({
      kind: 'coverage-gap',
      arn: accountArn,
      accountId: inventory.accountId,
      source: JIT_STATE_SOURCE,
      reason: `Stored just-in-time item ${item.item} could not be read: ${item.reason}`,
      category: 'Malformed',
      detail: item.item,
    });
  }

  const eligibilities: JitEligibilitySnapshot[] = [];
  for (const e of input.eligibilities) {
    const createdAt = dateOf(e.createdAt);
    const lastUsedAt = e.lastUsedAt === undefined ? undefined : dateOf(e.lastUsedAt);
    if (!createdAt || (e.lastUsedAt !== undefined && !lastUsedAt)) {
      const field = createdAt ? 'lastUsedAt' : 'createdAt';
      malformed(
        e.principalArn,
        `eligibility ${e.profile}.${field}`,
        `The eligibility of ${e.principalArn} for profile ${e.profile} has an unreadable ${field} (${JSON.stringify(e[field])}).`,
      );
      continue;
    }
    eligibilities.push({
      kind: 'jit-eligibility',
      arn: e.principalArn,
      accountId: e.accountId,
      profile: e.profile,
      createdAt,
      ...(lastUsedAt ? { lastUsedAt } : {}),
      grantedBy: e.grantedBy,
      ...(e.sourceRequestId !== undefined ? { sourceRequestId: e.sourceRequestId } : {}),
    });
  }

  const breakGlass: BreakGlassGrantSnapshot[] = [];
  for (const request of input.breakGlass) {
    if (!request.breakGlass) continue;
    const requestedAt = dateOf(request.requestedAt);
    const startsAt = dateOf(request.startsAt);
    const endsAt = dateOf(request.endsAt);
    if (!requestedAt || !startsAt || !endsAt) {
      const field = !requestedAt ? 'requestedAt' : !startsAt ? 'startsAt' : 'endsAt';
      malformed(
        request.principalArn,
        `grant ${request.grantId}.${field}`,
        `Break-glass elevation ${request.grantId} of ${request.principalArn} has an unreadable ${field} (${JSON.stringify(request[field])}).`,
      );
      continue;
    }
    breakGlass.push({
      kind: 'break-glass-grant',
      arn: request.principalArn,
      accountId: request.accountId,
      grantId: request.grantId,
      profile: request.profile,
      requestedBy: request.requestedBy,
      requestedAt,
      startsAt,
      endsAt,
      state: request.state,
    });
  }
  return {
    ...inventory,
    jit: { read: true, eligibilities, breakGlass },
    coverageGaps: [...inventory.coverageGaps, ...gaps],
  };
}
