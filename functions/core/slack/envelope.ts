import * as z from 'zod';

/**
 * What Slack posts to the interaction endpoint, in the three shapes iam-posture answers: a click
 * on a message button (`block_actions`), a submitted modal (`view_submission`) and a slash
 * command. Only call this on a body whose signature was verified. The envelope carries what every
 * route needs to decide whether the request is its own; each route validates the values it reads
 * (a button's value, a modal's inputs) against its own rules.
 */

/** The state of one input element of a submitted modal (`view.state.values[block][action]`). */
export interface SlackInputState {
  type: string;
  value?: string | null;
  selected_option?: { value: string } | null;
  selected_options?: { value: string }[] | null;
  selected_user?: string | null;
  selected_date_time?: number | null;
}

export type SlackEnvelope =
  | {
      kind: 'block_actions';
      teamId: string;
      userId: string;
      actionId: string;
      /** A button's value, or a select's chosen option. */
      value: string;
      channelId?: string;
      messageTs?: string;
      triggerId?: string;
      responseUrl?: string;
      viewId?: string;
      /** The whole parsed payload, for a route that checks more of it. */
      payload: unknown;
    }
  | {
      kind: 'view_submission';
      teamId: string;
      userId: string;
      callbackId: string;
      privateMetadata: string;
      /** `view.state.values`: block_id -> action_id -> the element's state. */
      values: Record<string, Record<string, SlackInputState>>;
      triggerId?: string;
      payload: unknown;
    }
  | {
      kind: 'slash_command';
      teamId: string;
      userId: string;
      channelId: string;
      command: string;
      text: string;
      triggerId: string;
      responseUrl?: string;
    };

export type EnvelopeParse = { ok: true; envelope: SlackEnvelope } | { ok: false; reason: string };

/** Slack's payloads are a few KB; anything far larger is not one of ours. */
export const MAX_ENVELOPE_BYTES = 256 * 1024;

const slackId = (prefixes: string) => z.string().regex(new RegExp(`^[${prefixes}][A-Z0-9]{2,}$`));
const triggerId = z.string().min(1).max(255);
const responseUrl = z.url({ protocol: /^https$/ });

const ActionSchema = z.looseObject({
  action_id: z.string().min(1).max(255),
  value: z.string().max(2000).optional(),
  selected_option: z.looseObject({ value: z.string().max(2000) }).nullish(),
});

const BlockActionsSchema = z.looseObject({
  type: z.literal('block_actions'),
  team: z.looseObject({ id: slackId('TE') }),
  user: z.looseObject({ id: slackId('UW') }),
  channel: z.looseObject({ id: slackId('CGD') }).nullish(),
  container: z.looseObject({ message_ts: z.string().optional(), view_id: z.string().optional() }).nullish(),
  trigger_id: triggerId.optional(),
  response_url: responseUrl.optional(),
  actions: z.array(ActionSchema).length(1, 'must hold exactly one action'),
});

const InputStateSchema = z.looseObject({ type: z.string() });

const ViewSubmissionSchema = z.looseObject({
  type: z.literal('view_submission'),
  team: z.looseObject({ id: slackId('TE') }),
  user: z.looseObject({ id: slackId('UW') }),
  trigger_id: triggerId.optional(),
  view: z.looseObject({
    callback_id: z.string().max(255),
    private_metadata: z.string().max(3000).default(''),
    state: z
      .looseObject({
        values: z.record(z.string(), z.record(z.string(), InputStateSchema)),
      })
      .prefault({ values: {} }),
  }),
});

const SlashCommandSchema = z.object({
  team_id: slackId('TE'),
  user_id: slackId('UW'),
  channel_id: slackId('CGD'),
  command: z.string().regex(/^\/[a-z0-9_-]{1,31}$/, 'must be a slash command like /elevate'),
  text: z.string().max(4000).default(''),
  trigger_id: triggerId,
  response_url: responseUrl.optional(),
});

/** Where the first schema problem is, and what it is: `user.id: Invalid string`. */
function firstIssue(error: z.ZodError, root: string): string {
  const issue = error.issues[0];
  const where = issue?.path.length ? issue.path.join('.') : root;
  return `${where}: ${issue?.message ?? 'is malformed'}`;
}

/** Parses a verified interaction body: `payload=<JSON>` (buttons, modals) or a slash command form. */
export function parseSlackEnvelope(rawBody: Buffer | string): EnvelopeParse {
  const body = typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');
  if (Buffer.byteLength(body, 'utf8') > MAX_ENVELOPE_BYTES) {
    return { ok: false, reason: `the body is larger than ${MAX_ENVELOPE_BYTES} bytes` };
  }
  const form = new URLSearchParams(body);
  const keys = [...form.keys()];
  if (keys.length === 1 && keys[0] === 'payload') return parsePayload(form.get('payload') ?? '');
  if (form.has('command')) return parseSlashCommand(form);
  return { ok: false, reason: 'the body is neither an interaction payload nor a slash command' };
}

function parsePayload(text: string): EnvelopeParse {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'the payload is not valid JSON' };
  }
  const type = (json as { type?: unknown } | null)?.type;
  if (type === 'block_actions') {
    const parsed = BlockActionsSchema.safeParse(json);
    if (!parsed.success) return { ok: false, reason: firstIssue(parsed.error, 'payload') };
    const p = parsed.data;
    const action = p.actions[0]!;
    const value = action.value ?? action.selected_option?.value;
    if (value === undefined) return { ok: false, reason: 'actions.0: carries no value' };
    return {
      ok: true,
      envelope: {
        kind: 'block_actions',
        teamId: p.team.id,
        userId: p.user.id,
        actionId: action.action_id,
        value,
        ...(p.channel?.id ? { channelId: p.channel.id } : {}),
        ...(p.container?.message_ts ? { messageTs: p.container.message_ts } : {}),
        ...(p.container?.view_id ? { viewId: p.container.view_id } : {}),
        ...(p.trigger_id ? { triggerId: p.trigger_id } : {}),
        ...(p.response_url ? { responseUrl: p.response_url } : {}),
        payload: json,
      },
    };
  }
  if (type === 'view_submission') {
    const parsed = ViewSubmissionSchema.safeParse(json);
    if (!parsed.success) return { ok: false, reason: firstIssue(parsed.error, 'payload') };
    const p = parsed.data;
    return {
      ok: true,
      envelope: {
        kind: 'view_submission',
        teamId: p.team.id,
        userId: p.user.id,
        callbackId: p.view.callback_id,
        privateMetadata: p.view.private_metadata,
        values: p.view.state.values as Record<string, Record<string, SlackInputState>>,
        ...(p.trigger_id ? { triggerId: p.trigger_id } : {}),
        payload: json,
      },
    };
  }
  return { ok: false, reason: 'type: must be block_actions or view_submission' };
}

function parseSlashCommand(form: URLSearchParams): EnvelopeParse {
  const fields: Record<string, string> = {};
  for (const key of ['team_id', 'user_id', 'channel_id', 'command', 'text', 'trigger_id', 'response_url']) {
    const value = form.get(key);
    if (value !== null) fields[key] = value;
  }
  const parsed = SlashCommandSchema.safeParse(fields);
  if (!parsed.success) return { ok: false, reason: firstIssue(parsed.error, 'command') };
  const c = parsed.data;
  return {
    ok: true,
    envelope: {
      kind: 'slash_command',
      teamId: c.team_id,
      userId: c.user_id,
      channelId: c.channel_id,
      command: c.command,
      text: c.text,
      triggerId: c.trigger_id,
      ...(c.response_url ? { responseUrl: c.response_url } : {}),
    },
  };
}
