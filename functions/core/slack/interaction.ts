import * as z from 'zod';
import { type SlackAction, slackActionOf } from './messages';

/**
 * Parsing of a Slack `block_actions` interaction: the form-encoded body (`payload=<JSON>`) Slack
 * posts when someone clicks a button of a request message. Only call this on a body whose
 * signature was verified. Anything unexpected is a rejection with a reason, never a guess.
 */

export interface SlackInteraction {
  /** The workspace the click came from. */
  teamId: string;
  userId: string;
  action: SlackAction;
  /** The button's value: the opaque request id, nothing else. */
  requestId: string;
  channelId: string;
  /** The `ts` of the message the button is on. */
  messageTs: string;
  /** Where Slack accepts a delayed response; optional in Slack's payload. */
  responseUrl?: string;
}

export type InteractionParse = { ok: true; interaction: SlackInteraction } | { ok: false; reason: string };

/** Slack's payloads are a few KB; anything far larger is not one of ours. */
export const MAX_INTERACTION_BODY_BYTES = 256 * 1024;

/** Request ids are UUIDs or hex digests: a conservative alphabet and length. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9-]{8,64}$/;

const slackId = (prefixes: string) => z.string().regex(new RegExp(`^[${prefixes}][A-Z0-9]{2,}$`));
const messageTs = z.string().regex(/^\d{1,12}\.\d{1,9}$/, 'must be a message ts like 1717200000.000100');

const PayloadSchema = z.looseObject({
  type: z.literal('block_actions'),
  team: z.looseObject({ id: slackId('TE') }),
  user: z.looseObject({ id: slackId('UW') }),
  channel: z.looseObject({ id: slackId('CGD') }),
  container: z.looseObject({
    type: z.literal('message'),
    message_ts: messageTs,
    channel_id: slackId('CGD').optional(),
  }),
  response_url: z.url({ protocol: /^https$/ }).optional(),
  actions: z
    .array(
      z.looseObject({
        type: z.literal('button'),
        action_id: z.string().max(255),
        value: z.string().regex(REQUEST_ID_PATTERN, 'must be a request id'),
      }),
    )
    .length(1, 'must hold exactly one action'),
});

/** Parses a `block_actions` interaction body (the raw, already verified bytes). */
export function parseInteraction(rawBody: Buffer | string): InteractionParse {
  const body = typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');
  if (Buffer.byteLength(body, 'utf8') > MAX_INTERACTION_BODY_BYTES) {
    return { ok: false, reason: `the body is larger than ${MAX_INTERACTION_BODY_BYTES} bytes` };
  }
  const form = new URLSearchParams(body);
  const keys = [...form.keys()];
  if (keys.length !== 1 || keys[0] !== 'payload') {
    return { ok: false, reason: 'the body must be a form with exactly one field, payload' };
  }
  let json: unknown;
  try {
    json = JSON.parse(form.get('payload') ?? '');
  } catch {
    return { ok: false, reason: 'the payload is not valid JSON' };
  }
  return interactionFromPayload(json);
}

/** The click in an already parsed `block_actions` payload, validated strictly. */
export function interactionFromPayload(json: unknown): InteractionParse {
  const parsed = PayloadSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'payload';
    return { ok: false, reason: `${where}: ${issue?.message ?? 'is malformed'}` };
  }
  const payload = parsed.data;
  const action = payload.actions[0]!;
  const kind = slackActionOf(action.action_id);
  if (!kind) return { ok: false, reason: 'actions.0.action_id: is not an iam-posture button' };
  if (payload.container.channel_id !== undefined && payload.container.channel_id !== payload.channel.id) {
    return { ok: false, reason: 'container.channel_id: does not match channel.id' };
  }
  return {
    ok: true,
    interaction: {
      teamId: payload.team.id,
      userId: payload.user.id,
      action: kind,
      requestId: action.value,
      channelId: payload.channel.id,
      messageTs: payload.container.message_ts,
      ...(payload.response_url ? { responseUrl: payload.response_url } : {}),
    },
  };
}
