import { isLapsed } from '../core/jit/approval';
import { elevationDetail, publishElevationEvent } from './elevation-events';
import type { JitEvents, JitStore } from './jit-ports';

export interface LapseRequestsDeps {
  store: JitStore;
  events: JitEvents;
  now(): Date;
}

export interface LapseRequestsResult {
  /** Grant ids moved to lapsed by this run. */
  lapsed: string[];
  warnings: string[];
}

/**
 * Ends the requests nobody approved in time. Each move is conditional on the request still
 * waiting, so an approval that lands at the same moment wins or loses cleanly, never both.
 */
export async function lapseRequests(deps: LapseRequestsDeps): Promise<LapseRequestsResult> {
  const now = deps.now();
  const lapsed: string[] = [];
  const warnings: string[] = [];
  for (const request of await deps.store.listByState('requested')) {
    if (!isLapsed(request, now)) continue;
    const moved = await deps.store.transition(request.grantId, 'requested', 'lapsed', {});
    if (!moved) continue;
    lapsed.push(moved.grantId);
    await publishElevationEvent(deps.events, warnings, 'ElevationLapsed', elevationDetail(moved));
  }
  return { lapsed, warnings };
}
