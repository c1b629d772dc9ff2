import { parseSlackEnvelope, type SlackEnvelope } from '../core/slack/envelope';
import { type SignatureVerdict, verifySlackSignature } from '../core/slack/signature';

/**
 * The one Slack interaction endpoint: every button, modal and slash command of every feature
 * arrives here. The signature is verified once, before anything is parsed; the body is parsed into
 * an envelope, and the first route that claims it handles it. A route decides who may act and
 * validates the values it reads; a body no route claims is refused as not ours.
 */

export interface InteractionHttpRequest {
  /** Header names in lower case. */
  headers: Readonly<Record<string, string | undefined>>;
  /** The body exactly as received, as bytes (a base64 Function URL body decoded first). */
  rawBody: Buffer;
}

export interface InteractionAnswer {
  /** 401: not from Slack (signature, time, empty secret); 400: not a payload of ours; 200 otherwise. */
  statusCode: 200 | 400 | 401;
  /** What happened, for the log: `approved`, `not-an-approver`, `modal-opened`, ... */
  outcome: string;
  /** The ephemeral text the person was shown, if any. */
  text?: string;
  /**
   * The exact JSON answered with 200 instead of an ephemeral text: a modal's
   * `{ response_action: 'errors' | 'clear' | 'update', ... }`.
   */
  body?: Record<string, unknown>;
  /** Why a request was refused with 401 or 400 (for the log; never shown to the caller). */
  detail?: string;
  /** The id of what was acted on (a request, a grant, a review item), for the log. */
  requestId?: string;
  userId?: string;
  /** Follow-up work that failed after the decision was recorded (event, message update, ephemeral). */
  warnings: string[];
}

export interface RouteContext {
  now: Date;
  /** Slack marked the delivery as a retry of one it got no answer to in 3 seconds. */
  retry: boolean;
}

export interface SlackRoute {
  readonly name: string;
  /** True when this route owns the envelope (by action_id / callback_id prefix, or the command). */
  matches(envelope: SlackEnvelope): boolean;
  handle(envelope: SlackEnvelope, context: RouteContext): Promise<InteractionAnswer>;
}

export interface SlackRouterDeps {
  /** The app's signing secret; an empty string when none is stored (every request is then refused). */
  signingSecret: () => Promise<string>;
  routes: readonly SlackRoute[];
  now: () => Date;
}

const SIGNATURE_DETAIL: Record<Exclude<SignatureVerdict, { valid: true }>['reason'], string> = {
  'empty-secret': 'no signing secret is stored',
  'missing-header': 'the signature or timestamp header is missing',
  'malformed-timestamp': 'the timestamp header is not a number of seconds',
  stale: 'the timestamp is more than 5 minutes old',
  future: 'the timestamp is more than 5 minutes ahead',
  'bad-signature': 'the signature does not match the body',
};

export async function routeSlackRequest(
  http: InteractionHttpRequest,
  deps: SlackRouterDeps,
): Promise<InteractionAnswer> {
  const now = deps.now();
  const verdict = verifySlackSignature({
    signingSecret: await deps.signingSecret(),
    timestamp: http.headers['x-slack-request-timestamp'],
    signature: http.headers['x-slack-signature'],
    rawBody: http.rawBody,
    nowSeconds: Math.floor(now.getTime() / 1000),
  });
  if (!verdict.valid) {
    return {
      statusCode: 401,
      outcome: 'bad-signature',
      detail: SIGNATURE_DETAIL[verdict.reason],
      warnings: [],
    };
  }
  const parsed = parseSlackEnvelope(http.rawBody);
  if (!parsed.ok) return malformed(parsed.reason);
  const route = deps.routes.find((candidate) => candidate.matches(parsed.envelope));
  if (!route) return malformed(`no iam-posture feature handles this ${describeEnvelope(parsed.envelope)}`);
  return route.handle(parsed.envelope, { now, retry: isSlackRetry(http.headers) });
}

function malformed(detail: string): InteractionAnswer {
  return { statusCode: 400, outcome: 'malformed', detail, warnings: [] };
}

function describeEnvelope(envelope: SlackEnvelope): string {
  switch (envelope.kind) {
    case 'block_actions':
      return `action (${envelope.actionId.slice(0, 64)})`;
    case 'view_submission':
      return `modal (${envelope.callbackId.slice(0, 64)})`;
    case 'slash_command':
      return `command (${envelope.command})`;
  }
}

/**
 * True when Slack marks the request as a retry (`x-slack-retry-num`: 1, 2, 3). The header is not
 * signed, so it only decides whether to repeat an answer, never what is done.
 */
function isSlackRetry(headers: InteractionHttpRequest['headers']): boolean {
  const value = headers['x-slack-retry-num'];
  return value !== undefined && /^[1-9][0-9]*$/.test(value.trim());
}
