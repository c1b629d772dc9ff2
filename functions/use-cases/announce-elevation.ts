import type { ElevationRequest } from '../core/jit/types';
import { breakGlassBroadcast, elevationMessage, type JitMessage } from '../core/slack/jit-messages';
import type { JitStore } from './jit-ports';

/**
 * The one Slack message of a grant, in the JIT channel: posted when the grant is first announced
 * (where it is recorded with `store.setSlackMessage`), updated in place on every later change. A
 * break-glass grant is also broadcast to the channel when it is first announced, apart from its
 * message, so a self-approved elevation is seen at once.
 *
 * Two places announce: the interaction endpoint, right after a request made in Slack is stored (the
 * requester sees it at once), and the JIT function on each elevation event (requests from the CLI,
 * approvals, grants, revokes). So that a Slack request is not posted twice when both run at the
 * same moment, the JIT function announces with `postSlackRequests: false`: a request made in Slack
 * without a message is left to the endpoint while it is still in the state the endpoint announces
 * (`requested`, or `approved` for break-glass); once it has moved on, a message still missing (the
 * endpoint's post failed) is posted by the JIT function.
 */

export interface SlackMessageRef {
  channel: string;
  ts: string;
}

export interface ElevationMessenger {
  post(channel: string, message: JitMessage): Promise<SlackMessageRef>;
  update(ref: SlackMessageRef, message: JitMessage): Promise<void>;
}

export interface AnnounceElevationDeps {
  store: Pick<JitStore, 'get' | 'setSlackMessage'>;
  slack: ElevationMessenger;
  /** The JIT channel. */
  channel: string;
  /** Default true; false where the interaction endpoint posts requests made in Slack itself. */
  postSlackRequests?: boolean;
}

export type AnnounceOutcome =
  | { outcome: 'posted'; slack: SlackMessageRef; broadcast: boolean }
  | { outcome: 'updated'; slack: SlackMessageRef }
  /** A request made in Slack that has no message yet: the interaction endpoint posts it. */
  | { outcome: 'left-to-interaction' }
  | { outcome: 'unknown-grant' };

/** Announces the grant's current state as stored. Slack and store failures are thrown, for a retry. */
export async function announceElevation(
  grantId: string,
  deps: AnnounceElevationDeps,
): Promise<AnnounceOutcome> {
  const request = await deps.store.get(grantId);
  if (!request) return { outcome: 'unknown-grant' };
  return announceRequest(request, deps);
}

/** Announces `request` as given (the caller has just written it). */
export async function announceRequest(
  request: ElevationRequest,
  deps: AnnounceElevationDeps,
): Promise<AnnounceOutcome> {
  const message = elevationMessage(request);
  if (request.slack) {
    await deps.slack.update(request.slack, message);
    return { outcome: 'updated', slack: request.slack };
  }
  if (deps.postSlackRequests === false && leftToInteraction(request)) {
    return { outcome: 'left-to-interaction' };
  }
  // The broadcast goes first: when the grant's message fails after it, a retry broadcasts again,
  // which is better than a break-glass use nobody was told about.
  if (request.breakGlass) await deps.slack.post(deps.channel, breakGlassBroadcast(request));
  const slack = await deps.slack.post(deps.channel, message);
  await deps.store.setSlackMessage(request.grantId, slack);
  return { outcome: 'posted', slack, broadcast: request.breakGlass };
}

function leftToInteraction(request: ElevationRequest): boolean {
  if (request.requestedBy.kind !== 'slack') return false;
  return request.state === 'requested' || (request.breakGlass && request.state === 'approved');
}

/** The announcer port of the JIT function: `announce(grantId)` on every elevation event. */
export function elevationAnnouncer(deps: Omit<AnnounceElevationDeps, 'postSlackRequests'>): {
  announce(grantId: string): Promise<AnnounceOutcome>;
} {
  return { announce: (grantId) => announceElevation(grantId, { ...deps, postSlackRequests: false }) };
}
