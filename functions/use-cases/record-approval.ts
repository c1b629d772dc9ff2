import type { Approver } from '../core/deploy-config';
import { describeError } from '../core/describe-error';
import { isExpired, type RemediationRequest } from '../core/remediation/request';
import { authorizeApprover, isSameSlackUser, type SlackUser, slackActor } from '../core/slack/approvers';
import { interactionFromPayload, type SlackInteraction } from '../core/slack/interaction';
import { type RequestMessageOptions, slackActionOf } from '../core/slack/messages';
import type { ApprovalNotifier, RemediationEvents, RemediationRequestStore } from './remediation-ports';
import {
  type InteractionAnswer,
  type InteractionHttpRequest,
  routeSlackRequest,
  type SlackRoute,
} from './slack-router';

export type { InteractionAnswer, InteractionHttpRequest } from './slack-router';

/**
 * A click on a request message's button, as Slack posts it to the interaction endpoint:
 * verify the signature, parse, authorize the person, look the request up, and move it with one
 * conditional write (`pending -> approved` or `rejected`), then hand off through an event that
 * carries only the request id. No IAM call is made here: the endpoint answers well within Slack's
 * 3 seconds, and the remediation function does the work.
 *
 * A replayed or double click acts once: the second conditional write finds the request decided.
 * Whatever is refused leaves the request as it was, and the person gets an ephemeral reason.
 *
 * Slack sends an interaction again (`x-slack-retry-num`) when it got no 200 within 3 seconds. A
 * retry of a click whose decision is recorded already (the same person, the same button) is
 * acknowledged without a word: the first delivery did the work and answered the person. A second
 * click, or a retry of a click that something else decided first, gets the usual answer.
 */

export type InteractionOutcome =
  | 'bad-signature'
  | 'malformed'
  | 'not-an-approver'
  | 'requester'
  | 'unknown-request'
  | 'wrong-message'
  | 'already-decided'
  | 'retry-already-handled'
  | 'expired'
  | 'approved'
  | 'rejected'
  | 'rollback-requested'
  | 'rollback-not-started'
  | 'not-executed';

export interface InteractionNotifier extends Pick<ApprovalNotifier, 'tellUser'> {
  updateRequest(request: RemediationRequest, options?: RequestMessageOptions): Promise<void>;
}

export interface RecordApprovalDeps {
  /** The app's signing secret; an empty string when none is stored (every request is then refused). */
  signingSecret: () => Promise<string>;
  /** Who may decide; empty = nobody. */
  approvers: readonly Approver[];
  requests: RemediationRequestStore;
  events: RemediationEvents;
  notifier: InteractionNotifier;
  now: () => Date;
}

/** The remediation buttons (Approve, Reject, Undo) as a route of the interaction endpoint. */
export function remediationRoute(deps: RecordApprovalDeps): SlackRoute {
  return {
    name: 'remediation',
    matches: (envelope) =>
      envelope.kind === 'block_actions' && slackActionOf(envelope.actionId) !== undefined,
    handle: async (envelope, context) => {
      if (envelope.kind !== 'block_actions') return malformedClick('not a button click');
      const parsed = interactionFromPayload(envelope.payload);
      if (!parsed.ok) return malformedClick(parsed.reason);
      return new Click(parsed.interaction, deps, context.now, context.retry).handle();
    },
  };
}

/** A verified request to the endpoint, answered as the remediation buttons alone would answer it. */
export function recordApproval(
  http: InteractionHttpRequest,
  deps: RecordApprovalDeps,
): Promise<InteractionAnswer> {
  return routeSlackRequest(http, {
    signingSecret: deps.signingSecret,
    routes: [remediationRoute(deps)],
    now: deps.now,
  });
}

function malformedClick(detail: string): InteractionAnswer {
  return { statusCode: 400, outcome: 'malformed', detail, warnings: [] };
}

/** One verified, parsed click. */
class Click {
  private readonly warnings: string[] = [];
  private readonly user: SlackUser;

  constructor(
    private readonly interaction: SlackInteraction,
    private readonly deps: RecordApprovalDeps,
    private readonly now: Date,
    private readonly retry: boolean,
  ) {
    this.user = { teamId: interaction.teamId, userId: interaction.userId };
  }

  async handle(): Promise<InteractionAnswer> {
    const { interaction, deps } = this;
    // The allowlist is checked before anything is read: strangers learn nothing about requests.
    const allowed = authorizeApprover(this.user, deps.approvers);
    if (!allowed.allowed) return this.refuse('not-an-approver', allowed.message);

    const request = await deps.requests.get(interaction.requestId);
    if (!request) {
      return this.refuse(
        'unknown-request',
        'This remediation request is unknown to iam-posture; nothing was changed.',
      );
    }
    const asRequester = authorizeApprover(this.user, deps.approvers, request.requestedBy);
    if (!asRequester.allowed) return this.refuse('requester', asRequester.message);
    if (!request.slack) {
      // The message was posted but where it is was never recorded (the notifier stopped between
      // posting and recording). The click is signed by Slack and its button carries this request's
      // id, so the message it came from is this request's message: record it, so that this decision
      // and every later update edit that message instead of leaving its buttons live.
      const adopted = await deps.requests.adoptSlackMessage(request.requestId, {
        channel: interaction.channelId,
        ts: interaction.messageTs,
      });
      if (adopted) request.slack = adopted;
    }
    if (
      request.slack &&
      (request.slack.channel !== interaction.channelId || request.slack.ts !== interaction.messageTs)
    ) {
      return this.refuse(
        'wrong-message',
        'This button is not on the message of that request; nothing was changed.',
      );
    }
    if (this.retry && this.recordsThisClick(request)) {
      return this.done('retry-already-handled', request);
    }
    return interaction.action === 'undo' ? this.undo(request) : this.decide(request);
  }

  /** True when the request records this person's decision for this button. */
  private recordsThisClick(request: RemediationRequest): boolean {
    const recorded = {
      approve: request.approvedBy,
      reject: request.rejectedBy,
      undo: request.rollbackRequestedBy,
    }[this.interaction.action];
    return recorded !== undefined && isSameSlackUser(this.user, recorded);
  }

  private async decide(request: RemediationRequest): Promise<InteractionAnswer> {
    const { deps } = this;
    if (request.state !== 'pending') return this.alreadyDecided(request);
    const at = this.now.toISOString();
    if (isExpired(request, this.now)) {
      const expired = await deps.requests.transition(request.requestId, 'pending', 'expired', {
        outcomeReason: `Nobody decided before ${request.expiresAt}.`,
      });
      if (!expired) return this.alreadyDecided((await deps.requests.get(request.requestId)) ?? request);
      await this.updateMessage(expired);
      return this.refuse(
        'expired',
        'This request expired before it was decided; nothing was changed.',
        expired,
      );
    }

    const actor = slackActor(this.user);
    if (this.interaction.action === 'reject') {
      const rejected = await deps.requests.transition(request.requestId, 'pending', 'rejected', {
        rejectedBy: actor,
        decidedAt: at,
      });
      if (!rejected) return this.alreadyDecided((await deps.requests.get(request.requestId)) ?? request);
      await this.updateMessage(rejected);
      return this.done('rejected', rejected);
    }

    const approved = await deps.requests.transition(request.requestId, 'pending', 'approved', {
      approvedBy: actor,
      approvedAt: at,
      decidedAt: at,
    });
    if (!approved) return this.alreadyDecided((await deps.requests.get(request.requestId)) ?? request);
    // The message first: the remediation function updates it next, and must not be overwritten.
    await this.updateMessage(approved);
    try {
      await deps.events.publish('RemediationApproved', { requestId: approved.requestId });
    } catch (error) {
      this.warnings.push(`publishing RemediationApproved failed: ${describeError(error)}`);
      await this.tell(
        'Your approval is recorded, but the remediation could not be started. Ask an operator to check the iam-posture logs.',
      );
    }
    return this.done('approved', approved);
  }

  private async undo(request: RemediationRequest): Promise<InteractionAnswer> {
    if (request.state !== 'executed') {
      return this.refuse(
        'not-executed',
        `Only an executed remediation can be undone; this one is ${request.state}. Nothing was changed.`,
        request,
      );
    }
    const actor = slackActor(this.user);
    // The authorized request is recorded first: the remediation function rolls back only requests
    // in state rollback-requested, so the event alone proves nothing.
    const marked = await this.deps.requests.transition(request.requestId, 'executed', 'rollback-requested', {
      rollbackRequestedBy: actor,
      rollbackRequestedAt: this.now.toISOString(),
    });
    if (!marked) {
      const current = await this.deps.requests.get(request.requestId);
      return this.alreadyDecided(current ?? request);
    }
    // The message next (the rollback updates it when done), then the hand-off.
    await this.updateMessage(marked);
    try {
      await this.deps.events.publish('RollbackRequested', {
        requestId: request.requestId,
        requestedBy: actor,
      });
    } catch (error) {
      this.warnings.push(`publishing RollbackRequested failed: ${describeError(error)}`);
      return this.refuse(
        'rollback-not-started',
        `The rollback is recorded but could not be started; nothing was changed yet. Run iam-posture rollback ${marked.requestId}.`,
        marked,
      );
    }
    return this.done('rollback-requested', marked);
  }

  private async alreadyDecided(request: RemediationRequest): Promise<InteractionAnswer> {
    return this.refuse(
      'already-decided',
      `This request is already ${request.state}; nothing more was done.`,
      request,
    );
  }

  /** A 200 answer with an ephemeral explanation; the request is as it was. */
  private async refuse(
    outcome: InteractionOutcome,
    text: string,
    request?: RemediationRequest,
  ): Promise<InteractionAnswer> {
    await this.tell(text);
    return {
      statusCode: 200,
      outcome,
      text,
      requestId: request?.requestId ?? this.interaction.requestId,
      userId: this.interaction.userId,
      warnings: this.warnings,
    };
  }

  private done(outcome: InteractionOutcome, request: RemediationRequest): InteractionAnswer {
    return {
      statusCode: 200,
      outcome,
      requestId: request.requestId,
      userId: this.interaction.userId,
      warnings: this.warnings,
    };
  }

  private async tell(text: string): Promise<void> {
    try {
      await this.deps.notifier.tellUser(this.interaction.channelId, this.interaction.userId, text);
    } catch (error) {
      this.warnings.push(`the ephemeral message could not be sent: ${describeError(error)}`);
    }
  }

  private async updateMessage(request: RemediationRequest, options?: RequestMessageOptions): Promise<void> {
    if (!request.slack) return;
    try {
      await this.deps.notifier.updateRequest(request, options);
    } catch (error) {
      this.warnings.push(`updating the Slack message failed: ${describeError(error)}`);
    }
  }
}
