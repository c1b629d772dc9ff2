import { describe, expect, it } from 'vitest';
import { MAX_INTERACTION_BODY_BYTES, parseInteraction } from '../../../functions/core/slack/interaction';
import {
  APPROVER,
  type BlockActionsPayload,
  blockActions,
  CHANNEL,
  formBody,
  MESSAGE_TS,
  REQUEST_ID,
  TEAM,
} from './fixtures';

describe('parseInteraction', () => {
  it('reads team, user, action, request id, channel, message ts and response URL from a click', () => {
    expect(parseInteraction(formBody(blockActions()))).toEqual({
      ok: true,
      interaction: {
        teamId: TEAM,
        userId: APPROVER,
        action: 'approve',
        requestId: REQUEST_ID,
        channelId: CHANNEL,
        messageTs: MESSAGE_TS,
        responseUrl: `https://hooks.slack.com/actions/${TEAM}/1/abc`,
      },
    });
  });

  it.each([
    ['reject', 'iam_posture_reject'],
    ['undo', 'iam_posture_undo'],
  ] as const)('maps the %s button', (action, actionId) => {
    const parsed = parseInteraction(formBody(blockActions({ actionId })));
    expect(parsed.ok && parsed.interaction.action).toBe(action);
  });

  it('accepts the body as a string too', () => {
    expect(parseInteraction(formBody(blockActions()).toString('utf8')).ok).toBe(true);
  });

  it('does without a response URL', () => {
    const { response_url: _omitted, ...payload } = blockActions();
    const parsed = parseInteraction(formBody(payload));
    expect(parsed).toMatchObject({ ok: true });
    expect(parsed.ok && 'responseUrl' in parsed.interaction).toBe(false);
  });

  const tweak = (change: (p: BlockActionsPayload) => void) => {
    const payload = blockActions();
    change(payload);
    return formBody(payload);
  };

  it.each<[string, Buffer | string, string]>([
    ['an empty body', '', 'the body must be a form with exactly one field, payload'],
    [
      'a JSON body',
      JSON.stringify(blockActions()),
      'the body must be a form with exactly one field, payload',
    ],
    [
      'a form with another field',
      `${formBody(blockActions()).toString()}&token=x`,
      'the body must be a form with exactly one field, payload',
    ],
    ['a payload that is not JSON', 'payload=%7Bnot-json', 'the payload is not valid JSON'],
    [
      'a view submission',
      tweak((p) => (p.type = 'view_submission')),
      'type: Invalid input: expected "block_actions"',
    ],
    ['no team', tweak((p) => delete p.team), 'team: Invalid input: expected object, received undefined'],
    [
      'a malformed user id',
      tweak((p) => (p.user.id = 'alice')),
      'user.id: Invalid string: must match pattern /^[UW][A-Z0-9]{2,}$/',
    ],
    ['no actions', tweak((p) => (p.actions = [])), 'actions: must hold exactly one action'],
    [
      'two actions',
      tweak((p) => (p.actions = [p.actions[0]!, p.actions[0]!])),
      'actions: must hold exactly one action',
    ],
    [
      'a select menu',
      tweak((p) => (p.actions[0]!.type = 'static_select')),
      'actions.0.type: Invalid input: expected "button"',
    ],
    [
      'another app’s button',
      tweak((p) => (p.actions[0]!.action_id = 'approve')),
      'actions.0.action_id: is not an iam-posture button',
    ],
    [
      'a value that is not a request id',
      tweak((p) => (p.actions[0]!.value = '{"requestId":"x","approve":true}')),
      'actions.0.value: must be a request id',
    ],
    [
      'a message ts that is not one',
      tweak((p) => (p.container.message_ts = 'now')),
      'container.message_ts: must be a message ts like 1717200000.000100',
    ],
    [
      'a click on a modal',
      tweak((p) => (p.container.type = 'view')),
      'container.type: Invalid input: expected "message"',
    ],
    [
      'a container in another channel',
      tweak((p) => (p.container.channel_id = 'C0ELSEWHER')),
      'container.channel_id: does not match channel.id',
    ],
    [
      'a response URL that is not https',
      tweak((p) => (p.response_url = 'http://hooks.slack.com/x')),
      'response_url: Invalid URL',
    ],
  ])('rejects %s with a reason', (_, body, reason) => {
    expect(parseInteraction(body)).toEqual({ ok: false, reason });
  });

  it('rejects a body larger than any Slack payload', () => {
    const payload = blockActions();
    payload.message.text = 'x'.repeat(MAX_INTERACTION_BODY_BYTES);
    expect(parseInteraction(formBody(payload))).toEqual({
      ok: false,
      reason: `the body is larger than ${MAX_INTERACTION_BODY_BYTES} bytes`,
    });
  });
});
